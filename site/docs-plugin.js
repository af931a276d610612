// Docusaurus's docs plugin, as it is but for two things that made every page cost more the larger
// the wiki (bench/bench_site.py; the README's performance section has the figures):
//
// - Its global data, which Docusaurus puts into main.js, the script every reader loads first, no
//   longer lists every page (id, path, sidebar): 880 KB of 3.7 MB at 5,000 pages. Only navbar
//   items of type doc/docSidebar, the version dropdown and a versioned site's banner read it,
//   and the kit has none of them.
// - Its pages' routes are nested by folder. The plugin gives them as one flat list, and React
//   Router finds a page's route by trying every route in turn, several times a page built and on
//   each navigation in the browser. Nested, a route is found by trying the routes of one level,
//   then of the folder that holds it: at 5,000 pages, 135 routes tried on average instead of
//   2,500. The routes, their paths and their pages do not change.
const docsPlugin = require('@docusaurus/plugin-content-docs');

const {PATTERN, PLAIN_ASCII} = require('./src/routePaths');

const GROUP_COMPONENT = require.resolve('./src/DocRouteGroup.js');

// The routes below `prefix` (a path without its trailing slash), each folder of two or more of
// them in one route of its own. A folder's route matches the paths below it at a segment's end,
// letter case aside (React Router's non-exact match), as its pages' routes do, and no path
// matches two folders' routes: every path reaches the page it reached before. A level with any
// route that is not a plain page's (not exact, or a pattern) is left as it is.
//
// Docusaurus sorts each level's routes (core's sortRoutes): the routes without routes below them
// first, so a page in a folder was found only after every page of the level had been tried (a
// space's root level holds a thousand). A level's own pages are therefore one route too, at the
// level's path. It matches every path of the level, its folders' too, so it must come after
// them, and does: sortRoutes puts a route whose path holds another's after it. The folders
// holding the most pages come first (their priority, which sortRoutes also reads).
// tests/route_nesting_check.cjs checks the order React Router sees.
const folderOf = (prefix, route) => route.path.slice(prefix.length + 1).split('/')[0];
const isPlainPage = (prefix, route) =>
  route.exact && !route.routes && (route.path === prefix || route.path.startsWith(`${prefix}/`)) && !PATTERN.test(route.path);

function groupRoute(path, routes, nested) {
  const sidebars = new Set(routes.map((route) => route.sidebar));
  return {
    path,
    exact: false,
    component: GROUP_COMPONENT,
    // DocRoot shows the sidebar of the route it matched: a folder's pages share their space's.
    ...(sidebars.size === 1 && routes[0].sidebar && {sidebar: routes[0].sidebar}),
    priority: routes.length, // pages below
    routes: nested,
  };
}

function nestByFolder(prefix, routes) {
  if (!routes.every((route) => isPlainPage(prefix, route))) return routes;
  const folders = new Map(); // a folder's name in lower case → the routes below it, in order
  for (const route of routes) {
    const folder = folderOf(prefix, route);
    const key = folder && PLAIN_ASCII.test(folder) ? folder.toLowerCase() : route.path;
    if (!folders.has(key)) folders.set(key, {folder, routes: []});
    folders.get(key).routes.push(route);
  }
  const groups = [];
  const pages = [];
  for (const {folder, routes: below} of folders.values()) {
    if (below.length === 1) pages.push(below[0]);
    else groups.push(groupRoute(`${prefix}/${folder}`, below, nestByFolder(`${prefix}/${folder}`, below)));
  }
  return groups.length && pages.length > 1 ? [...groups, groupRoute(prefix, pages, pages)] : [...groups, ...pages];
}

module.exports = async function docsForAWiki(context, options) {
  const plugin = await docsPlugin.default(context, options);
  const nestPages = (route) =>
    route.component === options.docRootComponent
      ? {...route, routes: nestByFolder(route.path.replace(/\/$/, ''), route.routes)}
      : {...route, ...(route.routes && {routes: route.routes.map(nestPages)})};
  return {
    ...plugin,
    contentLoaded(args) {
      const setGlobalData = (data) =>
        args.actions.setGlobalData({...data, versions: data.versions.map((version) => ({...version, docs: []}))});
      const addRoute = (route) => args.actions.addRoute(nestPages(route));
      return plugin.contentLoaded({...args, actions: {...args.actions, setGlobalData, addRoute}});
    },
  };
};
module.exports.validateOptions = docsPlugin.validateOptions;
