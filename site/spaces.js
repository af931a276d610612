// The spaces docmost-syncd published into the docs folder: every folder with a _category_.json
// (docmost-syncd writes one per space, with the space's name as its label). The config (home page,
// navbar, redirects) and sidebars.js (one sidebar per space) both read them here.
const fs = require('fs');
const path = require('path');

const docsPath = path.resolve(__dirname, process.env.DOCMOST_SYNCD_DOCS || '../site-docs');

function publishedSpaces() {
  if (!fs.existsSync(docsPath)) return [];
  return fs
    .readdirSync(docsPath, {withFileTypes: true})
    .filter((entry) => entry.isDirectory() && !/^[._]/.test(entry.name))
    .map((entry) => {
      const category = path.join(docsPath, entry.name, '_category_.json');
      const label = fs.existsSync(category) ? JSON.parse(fs.readFileSync(category, 'utf8')).label : entry.name;
      return {folder: entry.name, label: String(label || entry.name)};
    })
    .sort((a, b) => a.label.localeCompare(b.label));
}

module.exports = {docsPath, publishedSpaces};
