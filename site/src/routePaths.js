// What the kit relies on when it nests the docs pages' routes (docs-plugin.js), looks a page's
// route up (src/theme/DocRoot) and the sidebar's open item (src/theme/DocSidebarItems): which
// paths React Router matches literally, and when two paths are the same. Outside these, both
// leave the routes to React Router's own matching.
//
// A character path-to-regexp (React Router 5) reads as part of a pattern, not as itself.
const PATTERN = /[:*?+()]/;
// Plain ASCII: for these, letter case compares the same in JavaScript's toLowerCase and in a
// case-insensitive regular expression, which React Router's matching is.
const PLAIN_ASCII = /^[\x21-\x7e]*$/;
// A path as both React Router's non-strict, case-insensitive match and Docusaurus's isSamePath
// compare it: letter case and a trailing slash aside.
const pathKey = (path) => (!path || path.endsWith('/') ? path : `${path}/`).toLowerCase();

module.exports = {PATTERN, PLAIN_ASCII, pathKey};
