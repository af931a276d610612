// A page's HTML holds a bounded sidebar, whatever the size of the space: rendered on the server
// (and while the page hydrates), each level of the tree shows the items around the open path only
// — a space's root may hold a thousand pages, and every page would carry them all. Once the
// browser runs, every level shows all its items, as Docmost's tree does. Collapsed branches are
// never rendered until opened (Docusaurus's own lazy categories).
//
// On the server the sidebar is also given only what it renders: the open path's levels, each cut
// to its window, and each closed branch cut to its first visible item. Docusaurus's category asks
// of every item whether it is visible and open, which walks the item's whole subtree, so a page
// built with the whole tree walks the whole space; the pages' HTML is the same either way.
import React from 'react';
import useIsBrowser from '@docusaurus/useIsBrowser';
import DocSidebarItems from '@theme-original/DocSidebarItems';
import {openIndex} from '../../sidebarIndex';

const AROUND = 3; // items on either side of the open one, in the server's HTML

// Visible with no open page below it, as Docusaurus's isVisibleSidebarItem decides.
const visibility = new WeakMap();
function isVisibleClosed(item) {
  if (item.type === 'link') return !item.unlisted;
  if (item.type !== 'category') return true;
  if (!visibility.has(item)) {
    visibility.set(item, (item.href !== undefined && !item.linkUnlisted) || item.items.some(isVisibleClosed));
  }
  return visibility.get(item);
}

// A closed branch as the server renders it: its own link, and whether it has visible children
// (a category with none renders as a link). Kept whole where its children are rendered (not
// collapsible, or open by default) or where its link falls back to the first child's.
const closedBranches = new WeakMap();
function closedBranch(item) {
  if (item.type !== 'category' || item.collapsible === false || item.collapsed === false) return item;
  if (item.href === undefined || item.linkUnlisted) return item;
  if (!closedBranches.has(item)) {
    const first = item.items.find(isVisibleClosed);
    closedBranches.set(item, {...item, items: first === undefined ? [] : [first]});
  }
  return closedBranches.get(item);
}

const cutLevels = new WeakMap(); // a level cut for this page → whether it is a window of its level
function cutLevel(items, activePath) {
  const open = openIndex(items, activePath);
  const size = 2 * AROUND + 1;
  const start = items.length <= size ? 0 : Math.max(0, Math.min((open ?? 0) - AROUND, items.length - size));
  const level = items.slice(start, start + size).map((item, offset) =>
    start + offset === open && item.type === 'category'
      ? {...item, items: cutLevel(item.items, activePath)}
      : closedBranch(item),
  );
  cutLevels.set(level, items.length > size);
  return level;
}

export default function BoundedDocSidebarItems(props) {
  const isBrowser = useIsBrowser();
  const {items, activePath} = props;
  if (isBrowser) {
    return <DocSidebarItems key="all" {...props} />;
  }
  const level = cutLevels.has(items) ? items : cutLevel(items, activePath);
  // A window is keyed apart from the full list: Docusaurus keys items by their index, so without
  // a new key the full list would inherit the window's state (an open branch) at the wrong items.
  // A level shown whole keeps its key, and its items (the same, at the same places) their state:
  // the sidebar is not drawn again once the page has loaded.
  return <DocSidebarItems key={cutLevels.get(level) ? 'window' : 'all'} {...props} items={level} />;
}
