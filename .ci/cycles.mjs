// Import circles among the source modules (type-only imports included: they tie modules as
// tightly for a reader, and bundlers' d.ts steps trip on them). Modules are resolved with
// TypeScript's own resolver and the project's tsconfig; circles are the strongly connected
// components of more than one module, or a module importing itself.
// Usage: node .ci/cycles.mjs [folder ...]   (default: src). Exits 1 when a circle is found.
import path from 'node:path';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const roots = (process.argv.length > 2 ? process.argv.slice(2) : ['src']).map((r) => path.resolve(repo, r));
const config = ts.getParsedCommandLineOfConfigFile(path.join(repo, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
const options = config.options;

const files = [];
const walk = (p) => {
  if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  else if (/\.(m|c)?tsx?$/.test(p) && !p.endsWith('.d.ts')) files.push(p);
};
roots.forEach(walk);
const inside = new Set(files);

const edges = new Map();
for (const f of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(f, 'utf8'), true, false);
  const out = new Set();
  for (const { fileName } of importedFiles) {
    const r = ts.resolveModuleName(fileName, f, options, ts.sys).resolvedModule;
    if (r !== undefined && inside.has(path.resolve(r.resolvedFileName))) out.add(path.resolve(r.resolvedFileName));
  }
  edges.set(f, out);
}

// Tarjan's strongly connected components (recursive: import chains are far shallower than the stack)
let counter = 0;
const index = new Map(), low = new Map(), stack = [], onStack = new Set(), circles = [];
function visit(v) {
  index.set(v, counter); low.set(v, counter); counter++;
  stack.push(v); onStack.add(v);
  for (const w of edges.get(v)) {
    if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) === index.get(v)) {
    const scc = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); scc.push(w); } while (w !== v);
    if (scc.length > 1 || edges.get(v).has(v)) circles.push(scc.map((p) => path.relative(repo, p)).sort());
  }
}
for (const f of files) if (!index.has(f)) visit(f);

const nEdges = [...edges.values()].reduce((s, e) => s + e.size, 0);
if (circles.length === 0) {
  console.log(`import circles: none among ${files.length} modules (${nEdges} imports) under ${roots.map((r) => path.relative(repo, r)).join(', ')}`);
} else {
  console.error(`import circles: ${circles.length}`);
  for (const c of circles) console.error(`  ${c.join(' <-> ')}`);
  process.exit(1);
}
