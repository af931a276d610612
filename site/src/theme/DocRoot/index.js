// Docusaurus finds a docs page's route by trying every page's route in turn, twice a page (its
// DocRoot matches, then renders a Switch of all of them): with a 5,000-page space that is 10,000
// path matches for each page built, so a page cost more the larger the wiki. Here the route is
// looked up by its path once, and Docusaurus's DocRoot is given that one route.
import React from 'react';
import {useLocation} from '@docusaurus/router';
import DocRoot from '@theme-original/DocRoot';

// An exact route of a literal path matches a pathname that equals it but for letter case and one
// trailing slash (React Router's exact, non-strict, case-insensitive match). Other routes, and any
// pathname that is not plain ASCII, are left to Docusaurus's own search.
const LITERAL = /^[\x20-\x7e]*$/;
const PARAMETER = /[:*?+()]/;
const key = (path) => path.replace(/\/$/, '').toLowerCase();

const routesByPath = new WeakMap(); // a version's route list → Map of key → its first route
function routeByPath(routes) {
  if (!routesByPath.has(routes)) {
    const literal = routes.every((route) => route.exact && !route.strict && !route.sensitive && LITERAL.test(route.path) && !PARAMETER.test(route.path));
    const byPath = literal ? new Map() : null;
    for (const route of literal ? routes : []) {
      if (!byPath.has(key(route.path))) byPath.set(key(route.path), route);
    }
    routesByPath.set(routes, byPath);
  }
  return routesByPath.get(routes);
}

export default function DocRootOfOnePage(props) {
  const {pathname} = useLocation();
  const byPath = routeByPath(props.route.routes);
  const route = byPath && LITERAL.test(pathname) ? byPath.get(key(pathname)) : undefined;
  // No route of that path: Docusaurus's DocRoot, with every route, shows its not-found page.
  return <DocRoot {...props} route={route ? {...props.route, routes: [route]} : props.route} />;
}
