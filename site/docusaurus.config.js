// The docmost-syncd site kit: a Docusaurus 3.10 site that shows the spaces docmost-syncd publishes
// the way Docmost shows them — mermaid diagrams, KaTeX math, the colours, badges and columns of
// src/css/docmost.css — with offline full-text search in Korean and English (Pagefind).
//
//   DOCMOST_SYNCD_DOCS    the folder docmost-syncd publishes into (output.dir); default ../site-docs
//   DOCMOST_SYNCD_FORMAT  markdown.format: 'mdx' (Docusaurus's default) or 'detect'
//   DOCMOST_SYNCD_MATH    'off' builds without remark-math/rehype-katex (for output.math = "text")
//
// Every broken link, markdown link, image and anchor fails the build: docmost-syncd's output
// never has one, so a failure here is a bug worth seeing.
const fs = require('fs');
const path = require('path');
const {docsPath, publishedSpaces} = require('./spaces');

const format = process.env.DOCMOST_SYNCD_FORMAT || 'mdx';
const withMath = process.env.DOCMOST_SYNCD_MATH !== 'off';

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

// Search: a Pagefind index of every published page, written after the build. A doc's article is
// what is indexed (not the navbar, sidebar, table of contents or KaTeX's hidden MathML copy); a
// page its share keeps from search engines (noindex) is left out; each page records its space,
// which the results name. Pagefind cuts the index into chunks: a search fetches only the chunks
// of its words, so a first search stays small however large the wiki.
function searchPlugin() {
  return {
    name: 'docmost-search',
    async postBuild({outDir}) {
      const pagefind = await import('pagefind');
      const labels = Object.fromEntries(publishedSpaces().map(({folder, label}) => [folder, label]));
      const attribute = (text) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
      const {index, errors} = await pagefind.createIndex({
        excludeSelectors: ['.katex-mathml', '.hash-link', '.theme-doc-toc-mobile', '.theme-doc-footer', '.pagination-nav', '.theme-doc-breadcrumbs'],
      });
      if (!index) throw new Error(`Pagefind could not start: ${errors.join('; ')}`);
      const pages = [];
      const walk = (folder) => {
        for (const entry of fs.readdirSync(folder, {withFileTypes: true})) {
          const file = path.join(folder, entry.name);
          if (entry.isDirectory()) walk(file);
          else if (entry.name.endsWith('.html')) pages.push(file);
        }
      };
      walk(path.join(outDir, 'docs'));
      let indexed = 0;
      for (const file of pages) {
        const html = fs.readFileSync(file, 'utf8');
        if (!html.includes('<article') || /<meta name="robots" content="noindex/.test(html)) continue;
        const url = `/${path.relative(outDir, file).split(path.sep).join('/')}`.replace(/index\.html$/, '');
        const space = labels[url.split('/')[2]];
        const meta = space ? `<span data-pagefind-meta="space:${attribute(space)}"></span>` : '';
        const content = html.replace('<article', `<article data-pagefind-body`).replace('</article>', `${meta}</article>`);
        const added = await index.addHTMLFile({url, content});
        if (added.errors.length) throw new Error(`Pagefind refused ${url}: ${added.errors.join('; ')}`);
        indexed += 1;
      }
      await index.writeFiles({outputPath: path.join(outDir, 'pagefind')});
      await pagefind.close();
      console.log(`[docmost-search] ${indexed} pages indexed`);
    },
  };
}

// Each space's sidebar has the space as its root: a category without a page of its own, open,
// with a generated index at /docs/<space>/ listing its pages, so every space has an address.
async function sidebarItemsGenerator({defaultSidebarItemsGenerator, ...args}) {
  const items = await defaultSidebarItemsGenerator(args);
  const space = publishedSpaces().find(({folder}) => folder === args.item.dirName);
  if (!space) return items;
  return [
    {
      type: 'category',
      label: space.label,
      collapsible: false,
      collapsed: false,
      link: {type: 'generated-index', slug: `/${space.folder}`},
      items,
    },
  ];
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
      searchPlugin,
      // /docs/ has no page of its own: it leads to the home page, which lists every space.
      ['@docusaurus/plugin-client-redirects', {redirects: [{from: '/docs', to: '/'}, ...pageRedirects()]}],
    ],
    themes: ['@docusaurus/theme-mermaid'],
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
        // Switch spaces from every page: each space's index.
        items: publishedSpaces().length
          ? [
              {
                type: 'dropdown',
                label: 'Spaces',
                position: 'left',
                items: publishedSpaces().map(({folder, label}) => ({label, to: `/docs/${folder}`})),
              },
            ]
          : [],
      },
      mermaid: {theme: {light: 'neutral', dark: 'dark'}},
    },
  };
};
