// Which item of a sidebar level holds a page: every link below each item, indexed once per level.
// Docusaurus asks this of each item in turn (isActiveSidebarItem, and the breadcrumbs' search),
// walking the item's whole subtree: the whole space, for every page built. Used by the sidebar
// (src/theme/DocSidebarItems) and the breadcrumbs (src/theme/DocBreadcrumbs). Paths compare as
// Docusaurus's isSamePath compares them.
import {pathKey} from './routePaths';

const openIndexes = new WeakMap(); // a level's items → Map of a normalized href → the item's index

// The index in `items` of the first item that is, or holds, the page at `path`; undefined if none.
export function openIndex(items, path) {
  if (!openIndexes.has(items)) {
    const byHref = new Map();
    const add = (item, index) => {
      if (item.href !== undefined && !byHref.has(pathKey(item.href))) byHref.set(pathKey(item.href), index);
      for (const child of item.type === 'category' ? item.items : []) add(child, index);
    };
    items.forEach(add);
    openIndexes.set(items, byHref);
  }
  return openIndexes.get(items).get(pathKey(path));
}
