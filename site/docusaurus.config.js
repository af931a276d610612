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
const fs = require('fs');
const path = require('path');

const docsPath = path.resolve(__dirname, process.env.DOCMOST_SYNCD_DOCS || '../site-docs');
const format = process.env.DOCMOST_SYNCD_FORMAT || 'mdx';
const withMath = process.env.DOCMOST_SYNCD_MATH !== 'off';

// The published spaces: every folder of the docs folder with a _category_.json (docmost-syncd
// writes one per space, with the space's name as its label), for the home page.
function publishedSpaces() {
  if (!fs.existsSync(docsPath)) return [];
  return fs
    .readdirSync(docsPath, {withFileTypes: true})
    .filter((entry) => entry.isDirectory() && !/^[._]/.test(entry.name))
    .map((entry) => {
      const category = path.join(docsPath, entry.name, '_category_.json');
      const label = fs.existsSync(category) ? JSON.parse(fs.readFileSync(category, 'utf8')).label : entry.name;
      return {folder: entry.name, label: String(label || entry.name)};
    })
    .sort((a, b) => a.label.localeCompare(b.label));
}

function spacesPlugin() {
  return {
    name: 'docmost-spaces',
    async contentLoaded({actions}) {
      actions.setGlobalData({spaces: publishedSpaces()});
    },
  };
}

// docmost-syncd writes each space's _redirects.json: every earlier URL of a page renamed or moved
// in Docmost → its URL now. The kit serves each as a redirect page, so old links keep working.
function pageRedirects() {
  return publishedSpaces().flatMap(({folder}) => {
    const file = path.join(docsPath, folder, '_redirects.json');
    if (!fs.existsSync(file)) return [];
    return (JSON.parse(fs.readFileSync(file, 'utf8')).redirects || []).map((redirect) => ({
      from: `/docs/${redirect.from}`,
      to: `/docs/${redirect.to}`,
    }));
  });
}

// A space's folder is a category without a page of its own: give it a generated index at
// /docs/<space>/ listing its pages, so every space has an address to link to.
async function sidebarItemsGenerator({defaultSidebarItemsGenerator, ...args}) {
  const items = await defaultSidebarItemsGenerator(args);
  const firstDoc = (item) =>
    item.type === 'doc' ? item.id : item.type === 'category' ? (item.items || []).map(firstDoc).find(Boolean) : undefined;
  return items.map((item) => {
    const doc = item.type === 'category' && !item.link ? firstDoc(item) : undefined;
    return doc ? {...item, link: {type: 'generated-index', slug: `/${doc.split('/')[0]}`}} : item;
  });
}

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
      // Last updates come from Docmost (docmost-syncd's last_update front matter): git's dates are
      // those of the sync, and a published folder need not be in a git worktree at all.
      experimental_vcs: 'disabled',
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
    plugins: [
      spacesPlugin,
      // /docs/ has no page of its own: it leads to the home page, which lists every space.
      ['@docusaurus/plugin-client-redirects', {redirects: [{from: '/docs', to: '/'}, ...pageRedirects()]}],
    ],
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
            sidebarItemsGenerator,
            // docmost-syncd writes last_update (when and by whom in Docmost) and custom_edit_url
            // (the page in Docmost) into every page: show them.
            showLastUpdateTime: true,
            showLastUpdateAuthor: true,
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
