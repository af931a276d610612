// The breadcrumbs' JSON-LD, as Docusaurus 3.10 writes it, with "<" escaped.
//
// Docusaurus puts JSON.stringify(breadcrumbs) into <script type="application/ld+json"> as it is:
// a page or category title holding "</script>" ends the script element there, and what follows
// it in the title becomes markup on every page below that category. docmost-syncd never writes
// such a title (it breaks "</" with an invisible word joiner), but this site may show folders
// written by anything else, so the kit escapes the JSON itself: "\u003c" is the same character
// to every JSON reader and nothing to the HTML parser.
import React from 'react';
import Head from '@docusaurus/Head';
import {useBreadcrumbsStructuredData} from '@docusaurus/plugin-content-docs/client';

export default function DocBreadcrumbsStructuredData(props) {
  const structuredData = useBreadcrumbsStructuredData({breadcrumbs: props.breadcrumbs});
  const json = JSON.stringify(structuredData)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return (
    <Head>
      <script type="application/ld+json">{json}</script>
    </Head>
  );
}
