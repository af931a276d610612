// The docmost-syncd site kit: a Docusaurus 3.10 site that shows the spaces docmost-syncd publishes
// the way Docmost shows them — mermaid diagrams, KaTeX math, the colours, badges and columns of
// src/css/docmost.css — with offline full-text search in Korean and English (Pagefind).
//
//   DOCMOST_SYNCD_DOCS    the folder docmost-syncd publishes into (output.dir); default ../site-docs
//   DOCMOST_SYNCD_FORMAT  markdown.format: 'mdx' (Docusaurus's default) or 'detect'
//   DOCMOST_SYNCD_MATH    'off' builds without remark-math/rehype-katex (for output.math = "text")
//   DOCMOST_SYNCD_BUILD_CACHE  'off' builds without Rspack's persistent cache: a fifth less memory
//                         (1,000 pages: 1.81 -> 1.45 GB), every build as slow as the first
//   DOCMOST_SYNCD_SITE_CONFIG  the site's own settings (address, title, logo, links, language):
//                         see settings.js; default site.config.json here, which the kit never ships
//
// Every broken link, markdown link, image and anchor fails the build: docmost-syncd's output
// never has one, so a failure here is a bug worth seeing.
require('./check-node');
const fs = require('fs');
const path = require('path');
const {docsPath, publishedSpaces, spaceDescription} = require('./spaces');
const {loadSettings, settingsFile, DEFAULT_URL, SettingsError} = require('./settings');

// Pages are not run through html-minifier-terser: it re-minified every page's inline scripts with
// terser, half of the time Docusaurus spent rendering pages (bench/bench_site.py, 1,000 pages:
// rendering 34.5 s -> 18.4 s), for 1 KB a page (a median page 18 -> 19 KB). The JavaScript
// bundles are still minified. Docusaurus reads this when its SSG workers start, after the config.
process.env.SKIP_HTML_MINIFICATION ??= 'true';

const format = process.env.DOCMOST_SYNCD_FORMAT || 'mdx';
const withMath = process.env.DOCMOST_SYNCD_MATH !== 'off';

// The home page's data, all from what docmost-syncd published: each space with its description
// (from _metadata.json) and its number of listed pages, and the pages changed last across the site
// (their last_update front matter). Unlisted pages count nowhere, as in the sidebar and search.
const RECENT_PAGES = 10;

