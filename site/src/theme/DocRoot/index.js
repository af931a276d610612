// Docusaurus's DocRoot finds a docs page's route by trying the routes below it in turn, twice (it
// matches, then renders a Switch of them), so a page cost more the larger the wiki. Here the
// page's route is looked up by its path, among every page's route (docs-plugin.js nests them by
// folder), and Docusaurus's DocRoot is given that one route.
import React from 'react';
import {useLocation} from '@docusaurus/router';
import DocRoot from '@theme-original/DocRoot';
import {PATTERN, PLAIN_ASCII, pathKey} from '../../routePaths';

// An exact route of a literal path matches a pathname that equals it but for letter case and one
// trailing slash (React Router's exact, non-strict, case-insensitive match). Other routes, and any
// pathname that is not plain ASCII, are left to Docusaurus's own search.
const pages = (routes) => routes.flatMap((route) => (route.routes ? pages(route.routes) : [route]));
const routesByPath = new WeakMap(); // DocRoot's routes → Map of key → the first page's route
function routeByPath(nested) {
  if (!routesByPath.has(nested)) {
    const routes = pages(nested);
    const literal = routes.every((route) => route.exact && !route.strict && !route.sensitive && PLAIN_ASCII.test(route.path) && !PATTERN.test(route.path));
    const byPath = literal ? new Map() : null;
    for (const route of literal ? routes : []) {
      if (!byPath.has(pathKey(route.path))) byPath.set(pathKey(route.path), route);
    }
    routesByPath.set(nested, byPath);
  }
  return routesByPath.get(nested);
}

export default function DocRootOfOnePage(props) {
  const {pathname} = useLocation();
  const byPath = routeByPath(props.route.routes);
  const route = byPath && PLAIN_ASCII.test(pathname) ? byPath.get(pathKey(pathname)) : undefined;
  // No page of that path: Docusaurus's DocRoot, with every route, shows its not-found content.
  return <DocRoot {...props} route={route ? {...props.route, routes: [route]} : props.route} />;
}
