// The spaces docmost-syncd published into the docs folder: every folder with a _category_.json
// (docmost-syncd writes one per space, with the space's name as its label). The config (home page,
// navbar, redirects) and sidebars.js (one sidebar per space) both read them here; the home page
// also reads each space's description (spaceDescription).
const fs = require('fs');
const path = require('path');

const docsPath = path.resolve(__dirname, process.env.DOCMOST_SYNCD_DOCS || '../site-docs');

// _metadata.json starts with the space ({"space": {...},"generator":...); a 20,000-page space's file
// is tens of megabytes, so only its head is read. Inside a JSON string every quote is escaped, so
// the first unescaped `,"generator":` ends the space.
function spaceDescription(folder) {
  const file = path.join(docsPath, folder, '_metadata.json');
  if (!fs.existsSync(file)) return '';
  const handle = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(65536);
    const text = head.subarray(0, fs.readSync(handle, head, 0, head.length, 0)).toString('utf8');
    const end = text.indexOf(',"generator":');
    const space = end > 0 ? JSON.parse(`${text.slice(0, end)}}`).space : JSON.parse(fs.readFileSync(file, 'utf8')).space;
    return typeof space?.description === 'string' ? space.description : '';
  } catch {
    return '';
  } finally {
    fs.closeSync(handle);
  }
}

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

module.exports = {docsPath, publishedSpaces, spaceDescription};
