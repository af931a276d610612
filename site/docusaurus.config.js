// The docmost-syncd site kit: a Docusaurus 3.10 site that shows the spaces docmost-syncd publishes
// the way Docmost shows them — mermaid diagrams, KaTeX math, the colours, badges and columns of
// src/css/docmost.css — with offline full-text search in Korean and English.
//
//   DOCMOST_SYNCD_DOCS    the folder docmost-syncd publishes into (output.dir); default ../site-docs
//   DOCMOST_SYNCD_FORMAT  markdown.format: 'mdx' (Docusaurus's default) or 'detect'
//   DOCMOST_SYNCD_MATH    'off' builds without remark-math/rehype-katex (for output.math = "text")
//
// Every broken link, markdown link, image and anchor fails the build: docmost-syncd's output
// never has one, so a failure here is a bug worth seeing.
const path = require('path');

const docsPath = path.resolve(__dirname, process.env.DOCMOST_SYNCD_DOCS || '../site-docs');
const format = process.env.DOCMOST_SYNCD_FORMAT || 'mdx';
const withMath = process.env.DOCMOST_SYNCD_MATH !== 'off';

module.exports = async function createConfig() {
  // remark-math and rehype-katex are ES modules: an async config imports them.
  const remarkPlugins = withMath ? [(await import('remark-math')).default] : [];
  const rehypePlugins = withMath ? [(await import('rehype-katex')).default] : [];
  const customCss = [require.resolve('./src/css/docmost.css')];
  if (withMath) {
    customCss.push(require.resolve('katex/dist/katex.min.css'));
  }
  return {
    // Docusaurus Faster (Rspack, SWC, Lightning CSS) builds this site in about 30 s instead of 4 min;
    // the v4 flags it needs also prove the pages build the way Docusaurus 4 will read them.
    // Not its HTML minifier: @swc/html writes the text "&<img …>" (escaped in the page React made)
    // back as "&<img …>", markup, so wiki text could run script; html-minifier-terser does not.
    future: {
      v4: true,
      faster: {
        swcJsLoader: true,
        swcJsMinimizer: true,
        swcHtmlMinimizer: false,
        lightningCssMinimizer: true,
        rspackBundler: true,
        rspackPersistentCache: true,
        ssgWorkerThreads: true,
        mdxCrossCompilerCache: true,
      },
    },
    title: 'Docmost',
    tagline: 'Published by docmost-syncd',
    favicon: 'img/favicon.svg',
    url: 'http://localhost',
    baseUrl: '/',
    onBrokenLinks: 'throw',
    onBrokenAnchors: 'throw',
    i18n: {defaultLocale: 'en', locales: ['en']},
    markdown: {
      format,
      mermaid: true,
      hooks: {
        onBrokenMarkdownLinks: 'throw',
        onBrokenMarkdownImages: 'throw',
      },
    },
    themes: [
      '@docusaurus/theme-mermaid',
      [
        '@easyops-cn/docusaurus-search-local',
        {
          hashed: true,
          language: ['en', 'ko'],
          indexBlog: false,
          docsDir: docsPath,
          docsRouteBasePath: '/docs',
          highlightSearchTermsOnTargetPage: true,
        },
      ],
    ],
    presets: [
      [
        'classic',
        {
          docs: {
            path: docsPath,
            routeBasePath: 'docs',
            sidebarPath: require.resolve('./sidebars.js'),
            remarkPlugins,
            rehypePlugins,
          },
          blog: false,
          theme: {customCss},
        },
      ],
    ],
    themeConfig: {
      navbar: {
        title: 'Docmost',
        items: [{type: 'docSidebar', sidebarId: 'docs', label: 'Docs', position: 'left'}],
      },
      mermaid: {theme: {light: 'neutral', dark: 'dark'}},
    },
  };
};
