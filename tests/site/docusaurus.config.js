// A plain Docusaurus 3 site, as `create-docusaurus` makes one: the classic preset and nothing
// else — no mermaid, no math plugins, no future flags, webpack. docmost-syncd's default output
// (output.math = "text") must build here, in both markdown formats, with every broken link,
// markdown link, image and anchor a failure. It uses the site kit's node_modules.
const docsPath = process.env.DOCMOST_SYNCD_DOCS;
if (!docsPath) {
  throw new Error('DOCMOST_SYNCD_DOCS must name the folder of published spaces');
}

module.exports = {
  title: 'docmost-syncd plain site',
  url: 'http://localhost',
  baseUrl: '/',
  onBrokenLinks: 'throw',
  onBrokenAnchors: 'throw',
  i18n: {defaultLocale: 'en', locales: ['en']},
  markdown: {
    format: process.env.DOCMOST_SYNCD_FORMAT || 'mdx',
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