function spacesPlugin() {
  return {
    name: 'docmost-spaces',
    async allContentLoaded({allContent, actions}) {
      const versions = allContent['docusaurus-plugin-content-docs']?.default?.loadedVersions || [];
      const docs = versions.flatMap((version) => version.docs).filter((doc) => !doc.unlisted);
      const spaces = publishedSpaces();
      const labels = Object.fromEntries(spaces.map(({folder, label}) => [folder, label]));
      const folderOf = (doc) => doc.sourceDirName.split('/')[0];
      const counts = {};
      for (const doc of docs) counts[folderOf(doc)] = (counts[folderOf(doc)] || 0) + 1;
      const recent = docs
        .filter((doc) => doc.lastUpdatedAt && folderOf(doc) in labels)
        .sort((a, b) => b.lastUpdatedAt - a.lastUpdatedAt || a.permalink.localeCompare(b.permalink))
        .slice(0, RECENT_PAGES)
        .map((doc) => ({title: doc.title, permalink: doc.permalink, space: labels[folderOf(doc)], updatedAt: doc.lastUpdatedAt}));
      actions.setGlobalData({
        spaces: spaces.map((space) => ({...space, description: spaceDescription(space.folder), pages: counts[space.folder] || 0})),
        recent,
      });
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
// what is indexed (not the navbar, sidebar or table of contents); a page its share keeps from
// search engines (noindex) is left out; each page records its space, which the results name.
// Pagefind cuts the index into chunks: a search fetches only the chunks of its words, so a first
// search stays small however large the wiki.
//
// KaTeX writes each formula twice — MathML for screen readers, whose annotation holds the LaTeX,
// and the drawn glyphs (`x2` for x^2) — and neither reads well in a result. Each formula is
// indexed once, as the LaTeX its author wrote: a copy of the annotation's text (already escaped
// HTML text) is put beside the two, which are both left out (in what is indexed only: the page
// readers get is not changed).
const formulaText = (html) =>
  html.replace(
    /(<annotation encoding="application\/x-tex">([^<]*)<\/annotation>[\s\S]*?)(<span class="katex-html")/g,
    (_match, before, tex, drawn) => `${before}<span class="docmost-formula-text">${tex}</span>${drawn}`,
  );
// Rspack's module concatenation (scope hoisting) joins a page's few modules into one, to save a
// few bytes a page. At 5,000 pages it spent 24 s of a 43 s rebuild, and a sixth of the build's
// memory, looking for modules to join. Without it (bench/bench_site.py, 5,000 pages): cold build
// 159 → 141 s and 6.03 → 4.97 GB, rebuild after one edit 107 → 84 s, the site 143 → 144 MB.
// Docusaurus builds its server bundle without it already.
function bundlePlugin() {
  return {
    name: 'docmost-bundle',
    configureWebpack(_config, isServer) {
      return isServer ? {} : {optimization: {concatenateModules: false}};
    },
  };
}

function searchPlugin() {
  return {
    name: 'docmost-search',
    async postBuild({outDir}) {
      const pagefind = await import('pagefind');
      const labels = Object.fromEntries(publishedSpaces().map(({folder, label}) => [folder, label]));
      const attribute = (text) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
      const {index, errors} = await pagefind.createIndex({
        // a category index repeats each page's description on its card
        excludeSelectors: ['.katex-mathml', '.katex-html', '.theme-doc-card-description', '.hash-link', '.theme-doc-toc-mobile', '.theme-doc-footer', '.pagination-nav', '.theme-doc-breadcrumbs'],
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
      // Pagefind indexes in a process of its own: pages sent 64 at a time keep it busy (5,000
      // pages: 10.9 s one at a time, 7.5 s so).
      const inFlight = [];
      const add = async (url, content) => {
        const added = await index.addHTMLFile({url, content});
        if (added.errors.length) throw new Error(`Pagefind refused ${url}: ${added.errors.join('; ')}`);
      };
      let indexed = 0;
      for (const file of pages) {
        const html = fs.readFileSync(file, 'utf8');
        if (!html.includes('<article') || /<meta name="robots" content="noindex/.test(html)) continue;
        const url = `/${path.relative(outDir, file).split(path.sep).join('/')}`.replace(/index\.html$/, '');
        const space = labels[url.split('/')[2]];
        const meta = space ? `<span data-pagefind-meta="space:${attribute(space)}"></span>` : '';
        const content = formulaText(html).replace('<article', `<article data-pagefind-body`).replace('</article>', `${meta}</article>`);
        inFlight.push(add(url, content));
        if (inFlight.length >= 64) await Promise.all(inFlight.splice(0));
        indexed += 1;
      }
      await Promise.all(inFlight);
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
  let settings;
  try {
    settings = loadSettings();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    // A mistake in the user's settings is theirs to fix, not a stack to read: one line, and
    // docmost-syncd's exit status for configuration errors.
    console.error(error.message);
    process.exit(78);
  }
  if (settings.url === DEFAULT_URL) {
    // The sitemap, canonical links and social cards name this address: a public site needs its own.
    console.warn(`[docmost-site] warning: the site's address is still ${DEFAULT_URL}; set "url" in ${settingsFile} before publishing`);
  }
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
        rspackPersistentCache: process.env.DOCMOST_SYNCD_BUILD_CACHE !== 'off',
        ssgWorkerThreads: true,
        mdxCrossCompilerCache: true,
      },
    },
    title: settings.title,
    tagline: settings.tagline,
    favicon: settings.favicon || 'img/favicon.svg',
    url: settings.url,
    baseUrl: settings.baseUrl,
    staticDirectories: settings.assets ? ['static', settings.assets] : ['static'],
    onBrokenLinks: 'throw',
    onBrokenAnchors: 'throw',
    i18n: {defaultLocale: settings.language, locales: [settings.language]},
    markdown: {
      format,
      mermaid: true,
      hooks: {
        onBrokenMarkdownLinks: 'throw',
        onBrokenMarkdownImages: 'throw',
      },
    },
    plugins: [
      [
        require.resolve('./docs-plugin'),
        {
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
      ],
      spacesPlugin,
      bundlePlugin,
      searchPlugin,
      // /docs/ has no page of its own: it leads to the home page, which lists every space.
      ['@docusaurus/plugin-client-redirects', {redirects: [{from: '/docs', to: '/'}, ...pageRedirects()]}],
    ],
    themes: ['@docusaurus/theme-mermaid'],
    presets: [
      [
        'classic',
        {
          // The docs are docs-plugin.js, among the plugins: Docusaurus's own, less the page list in main.js.
          docs: false,
          blog: false,
          theme: {customCss},
        },
      ],
    ],
    themeConfig: {
      navbar: {
        title: settings.title,
        logo: settings.logo ? {src: settings.logo, alt: settings.title} : undefined,
        items: [
          // Switch spaces from every page: each space's index.
          ...(publishedSpaces().length
            ? [
                {
                  type: 'dropdown',
                  label: 'Spaces',
                  position: 'left',
                  items: publishedSpaces().map(({folder, label}) => ({label, to: `/docs/${folder}`})),
                },
              ]
            : []),
          ...settings.navbar.map(({label, href}) => ({label, href, position: 'right'})),
        ],
      },
      footer: settings.footer.length || settings.copyright
        ? {
            links: settings.footer.map(({label, href}) => ({label, href})),
            copyright: settings.copyright || undefined,
          }
        : undefined,
      mermaid: {theme: {light: 'neutral', dark: 'dark'}},
    },
  };
};
