// The site kit needs Node.js 20 or newer (Docusaurus 3.10 does): say so in one line, before
// Docusaurus starts, rather than with its own lines or a stack.
const major = Number(/^v(\d+)/.exec(process.version)[1]);
if (major < 20) {
  console.error(`docmost-syncd site kit: Node.js 20 or newer is needed, this is ${process.version} (install Node 20 LTS or newer)`);
  process.exit(1);
}
