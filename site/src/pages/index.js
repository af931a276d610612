// The kit's home page: every space docmost-syncd published, each linked to its own index.
import React from 'react';
import Layout from '@theme/Layout';
import Link from '@docusaurus/Link';
import {usePluginData} from '@docusaurus/useGlobalData';

export default function Home() {
  const {spaces} = usePluginData('docmost-spaces');
  return (
    <Layout title="Docmost" description="The spaces of the wiki, published by docmost-syncd">
      <main className="container margin-vert--lg">
        <h1>Docmost, published</h1>
        <p>
          Every space of the wiki, in Docmost&apos;s order inside. Search (top right) finds words in
          every page, in Korean as in English.
        </p>
        {spaces.length === 0 ? (
          <p>No space is published in this site&apos;s docs folder yet.</p>
        ) : (
          <ul className="docmost-spaces">
            {spaces.map((space) => (
              <li key={space.folder}>
                <Link to={`/docs/${space.folder}`}>{space.label}</Link>
              </li>
            ))}
          </ul>
        )}
      </main>
    </Layout>
  );
}
