// A page's HTML holds a bounded sidebar, whatever the size of the space: rendered on the server
// (and while the page hydrates), each level of the tree shows the items around the open path only
// — a space's root may hold a thousand pages, and every page would carry them all. Once the
// browser runs, every level shows all its items, as Docmost's tree does. Collapsed branches are
// never rendered until opened (Docusaurus's own lazy categories).
import React from 'react';
import useIsBrowser from '@docusaurus/useIsBrowser';
import {isActiveSidebarItem} from '@docusaurus/plugin-content-docs/client';
import DocSidebarItems from '@theme-original/DocSidebarItems';

const AROUND = 3; // items on either side of the open one, in the server's HTML

export default function BoundedDocSidebarItems(props) {
  const isBrowser = useIsBrowser();
  const {items, activePath} = props;
  if (isBrowser || items.length <= 2 * AROUND + 1) {
    return <DocSidebarItems key="all" {...props} />;
  }
  const open = Math.max(0, items.findIndex((item) => isActiveSidebarItem(item, activePath)));
  const start = Math.max(0, Math.min(open - AROUND, items.length - (2 * AROUND + 1)));
  // Keyed apart from the full list: Docusaurus keys items by their index, so without a new key
  // the full list would inherit the window's state (an open branch) at the wrong items.
  return <DocSidebarItems key="window" {...props} items={items.slice(start, start + 2 * AROUND + 1)} />;
}
