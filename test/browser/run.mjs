// The real-browser test (npm run test:browser; needs `npm run build`): the page script
// (page.mjs → train.mjs) is bundled by esbuild against the package's ESM build, served from
// 127.0.0.1 twice — plain, and cross-origin isolated (COOP/COEP headers) — and run by headless
// Chromium. The page posts its results back. Checks: both pages give bit for bit the MLP and
// CNN losses (and a pipelined sum) the ESM build gives in Node; the plain page runs on one
// thread and no worker chunk, the isolated one on more than one thread with chunks run by its
// Web Workers (which boot only if the page awaits startThreads: train.mjs does).
// A missing Chromium is a failure, not a skip (CI installs Debian's chromium: .ci/run).
// Usage: node test/browser/run.mjs   (CHROMIUM=/path/to/chrome picks the browser)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { train } from './train.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const PAGE_TIMEOUT_MS = 60_000;
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

function chromium() {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter(Boolean);
  for (const c of candidates) if (spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0) return c;
  throw new Error(`no Chromium found (tried ${candidates.join(', ')}): install it (Debian: apt-get install -y chromium) or set CHROMIUM`);
}

const entry = path.join(repo, 'dist/index.js');
if (!existsSync(entry)) throw new Error('dist/index.js is missing: run `npm run build` first');
const browser = chromium();
const work = mkdtempSync(path.join(os.tmpdir(), 'shapeflow-browser-'));

// 'shapeflow' resolved through node_modules, as in a consumer's project: a link to this package
mkdirSync(path.join(work, 'node_modules'));
symlinkSync(repo, path.join(work, 'node_modules/shapeflow'), 'dir');
const bundle = await esbuild.build({
  entryPoints: [path.join(here, 'page.mjs')],
  bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false,
  nodePaths: [path.join(work, 'node_modules')], logLevel: 'error',
});
const script = bundle.outputFiles[0].text;
console.log(`bundle: ${(script.length / 1024).toFixed(0)} KB (esbuild, no configuration beyond the entry)`);

const html = '<!doctype html><meta charset="utf-8"><title>shapeflow</title><script type="module" src="page.js"></script>';
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const waiting = new Map(); // mode → { resolve, reject }
const server = http.createServer((req, res) => {
  const [, mode, file] = req.url.split('/');
  const headers = mode === 'isolated' ? ISOLATION : {};
  if (req.method === 'POST' && waiting.has(mode)) {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      res.writeHead(204, headers).end();
      const w = waiting.get(mode);
      waiting.delete(mode);
      if (file === 'result') w.resolve(JSON.parse(body));
      else w.reject(new Error(`page (${mode}) failed: ${JSON.parse(body).message}`));
    });
    return;
  }
  if (file === '' || file === 'index.html') res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(html);
  else if (file === 'page.js') res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(script);
  else res.writeHead(404, headers).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

/** opens `${origin}/${mode}/` in a fresh headless Chromium and resolves to what the page posts */
async function runPage(mode) {
  const profile = mkdtempSync(path.join(work, `profile-${mode}-`));
  const result = new Promise((resolve, reject) => waiting.set(mode, { resolve, reject }));
  const proc = spawn(browser, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--disable-background-networking', `--user-data-dir=${profile}`, `${origin}/${mode}/`,
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true }); // its own process group: killed as one
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const gone = new Promise((r) => proc.on('exit', r));
  const exited = gone.then((code) => { throw new Error(`chromium exited (${code}) before the page (${mode}) reported:\n${stderr.slice(-2000)}`); });
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`page (${mode}) reported nothing in ${PAGE_TIMEOUT_MS / 1000} s`)), PAGE_TIMEOUT_MS)));
  try {
    return await Promise.race([result, exited, timeout]);
  } finally {
    clearTimeout(timer);
    exited.catch(() => {});
    if (proc.exitCode === null) process.kill(-proc.pid, 'SIGKILL');
    await gone;
  }
}

const started = performance.now();
let status = 0;
try {
  const sf = await import(pathToFileURL(entry).href);
  const node = await train(sf);
  console.log(`node:     threads ${node.threads}, worker chunks ${node.workerChunks}, backend ${node.backend}, ${node.ms.toFixed(0)} ms, values ${node.values.join(' ')}`);
  for (const mode of ['plain', 'isolated']) {
    const page = await runPage(mode);
    console.log(`${mode.padEnd(9)} threads ${page.threads}, worker chunks ${page.workerChunks}, backend ${page.backend}, crossOriginIsolated ${page.crossOriginIsolated}, ${page.ms.toFixed(0)} ms, values ${page.values.join(' ')}`);
    const same = page.values.length === node.values.length && page.values.every((v, i) => Object.is(v, node.values[i]));
    check(same, `${mode}: the ${node.values.length} values (MLP and CNN losses, a pipelined sum) equal Node's bit for bit`);
    check(page.backend === 'wasm', `${mode}: the wasm backend runs (got ${page.backend})`);
    if (mode === 'plain') {
      check(page.crossOriginIsolated === false && page.threads === 1 && page.workerChunks === 0, 'plain: not isolated, one thread, no worker chunks');
    } else {
      check(page.crossOriginIsolated === true && page.threads > 1 && page.workerChunks > 0, `isolated: ${page.threads} threads, ${page.workerChunks} chunks run by Web Workers`);
    }
  }
} catch (e) {
  console.error(e);
  status = 1;
} finally {
  server.close();
  rmSync(work, { recursive: true, force: true, maxRetries: 5 });
}
if (failures.length > 0) status = 1;
console.log(`browser test: ${status === 0 ? 'passed' : 'FAILED'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(status);
