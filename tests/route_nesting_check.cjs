// Reads the route tree a kit build generated (SITE/.docusaurus/routes.js) and checks, with React
// Router's own matching, that nesting the docs pages' routes by folder (site/docs-plugin.js) sends
// every path where one flat list of the same routes would: each page's path, its upper-case and
// trailing-slash variants, and paths of no page. Prints one JSON object: the figures (among them
// how many routes React Router tries, on average, to find a page's) and the paths that went
// elsewhere.
//
//   node tests/route_nesting_check.cjs SITE
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');

const site = process.argv[2];
const siteRequire = createRequire(path.join(site, 'package.json'));
const {matchPath} = siteRequire('react-router');
const {matchRoutes} = siteRequire('react-router-config');

// routes.js is an ES module of route objects whose components are ComponentCreator(path, hash)
// calls: each becomes its hash, so the tree can be read as data.
const source = fs
  .readFileSync(path.join(site, '.docusaurus', 'routes.js'), 'utf8')
  .replace(/^import .*$/gm, '')
  .replace('export default', 'return');
const tree = new Function('ComponentCreator', source)((_path, hash) => hash);

const leaves = (routes) => routes.flatMap((route) => (route.routes ? leaves(route.routes) : [route]));
const pages = leaves(tree);
let depth = 0;
let widest = 0;
(function measure(routes, level) {
  depth = Math.max(depth, level);
  widest = Math.max(widest, routes.length);
  for (const route of routes) if (route.routes) measure(route.routes, level + 1);
})(tree, 1);

// The catch-all 404 route aside: a path under /docs/ of no page is DocRoot's to answer.
const flatMatch = (probe) => pages.find((route) => route.path !== '*' && matchPath(probe, route)) || null;
const nestedMatch = (probe) => {
  const branch = matchRoutes(tree, probe);
  const last = branch[branch.length - 1]?.route;
  return last && !last.routes && last.path !== '*' ? last : null;
};

const probes = pages
  .filter((route) => route.path !== '*')
  .flatMap((route) => [
    route.path,
    route.path.toUpperCase(),
    route.path.endsWith('/') ? route.path.slice(0, -1) : `${route.path}/`,
    `${route.path.replace(/\/$/, '')}-of-no-page`,
    `${route.path.replace(/\/$/, '')}/of-no-page`,
  ]);
// Routes tried to find a page's: at each level, the routes before the one that matches, and it.
const triesFor = (routes, pathname) => {
  const index = routes.findIndex((route) => route.path && matchPath(pathname, route));
  if (index < 0) return routes.length;
  return index + 1 + (routes[index].routes ? triesFor(routes[index].routes, pathname) : 0);
};
const pageRoutes = pages.filter((route) => route.path !== '*');
const tries = pageRoutes.reduce((sum, route) => sum + triesFor(tree, route.path), 0) / pageRoutes.length;
const wrong = probes.filter((probe) => flatMatch(probe) !== nestedMatch(probe));
console.log(
  JSON.stringify({
    pages: pages.length,
    probes: probes.length,
    depth,
    widest,
    tries: Math.round(tries),
    wrong: wrong.slice(0, 20).map((probe) => ({probe, flat: flatMatch(probe)?.path, nested: nestedMatch(probe)?.path})),
  }),
);
