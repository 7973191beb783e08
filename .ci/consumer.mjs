// The package as a consumer meets it: the `npm pack` tarball (not the source) installed in a
// fresh project, type-checked with `strict` and `skipLibCheck: false` under NodeNext ESM,
// NodeNext CommonJS and Bundler resolution, on the oldest TypeScript the package claims
// (peerDependencies) and on the version it is built with. The same programs check
// .ci/consumer/main.ts and every ```ts block of README.md (doc tests, see readme-doctest.mjs).
// Needs `npm run build` first. Usage: node .ci/consumer.mjs [--keep]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDoctests, extractBlocks, measureCorpus, selfTest } from './readme-doctest.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
const started = performance.now();

// The oldest TypeScript is the lower bound of the peer range, tested at its last patch.
const OLDEST = '5.4.5';
const peer = pkg.peerDependencies?.typescript ?? '';
if (peer !== `>=${OLDEST.split('.').slice(0, 2).join('.')}`) {
  throw new Error(`package.json peerDependencies.typescript is '${peer}', the matrix tests ${OLDEST}: keep them in step`);
}
const CURRENT = pkg.devDependencies.typescript;
const versions = [
  { label: `typescript ${OLDEST}`, module: 'typescript-oldest' },
  { label: `typescript ${CURRENT}`, module: 'typescript' },
];

const work = mkdtempSync(path.join(os.tmpdir(), 'shapeflow-consumer-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const tarball = path.join(work, run('npm', ['pack', '--silent', '--pack-destination', work], repo).trim().split('\n').pop());
writeFileSync(path.join(work, 'package.json'), JSON.stringify({
  name: 'shapeflow-consumer', private: true,
  dependencies: {
    shapeflow: `file:${tarball}`,
    'fast-check': pkg.devDependencies['fast-check'], // the optional peer of shapeflow/testing
    typescript: CURRENT,
    'typescript-oldest': `npm:typescript@${OLDEST}`,
  },
}, null, 2));
run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent'], work);

// One folder per resolution mode; the package.json `type` decides ESM vs CommonJS for NodeNext.
const base = { strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', lib: ['ES2023'], types: [] };
const modes = [
  { name: 'NodeNext ESM', dir: 'esm', type: 'module', options: { module: 'NodeNext', moduleResolution: 'NodeNext' } },
  { name: 'NodeNext CommonJS', dir: 'cjs', type: 'commonjs', options: { module: 'NodeNext', moduleResolution: 'NodeNext' } },
  { name: 'Bundler', dir: 'bundler', type: 'module', options: { module: 'ESNext', moduleResolution: 'Bundler' } },
];
const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
selfTest();
const blocks = extractBlocks(readme);
// The corpus of wrong programs goes into the ESM project only, with its own file names.
const corpus = extractBlocks(readFileSync(path.join(repo, 'test/error-corpus.md'), 'utf8')).map((b) => ({ ...b, file: b.file.replace('readme-', 'corpus-') }));
for (const m of modes) {
  const dir = path.join(work, m.dir);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: m.type }));
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...base, ...m.options }, include: ['*.ts'] }, null, 2));
  cpSync(path.join(repo, '.ci/consumer/main.ts'), path.join(dir, 'main.ts'));
  for (const b of blocks) writeFileSync(path.join(dir, b.file), b.source);
  if (m.dir === 'esm') for (const b of corpus) writeFileSync(path.join(dir, b.file), b.source);
}

const require = createRequire(path.join(work, 'package.json'));
const results = [];
for (const v of versions) {
  const ts = require(v.module);
  for (const m of modes) {
    const t0 = performance.now();
    const dir = path.join(work, m.dir);
    const config = ts.getParsedCommandLineOfConfigFile(path.join(dir, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
    const program = ts.createProgram(config.fileNames, config.options);
    const failures = checkDoctests(ts, program, dir, blocks);
    if (m.dir === 'esm') failures.push(...reportCorpus(ts, program, dir, v.label));
    // Which declaration entry the mode resolved (index.d.ts for import, index.d.cts for require).
    const entry = program.getSourceFiles().map((sf) => sf.fileName).filter((f) => /node_modules\/shapeflow\/dist\/(index|testing)\.d\.c?ts$/.test(f)).map((f) => path.basename(f)).join(' + ');
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    results.push({ version: v.label, mode: m.name, entry, failures, seconds });
    console.log(`${failures.length === 0 ? 'ok  ' : 'FAIL'} ${v.label} (${ts.version}), ${m.name}: shapeflow → ${entry}, main.ts + ${blocks.length} README blocks, ${seconds} s`);
    for (const f of failures) console.log(`     ${f}`);
  }
}

/** Prints the corpus measures; every wrong program must be rejected. */
function reportCorpus(ts, program, dir, label) {
  const rows = measureCorpus(ts, program, dir, corpus);
  const share = (f) => `${rows.filter(f).length}/${rows.length}`;
  const lengths = rows.filter((r) => r.rejected).map((r) => r.length).sort((a, b) => a - b); // of the rejected ones
  const median = lengths.length % 2 ? lengths[(lengths.length - 1) / 2] : (lengths[lengths.length / 2 - 1] + lengths[lengths.length / 2]) / 2;
  console.log(`     error corpus (${label}): ${rows.length} wrong programs, rejected ${share((r) => r.rejected)}, first error on the offending line ${share((r) => r.onLine)}, naming a rule with expected vs actual ${share((r) => r.namesRule)}, message length median ${median} / max ${lengths.at(-1)}`);
  if (process.argv.includes('--corpus')) for (const r of rows) console.log(`       test/error-corpus.md:${r.fence} ${r.onLine ? 'line' : '    '} ${r.namesRule ? 'rule' : '    '} ${String(r.length).padStart(5)}  ${r.text.slice(0, 160)}`);
  return rows.filter((r) => !r.rejected).map((r) => `test/error-corpus.md:${r.fence}: a wrong program that compiles`);
}

if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
else console.log(`consumer kept in ${work}`);
const failed = results.filter((r) => r.failures.length > 0).length;
console.log(`consumer matrix: ${((performance.now() - started) / 1000).toFixed(0)} s`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
