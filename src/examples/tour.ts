/**
 * `npm run tour`: runs every example of the study-guide tour on its bundled data, with a
 * progress bar per training run, prints a results table, and writes
 * tour-report/index.html (plots as SVG) and tour-report/metrics.json.
 *
 *   npm run tour                      all examples, full size (targets checked)
 *   npm run tour -- --quick           tiny epochs, targets "not checked (quick)" (CI)
 *   npm run tour -- --only cnn-digits,lstm-airpassengers
 *   npm run tour -- --only textcnn-wordnet --data my-labels.csv
 *   npm run tour -- --only cnn-mnist --data images-idx3-ubyte.gz --labels labels-idx1-ubyte.gz
 *   npm run tour -- --only lstm-airpassengers --data co2.csv --period 12
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { verdict, type Example, type ExampleContext, type ExampleResult, type TrainProgress } from './example';
import { examples } from './registry';

interface Args {
  only: string[] | null;
  data?: string;
  labels?: string;
  period?: number;
  quick: boolean;
  out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { only: null, quick: false, out: 'tour-report' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a === '--only') args.only = next().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--data') args.data = resolve(next());
    else if (a === '--labels') args.labels = resolve(next());
    else if (a === '--period') {
      const v = next();
      const p = Number(v);
      if (!Number.isInteger(p) || p < 2) throw new Error(`--period needs an integer of at least 2, got '${v}'`);
      args.period = p;
    }
    else if (a === '--out') args.out = next();
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run tour -- [--quick] [--only id1,id2] [--data file [--labels idx-file] [--period n]] [--out dir]\n');
      process.exit(0);
    } else throw new Error(`unknown argument '${a}' (try --help)`);
  }
  return args;
}

function progressFactory(): (title: string, total: number) => TrainProgress {
  const tty = Boolean(process.stderr.isTTY);
  return (title, total) => {
    const bar = new cliProgress.SingleBar(
      {
        format: `${title.padEnd(34)} {bar} {value}/{total} | {metrics} | ETA {eta_formatted}`,
        stream: process.stderr,
        noTTYOutput: !tty,
        notTTYSchedule: 2000,
        hideCursor: tty,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { metrics: '' });
    return {
      update(done, values) {
        const metrics = Object.entries(values)
          .map(([k, v]) => `${k} ${Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4)}`)
          .join('  ');
        bar.update(done, { metrics });
      },
      stop() {
        bar.stop();
      },
    };
  };
}

interface Row {
  example: Example;
  result: ExampleResult | null;
  error: string | null;
  seconds: number;
  log: string[];
}

async function renderSvg(spec: object): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  // cast: our specs are built as plain objects; vega-lite's TopLevelSpec union is too wide to spell here
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number | null) => (v === null ? '—' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4));

async function writeReport(rows: readonly Row[], args: Args): Promise<void> {
  mkdirSync(args.out, { recursive: true });
  const metrics: Record<string, unknown> = {};
  const sections: string[] = [];
  for (const r of rows) {
    const res = r.result;
    const v = res ? verdict(res, args.quick) : 'error';
    metrics[r.example.id] = {
      metric: res?.metric ?? 'error',
      value: res?.value ?? Number.NaN,
      target: res?.target ?? null,
      baseline: res?.baseline ?? null,
      passed: v === 'yes' ? true : v === 'NO' || v === 'error' ? false : null, // null: no target was checked
      verdict: v,
      seconds: Number(r.seconds.toFixed(2)),
    };
    const plots: string[] = [];
    for (const p of res?.plots ?? []) {
      try {
        plots.push(`<figure><figcaption>${esc(p.title)}</figcaption>${await renderSvg(p.spec)}</figure>`);
      } catch (e) {
        plots.push(`<p class="err">plot '${esc(p.title)}' failed: ${esc(String(e))}</p>`);
      }
    }
    const details = res?.details ? Object.entries(res.details).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(typeof v === 'number' ? fmt(v) : v)}</td></tr>`).join('') : '';
    sections.push(`<section id="${r.example.id}">
<h2>${esc(r.example.title)} <small>${r.example.id}</small></h2>
<p>${esc(r.example.description)}</p>
${r.error ? `<p class="err">failed: ${esc(r.error)}</p>` : ''}
${res ? `<table><tr><td>${esc(res.metric)}</td><td><b>${fmt(res.value)}</b></td></tr><tr><td>target</td><td>${fmt(res.target)}</td></tr><tr><td>passed</td><td>${v}</td></tr><tr><td>${esc(res.baselineName ?? 'baseline')}</td><td>${fmt(res.baseline)}</td></tr>${details}<tr><td>seconds</td><td>${r.seconds.toFixed(1)}</td></tr></table>` : ''}
<div class="plots">${plots.join('\n')}</div>
${[...r.log, ...(res?.notes ?? [])].length ? `<pre>${esc([...r.log, ...(res?.notes ?? [])].join('\n'))}</pre>` : ''}
</section>`);
  }
  writeFileSync(join(args.out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  writeFileSync(
    join(args.out, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>shapeflow tour</title><style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
section{border-top:1px solid #ddd;padding:1em 0}small{color:#888;font-weight:normal}
table{border-collapse:collapse}td{padding:2px 10px;border-bottom:1px solid #eee}
.plots{display:flex;flex-wrap:wrap;gap:1.5em}figure{margin:0}figcaption{font-weight:600;margin-bottom:.3em}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto;white-space:pre-wrap}.err{color:#b00}
</style></head><body><h1>shapeflow tour${args.quick ? ' (quick)' : ''}</h1>
<p>Generated ${new Date().toISOString()}. ${rows.length} examples.</p>
${sections.join('\n')}
</body></html>\n`,
  );
}

function table(rows: readonly Row[], quick: boolean): string {
  const head = ['example', 'metric', 'value', 'target', 'baseline', 'passed', 'seconds'];
  const body = rows.map((r) => [
    r.example.id,
    r.result?.metric ?? 'error',
    r.result ? fmt(r.result.value) : r.error ?? '',
    fmt(r.result?.target ?? null),
    fmt(r.result?.baseline ?? null),
    r.result ? verdict(r.result, quick) : 'ERROR',
    r.seconds.toFixed(1),
  ]);
  const all = [head, ...body];
  const w = head.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  return all.map((row, i) => row.map((cell, c) => cell.padEnd(w[c]!)).join('  ') + (i === 0 ? '\n' + w.map((n) => '-'.repeat(n)).join('  ') : '')).join('\n');
}

export async function runTour(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const ids = examples.map((e) => e.id);
  const unknown = (args.only ?? []).filter((id) => !ids.includes(id));
  if (unknown.length) throw new Error(`unknown example(s): ${unknown.join(', ')}; known: ${ids.join(', ')}`);
  const chosen = examples.filter((e) => args.only === null || args.only.includes(e.id));
  if (args.data && chosen.length !== 1) throw new Error('--data needs exactly one example in --only');
  if ((args.labels !== undefined || args.period !== undefined) && args.data === undefined) throw new Error('--labels and --period go with a --data file');
  const dataDir = join(dirname(fileURLToPath(import.meta.url)), 'data');
  const progress = progressFactory();
  const rows: Row[] = [];
  const t0 = performance.now();
  for (const ex of chosen) {
    const log: string[] = [];
    const ctx: ExampleContext = {
      quick: args.quick,
      ...(args.data ? { dataFile: args.data } : {}),
      ...(args.labels ? { labelsFile: args.labels } : {}),
      ...(args.period ? { period: args.period } : {}),
      dataDir,
      progress,
      log: (line) => {
        log.push(line);
        process.stderr.write(`  ${line}\n`);
      },
    };
    process.stderr.write(`\n▶ ${ex.id}: ${ex.title}\n`);
    const start = performance.now();
    try {
      const result = await ex.run(ctx);
      rows.push({ example: ex, result, error: null, seconds: (performance.now() - start) / 1000, log });
    } catch (e) {
      rows.push({ example: ex, result: null, error: e instanceof Error ? e.message : String(e), seconds: (performance.now() - start) / 1000, log });
      process.stderr.write(`  ✗ ${ex.id} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    }
  }
  await writeReport(rows, args);
  process.stdout.write(`\n${table(rows, args.quick)}\n\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s — report: ${join(args.out, 'index.html')}\n`);
  return rows.some((r) => r.error !== null) ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runTour(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}
