// A page's HTML holds a bounded sidebar, whatever the size of the space: rendered on the server
// (and while the page hydrates), each level of the tree shows the items around the open path only
// — a space's root may hold a thousand pages, and every page would carry them all. Once the
// browser runs, every level shows all its items, as Docmost's tree does. Collapsed branches are
// never rendered until opened (Docusaurus's own lazy categories).
import React from 'react';
import useIsBrowser from '@docusaurus/useIsBrowser';
import DocSidebarItems from '@theme-original/DocSidebarItems';
import {pathKey} from '../../routePaths';

const AROUND = 3; // items on either side of the open one, in the server's HTML

// Which item of a level holds the open page: every link below each item, indexed once per level
// (a page asked Docusaurus's isActiveSidebarItem of each item in turn, which walks the item's
// whole subtree: the whole space for every page built). Paths compare as isSamePath's do.
const openIndexes = new WeakMap(); // a level's items → Map of a normalized href → the item's index
function openIndex(items, activePath) {
  if (!openIndexes.has(items)) {
    const byHref = new Map();
    const add = (item, index) => {
      if (item.href !== undefined && !byHref.has(pathKey(item.href))) byHref.set(pathKey(item.href), index);
      for (const child of item.type === 'category' ? item.items : []) add(child, index);
    };
    items.forEach(add);
    openIndexes.set(items, byHref);
  }
  return openIndexes.get(items).get(pathKey(activePath)) ?? 0;
}

export default function BoundedDocSidebarItems(props) {
  const isBrowser = useIsBrowser();
  const {items, activePath} = props;
  if (isBrowser || items.length <= 2 * AROUND + 1) {
    return <DocSidebarItems key="all" {...props} />;
  }
  const open = openIndex(items, activePath);
  const start = Math.max(0, Math.min(open - AROUND, items.length - (2 * AROUND + 1)));
  // Keyed apart from the full list: Docusaurus keys items by their index, so without a new key
  // the full list would inherit the window's state (an open branch) at the wrong items.
  return <DocSidebarItems key="window" {...props} items={items.slice(start, start + 2 * AROUND + 1)} />;
}
