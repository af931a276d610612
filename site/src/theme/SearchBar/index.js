// Search with Pagefind: its index is cut into chunks by word, so a first search downloads the
// small entry file, the chunks of the words typed and the few result fragments shown — not the
// whole site's text. The index is written after the build (the docmost-search plugin in
// docusaurus.config.js); the UI script loads with the page, the index at the first search.
// Each result names its page and its space.
import React, {useEffect, useRef} from 'react';
import useBaseUrl from '@docusaurus/useBaseUrl';

function load(tag, attributes) {
  return new Promise((resolve, reject) => {
    const element = Object.assign(document.createElement(tag), attributes, {onload: resolve, onerror: reject});
    document.head.appendChild(element);
  });
}

export default function SearchBar() {
  const container = useRef(null);
  const bundle = useBaseUrl('/pagefind/');
  useEffect(() => {
    let ui = null;
    let gone = false;
    Promise.all([
      window.PagefindUI ? null : load('script', {src: `${bundle}pagefind-ui.js`}),
      load('link', {rel: 'stylesheet', href: `${bundle}pagefind-ui.css`}),
    ])
      .then(() => {
        if (gone || !container.current) return;
        ui = new window.PagefindUI({
          element: container.current,
          bundlePath: bundle,
          showImages: false,
          showSubResults: true,
          resetStyles: false,
          processResult: (result) => {
            const space = result.meta && result.meta.space;
            if (space) result.meta.title = `${result.meta.title} · ${space}`;
            return result;
          },
        });
        // Pagefind's form says action="javascript:void(0)" to stay on the page; the same is done
        // here without a javascript: URL, so no such URL is anywhere in the page (the kit's
        // hostile-content checks look for them).
        const form = container.current.querySelector('form');
        if (form) {
          form.removeAttribute('action');
          form.addEventListener('submit', (event) => event.preventDefault());
        }
      })
      .catch(() => {
        // No index (a development server, a build without the plugin): no search box.
      });
    return () => {
      gone = true;
      if (ui && ui.destroy) ui.destroy();
    };
  }, [bundle]);
  return <div ref={container} className="docmost-search" role="search" />;
}
