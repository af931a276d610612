// Test site for docmost-syncd: builds whatever folder DOCMOST_SYNCD_DOCS points at,
// in the markdown format DOCMOST_SYNCD_FORMAT names ('mdx' or 'detect'), with every
// broken link, markdown link and image turned into a build failure.
const docsPath = process.env.DOCMOST_SYNCD_DOCS;
if (!docsPath) {
  throw new Error('DOCMOST_SYNCD_DOCS must name the folder of published spaces');
}
const format = process.env.DOCMOST_SYNCD_FORMAT || 'mdx';

module.exports = {
  title: 'docmost-syncd test site',
  url: 'http://localhost',
  baseUrl: '/',
  onBrokenLinks: 'throw',
  onBrokenAnchors: 'warn',
  i18n: {defaultLocale: 'en', locales: ['en']},
  markdown: {
    format,
    hooks: {
      onBrokenMarkdownLinks: 'throw',
      onBrokenMarkdownImages: 'throw',
    },
  },
  presets: [
    [
      'classic',
      {
        docs: {path: docsPath, routeBasePath: 'docs'},
        blog: false,
        theme: {},
      },
    ],
  ],
};
