// The kit's home page, as Docmost's own home reads: every space docmost-syncd published with its
// description and page count, each linked to its own index, and the pages changed last across
// the site. All of it comes from the published files (see the docmost-spaces plugin).
import React from 'react';
import Layout from '@theme/Layout';
import Link from '@docusaurus/Link';
import useDocusaurusContext from '@docusaurus/useDocusaurusContext';
import {usePluginData} from '@docusaurus/useGlobalData';

// A date as the same text on the server and in every reader's browser (no time zone involved).
const day = (milliseconds) => new Date(milliseconds).toISOString().slice(0, 10);

export default function Home() {
  const {siteConfig} = useDocusaurusContext();
  const {spaces, recent} = usePluginData('docmost-spaces');
  return (
    <Layout title={siteConfig.title} description={siteConfig.tagline}>
      <main className="container margin-vert--lg">
        <h1>{siteConfig.title}</h1>
        <p>{siteConfig.tagline}</p>
        {spaces.length === 0 ? (
          <p>No space is published in this site&apos;s docs folder yet.</p>
        ) : (
          <div className="row">
            <section className="col col--7">
              <h2>Spaces</h2>
              <ul className="docmost-spaces">
                {spaces.map((space) => (
                  <li key={space.folder} className="docmost-space">
                    <Link to={`/docs/${space.folder}`}>{space.label}</Link>{' '}
                    <span className="docmost-space__count">
                      {space.pages} {space.pages === 1 ? 'page' : 'pages'}
                    </span>
                    {space.description ? <p className="docmost-space__description">{space.description}</p> : null}
                  </li>
                ))}
              </ul>
            </section>
            {recent.length ? (
              <section className="col col--5">
                <h2>Recently updated</h2>
                <ul className="docmost-recent">
                  {recent.map((page) => (
                    <li key={page.permalink}>
                      <Link to={page.permalink}>{page.title}</Link>{' '}
                      <span className="docmost-recent__where">
                        {page.space} · <time dateTime={new Date(page.updatedAt).toISOString()}>{day(page.updatedAt)}</time>
                      </span>
                    </li>
                  ))}
                </ul>
              </section>
            ) : null}
          </div>
        )}
      </main>
    </Layout>
  );
}
