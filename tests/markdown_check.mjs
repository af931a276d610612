// Compiles pages the way Docusaurus reads them and says what text a reader would see.
// One JSON request per line on stdin: {"id", "source", "mdx", "math"}; one answer per line:
// {"id", "ok", "error", "text"}. ".mdx" pages and every page under markdown.format 'mdx' go
// through MDX (with GFM, directives and, for KaTeX output, math, as Docusaurus's loader has them);
// ".md" pages under 'detect' through CommonMark + GFM.
// The caller runs it with the working directory at a folder whose node_modules holds the site
// kit's packages.
import {createInterface} from 'node:readline';
import {createRequire} from 'node:module';
import {pathToFileURL} from 'node:url';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'noop.js'));
const load = async (name) => import(pathToFileURL(require.resolve(name)).href);

const {compile} = await load('@mdx-js/mdx');
const remarkGfm = (await load('remark-gfm')).default;
const remarkDirective = (await load('remark-directive')).default;
const remarkMath = (await load('remark-math')).default;
const {fromMarkdown} = await load('mdast-util-from-markdown');
const {gfm} = await load('micromark-extension-gfm');
const {gfmFromMarkdown} = await load('mdast-util-gfm');
const {toString} = await load('mdast-util-to-string');

function jsxText(node) {
  // Text inside JSX elements (the children MDX parses as markdown) and inside plain elements.
  if (node.type === 'text') return node.value;
  if (node.type === 'element' && node.tagName === 'br') return '\n';
  return (node.children || []).map(jsxText).join(node.type === 'root' ? '\n' : '');
}

async function check(request) {
  if (request.mdx) {
    let hast = null;
    const capture = () => (tree) => {
      hast = structuredClone(tree);
    };
    await compile(request.source, {
      remarkPlugins: [remarkGfm, remarkDirective, ...(request.math ? [remarkMath] : [])],
      rehypePlugins: [capture],
    });
    return {text: jsxText(hast)};
  }
  const tree = fromMarkdown(request.source, {extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()]});
  return {text: toString(tree, {includeHtml: false})};
}

const lines = createInterface({input: process.stdin});
for await (const line of lines) {
  const request = JSON.parse(line);
  let answer;
  try {
    answer = {id: request.id, ok: true, ...(await check(request))};
  } catch (error) {
    answer = {id: request.id, ok: false, error: String(error && error.message ? error.message : error)};
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
