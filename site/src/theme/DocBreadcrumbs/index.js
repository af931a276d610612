// A page's breadcrumbs are its path in the sidebar. Docusaurus finds that path by walking the
// sidebar from its first item until it meets the page: on average half the space, for every page
// built and every navigation. Here Docusaurus's breadcrumbs are given a sidebar that holds only
// the page's path, found with the sidebar's index; they render as before.
import React, {useMemo} from 'react';
import {useLocation} from '@docusaurus/router';
import {DocsSidebarProvider, useDocsSidebar} from '@docusaurus/plugin-content-docs/client';
import DocBreadcrumbs from '@theme-original/DocBreadcrumbs';
import {pathKey} from '../../routePaths';
import {openIndex} from '../../sidebarIndex';

// The items from `items` down to the page at `pathname`, each level cut to the one item on the
// way; null where Docusaurus's own walk is left to decide (no such page, or a link that is not a
// doc's, which the breadcrumbs pass over).
function pathTo(items, pathname) {
  const open = openIndex(items, pathname);
  if (open === undefined) return null;
  const item = items[open];
  // A category without a page of its own (a folder of _category_.json alone) has no href.
  if (item.type === 'category' && (item.href === undefined || pathKey(item.href) !== pathKey(pathname))) {
    const below = pathTo(item.items, pathname);
    return below && [{...item, items: below}];
  }
  return item.type === 'category' || (item.type === 'link' && item.docId) ? [item] : null;
}

export default function DocBreadcrumbsOfThePath(props) {
  const sidebar = useDocsSidebar();
  const {pathname} = useLocation();
  const path = useMemo(() => sidebar && pathTo(sidebar.items, pathname), [sidebar, pathname]);
  if (!path) return <DocBreadcrumbs {...props} />;
  return (
    <DocsSidebarProvider name={sidebar.name} items={path}>
      <DocBreadcrumbs {...props} />
    </DocsSidebarProvider>
  );
}
