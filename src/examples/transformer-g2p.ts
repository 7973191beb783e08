/**
 * transformer-g2p: an encoder–decoder Transformer that reads a word's spelling letter by letter
 * and writes its ARPAbet pronunciation phoneme by phoneme (CMUdict, 10k words, shuffled 90/10
 * split). Training is teacher-forced (the decoder sees BOS + the true phonemes so far) with a
 * masked cross-entropy that ignores padding; testing decodes greedily from BOS until EOS, so the
 * model has to live with its own mistakes. The metric is the phoneme error rate (edit distance
 * / reference length over the test words); the last decoder layer's cross-attention shows which
 * letters each phoneme was read from.
 */
import { join } from 'node:path';
import { either as E } from 'fp-ts';
import { Vocabulary, charTokenize, type Array2D, editDistance, padSequences, parseTsvPairs, phonemeErrorRate, trainTestSplitShuffled } from '../data';
import { readTextFileEither } from '../data/node';
import { transformer } from '../nn/layers/transformer';
import { maskedSparseCategoricalCrossEntropy } from '../nn/losses';
import { valueAndGrad } from '../autodiff/transforms';
import { jit } from '../autodiff/jit';
import { notEqual } from '../ops/elementwise';
import { adam, applyUpdates, chain, clipByGlobalNorm, warmupCosineDecay } from '../optim';
import { foldIn, key, permutationArray, type Key } from '../random';
import { makeTensor, type Tensor } from '../tensor/tensor';
import type { Example, ExampleContext, ExamplePlot, ExampleResult } from './example';
import { heatmap, lines } from './plots';

// ---------------------------------------------------------------------------------------------
// Data

/** word → phoneme sequence */
export interface G2pPair {
  readonly word: string;
  readonly letters: readonly string[];
  readonly phonemes: readonly string[];
}

export const G2P_FORMAT =
  'word<TAB>phonemes lines (UTF-8), phonemes separated by spaces, e.g. "abel<TAB>EY1 B AH0 L"; an optional first ' +
  "line 'word<TAB>phonemes' is a header; '# comments' (at a line start or after a space) and blank lines are " +
  'ignored. Words are lower-cased and read letter by letter. At least 20 pairs; a shuffled 90/10 split (key 2024) ' +
  'trains and tests.';

/** Parses a word<TAB>phonemes file (header and comments dropped). */
export function parseG2p(text: string, source: string): G2pPair[] {
  const parsed = parseTsvPairs(text);
  if (E.isLeft(parsed)) throw new Error(`${source}: ${parsed.left.message}`);
  const rows = parsed.right.pairs;
  const first = rows[0];
  const skip = first !== undefined && first[0].toLowerCase() === 'word' && first[1].toLowerCase() === 'phonemes' ? 1 : 0;
  return rows.slice(skip).map(([w, p]) => ({ word: w.toLowerCase(), letters: charTokenize(w, { lowercase: true }), phonemes: p.split(/\s+/) }));
}

function loadPairs(ctx: ExampleContext): { pairs: G2pPair[]; source: string } {
  const path = ctx.dataFile ?? join(ctx.dataDir, 'seq2seq', 'cmudict-g2p-10k.tsv');
  const text = readTextFileEither(path);
  if (E.isLeft(text)) throw new Error(text.left.message);
  const pairs = parseG2p(text.right, path);
  if (pairs.length < 20) throw new Error(`${path}: ${pairs.length} word<TAB>phonemes pairs; at least 20 are needed for a 90/10 split`);
  return { pairs, source: path };
}

export const BOS = '<s>';
export const EOS = '</s>';

/** Token ids of the split, and the two vocabularies (built on the training words only). */
export interface G2pData {
  readonly train: readonly G2pPair[];
  readonly test: readonly G2pPair[];
  /** letters: <pad> = 0, <unk> = 1, then by frequency */
  readonly src: Vocabulary;
  /** phonemes: <pad> = 0, <unk> = 1, <s> = 2, </s> = 3, then by frequency */
  readonly tgt: Vocabulary;
  readonly bosId: number;
  readonly eosId: number;
  /** longest source, and longest target + 1 (BOS or EOS), over both parts */
  readonly maxLen: number;
}

export function prepareG2p(pairs: readonly G2pPair[], splitKey: Key): G2pData {
  const s = trainTestSplitShuffled(pairs.length, 0.9, (n) => permutationArray(splitKey, n));
  const train = Array.from(s.train, (i) => pairs[i]!);
  const test = Array.from(s.test, (i) => pairs[i]!);
  const src = Vocabulary.build(train.map((p) => p.letters));
  const phon = Vocabulary.build(train.map((p) => p.phonemes));
  const tgt = Vocabulary.fromList([BOS, EOS, ...phon.tokens.slice(2)]);
  const maxLen = pairs.reduce((m, p) => Math.max(m, p.letters.length, p.phonemes.length + 1), 1);
  return { train, test, src, tgt, bosId: tgt.idOf(BOS), eosId: tgt.idOf(EOS), maxLen };
}

type Ids = Tensor<[number, number], 'int32'>;
const ids = (m: Array2D<Int32Array>): Ids => makeTensor([m.shape[0], m.shape[1]], 'int32', m.data);

/** A padded batch: source letters, decoder input (BOS + phonemes) and output (phonemes + EOS). */
export interface G2pBatch {
  readonly src: Ids;
  readonly tin: Ids;
  readonly tout: Ids;
}

export function makeBatch(d: G2pData, rows: readonly G2pPair[]): G2pBatch {
  const post = { padding: 'post' } as const;
  const ph = rows.map((p) => Array.from(d.tgt.encode(p.phonemes)));
  return {
    src: ids(padSequences(rows.map((p) => d.src.encode(p.letters)), undefined, post)),
    tin: ids(padSequences(ph.map((x) => [d.bosId, ...x]), undefined, post)),
    tout: ids(padSequences(ph.map((x) => [...x, d.eosId]), undefined, post)),
  };
}

/**
 * One epoch's batches: a keyed shuffle, then sorted by spelling length within windows of 16
 * batches (less padding per batch), and the batches themselves in a keyed order.
 */
export function epochBatches(n: number, batchSize: number, lengthOf: (i: number) => number, k: Key): number[][] {
  const order = Array.from(permutationArray(foldIn(k, 0), n));
  const window = batchSize * 16;
  const batches: number[][] = [];
  for (let w = 0; w < n; w += window) {
    const part = order.slice(w, w + window).sort((a, b) => lengthOf(a) - lengthOf(b));
    for (let b = 0; b < part.length; b += batchSize) batches.push(part.slice(b, b + batchSize));
  }
  const shuffle = permutationArray(foldIn(k, 1), batches.length);
  return Array.from(shuffle, (i) => batches[i]!);
}

// ---------------------------------------------------------------------------------------------
// Model, training, decoding

export interface G2pSettings {
  readonly steps: number;
  readonly batchSize: number;
  readonly peakLearningRate: number;
  readonly warmupSteps: number;
  /** teacher-forced test loss this many times during training (for the loss plot) */
  readonly evalPoints: number;
  /** test words decoded (all when larger) */
  readonly testWords: number;
  /** training words decoded to report the train PER */
  readonly trainProbe: number;
  readonly seed: number;
}

// Chosen by measured PER per CPU second (300 test words, ~85 CPU s each): width 64 post-norm with
// batches of 64 reached 0.30, width 64 / batch 32 0.26, width 32 / batch 32 0.24, and width 32
// pre-norm with a higher peak rate 0.23; a third layer pair or width 48 did not pay for its cost.
export const FULL: G2pSettings = { steps: 2500, batchSize: 32, peakLearningRate: 6e-3, warmupSteps: 250, evalPoints: 6, testWords: Infinity, trainProbe: 300, seed: 7 };
export const QUICK: G2pSettings = { steps: 8, batchSize: 32, peakLearningRate: 6e-3, warmupSteps: 2, evalPoints: 2, testWords: 48, trainProbe: 16, seed: 7 };

/** The model: 2 encoder + 2 decoder pre-norm layers of width 32 with 4 heads (vocabularies from the data). */
export function g2pModel(srcVocab: number, tgtVocab: number, maxLen: number) {
  return transformer({ srcVocab, tgtVocab, maxLen, dModel: 32, numHeads: 4, ffDim: 128, numEncoderLayers: 2, numDecoderLayers: 2, normFirst: true, dropout: 0 });
}
export type G2pModel = ReturnType<typeof g2pModel>;
export type G2pParams = ReturnType<G2pModel['init']>;

const PAD = Vocabulary.PAD_ID;

export interface G2pTraining {
  readonly params: G2pParams;
  readonly stepLoss: number[];
  /** [step, teacher-forced test loss] */
  readonly testLoss: [number, number][];
  readonly cpuSeconds: number;
}

/** masked cross-entropy of the teacher-forced logits: padding positions weigh nothing */
function batchLoss(model: G2pModel, p: G2pParams, b: G2pBatch) {
  const logits = model.forward(p, b.src, b.tin, { srcPadId: PAD, tgtPadId: PAD });
  return maskedSparseCategoricalCrossEntropy(logits, b.tout, notEqual(b.tout, PAD));
}

/** Mean teacher-forced loss per target token over `rows` (batches of 256). */
function meanLoss(model: G2pModel, p: G2pParams, d: G2pData, rows: readonly G2pPair[]): number {
  let total = 0;
  let tokens = 0;
  for (let i = 0; i < rows.length; i += 256) {
    const part = rows.slice(i, i + 256);
    const n = part.reduce((s, r) => s + r.phonemes.length + 1, 0);
    total += batchLoss(model, p, makeBatch(d, part)).item() * n;
    tokens += n;
  }
  return total / tokens;
}

export async function trainG2p(model: G2pModel, d: G2pData, s: G2pSettings, ctx: Pick<ExampleContext, 'progress'>, testRows: readonly G2pPair[]): Promise<G2pTraining> {
  const cpu0 = process.cpuUsage();
  const root = key(s.seed);
  let params = model.init(foldIn(root, 0));
  const optimizer = chain(
    clipByGlobalNorm(1),
    adam({ learningRate: warmupCosineDecay({ peak: s.peakLearningRate, warmupSteps: s.warmupSteps, decaySteps: s.steps, end: s.peakLearningRate / 20 }) }),
  );
  let state = optimizer.init(params);
  // the whole training step, a pure function (the batch is an argument): jit traces it once per
  // padded batch shape; params and optimizer state are donated (written over by the new ones)
  const lossAndGrad = valueAndGrad((p: G2pParams, b: G2pBatch) => batchLoss(model, p, b));
  const step = jit(
    (p: G2pParams, o: typeof state, b: G2pBatch) => {
      const [loss, grads] = lossAndGrad(p, b);
      const [updates, o2] = optimizer.update(grads, o, p);
      return [loss, applyUpdates(p, updates), o2] as const;
    },
    { donate: [0, 1] },
  );
  const bar = ctx.progress('transformer-g2p (steps)', s.steps);
  const stepLoss: number[] = [];
  const testLoss: [number, number][] = [];
  const evalEvery = Math.max(1, Math.round(s.steps / s.evalPoints));
  let queue: number[][] = [];
  let epoch = 0;
  for (let t = 0; t < s.steps; t++) {
    if (queue.length === 0) queue = epochBatches(d.train.length, s.batchSize, (i) => d.train[i]!.letters.length, foldIn(foldIn(root, 1), epoch++));
    const batch = makeBatch(d, queue.shift()!.map((i) => d.train[i]!));
    const [loss, nextParams, next] = step(params, state, batch);
    params = nextParams;
    state = next;
    stepLoss.push(loss.item());
    if ((t + 1) % evalEvery === 0 || t + 1 === s.steps) testLoss.push([t + 1, meanLoss(model, params, d, testRows)]);
    if ((t + 1) % 10 === 0 || t + 1 === s.steps) {
      const recent = stepLoss.slice(-10);
      bar.update(t + 1, { loss: recent.reduce((a, b) => a + b, 0) / recent.length, 'test loss': testLoss.at(-1)?.[1] ?? Number.NaN });
      await new Promise<void>((r) => setImmediate(r)); // let the progress bar draw
    }
  }
  bar.stop();
  const cpu = process.cpuUsage(cpu0);
  return { params, stepLoss, testLoss, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Phoneme strings of generated ids: up to (not including) EOS. */
function tokensOf(d: G2pData, row: ArrayLike<number>, length: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < length; i++) {
    const id = row[i]!;
    if (id === d.eosId) break;
    out.push(d.tgt.tokens[id] ?? '<unk>');
  }
  return out;
}

/**
 * Decodings of `rows` (batched by spelling length): greedy, or sampled from softmax(logits / T)
 * with sampleDecode (keyed per batch).
 */
export function decodeAll(model: G2pModel, p: G2pParams, d: G2pData, rows: readonly G2pPair[], sampling?: { readonly temperature: number; readonly key: Key }): string[][] {
  const order = rows.map((_, i) => i).sort((a, b) => rows[a]!.letters.length - rows[b]!.letters.length);
  const out: string[][] = new Array(rows.length);
  const n = d.maxLen;
  for (let i = 0; i < order.length; i += 200) {
    const idx = order.slice(i, i + 200);
    const { src } = makeBatch(d, idx.map((j) => rows[j]!));
    const opts = { bosId: d.bosId, eosId: d.eosId, maxLen: n, srcPadId: PAD, padId: PAD };
    const r = sampling === undefined ? model.greedyDecode(p, src, opts) : model.sampleDecode(p, src, { ...opts, temperature: sampling.temperature, key: foldIn(sampling.key, i) });
    const data = r.ids.dataSync();
    idx.forEach((j, b) => (out[j] = tokensOf(d, data.subarray(b * n, (b + 1) * n), r.lengths[b]!)));
  }
  return out;
}

/** The last decoder layer's cross-attention for one word, averaged over heads: [phonemes + EOS] × letters. */
export function attentionMap(model: G2pModel, p: G2pParams, d: G2pData, pair: G2pPair): { matrix: number[][]; rows: string[]; cols: string[] } {
  const { src } = makeBatch(d, [pair]);
  const n = d.maxLen;
  const r = model.greedyDecode(p, src, { bosId: d.bosId, eosId: d.eosId, maxLen: n, returnWeights: true });
  const [, heads, , ls] = r.crossAttention.shape;
  const w = r.crossAttention.dataSync();
  const len = r.lengths[0]!;
  const outIds = r.ids.dataSync();
  const matrix = Array.from({ length: len }, (_, q) =>
    Array.from({ length: ls }, (_, j) => {
      let s = 0;
      for (let h = 0; h < heads; h++) s += w[(h * n + q) * ls + j]!;
      return s / heads;
    }),
  );
  const rows = Array.from({ length: len }, (_, q) => `${q + 1} ${d.tgt.tokens[outIds[q]!] ?? '?'}`);
  const cols = pair.letters.map((c, j) => `${j + 1} ${c}`);
  return { matrix, rows, cols };
}

// ---------------------------------------------------------------------------------------------
// Baseline

/**
 * Nearest spelling: each test word is pronounced like the training word at the smallest
 * letter edit distance (first in training order on ties). Candidates are visited by growing
 * length difference, which bounds the distance from below.
 */
export function nearestSpelling(train: readonly G2pPair[], test: readonly G2pPair[]): (readonly string[])[] {
  // training indices grouped by word length, each group in training order
  const byLength = new Map<number, number[]>();
  train.forEach((p, i) => {
    const group = byLength.get(p.letters.length);
    if (group) group.push(i);
    else byLength.set(p.letters.length, [i]);
  });
  const longest = Math.max(...byLength.keys());
  return test.map((q) => {
    let best = Infinity;
    let bestIndex = 0;
    for (let gap = 0; gap < best && gap <= longest; gap++) {
      for (const len of gap === 0 ? [q.letters.length] : [q.letters.length - gap, q.letters.length + gap]) {
        for (const i of byLength.get(len) ?? []) {
          const dist = editDistance(q.letters, train[i]!.letters);
          if (dist < best || (dist === best && i < bestIndex)) {
            best = dist;
            bestIndex = i;
          }
        }
      }
    }
    return train[bestIndex]!.phonemes;
  });
}

// ---------------------------------------------------------------------------------------------
// The example

const withoutStress = (ps: readonly string[]) => ps.map((x) => x.replace(/[0-9]$/, ''));

async function run(ctx: ExampleContext): Promise<ExampleResult> {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { pairs, source } = loadPairs(ctx);
  const s = ctx.quick ? QUICK : FULL;
  const d = prepareG2p(pairs, key(2024));
  const test = Number.isFinite(s.testWords) ? d.test.slice(0, s.testWords) : d.test;
  ctx.log(`${source}: ${pairs.length} words, ${d.train.length} train / ${d.test.length} test (shuffled 90/10, key 2024); ${d.src.size} letter ids, ${d.tgt.size} phoneme ids (with <pad> <unk> <s> </s>), maxLen ${d.maxLen}`);

  const model = g2pModel(d.src.size, d.tgt.size, d.maxLen);
  const trained = await trainG2p(model, d, s, ctx, test);
  const params = trained.params;

  const refs = test.map((p) => p.phonemes);
  const hyps = decodeAll(model, params, d, test);
  const per = phonemeErrorRate(refs, hyps);
  const perNoStress = phonemeErrorRate(refs.map(withoutStress), hyps.map(withoutStress));
  const wordErr = refs.filter((r, i) => r.join(' ') !== hyps[i]!.join(' ')).length / refs.length;
  const probe = d.train.slice(0, s.trainProbe);
  const trainPer = phonemeErrorRate(probe.map((p) => p.phonemes), decodeAll(model, params, d, probe));
  // sampling at temperature 0 is greedy decoding exactly: checked on the first test words
  const checkRows = test.slice(0, 100);
  const t0 = decodeAll(model, params, d, checkRows, { temperature: 0, key: key(98) });
  const sampled0 = checkRows.map((_, i) => t0[i]!.join(' ') === hyps[i]!.join(' ')).filter(Boolean).length;
  const base = nearestSpelling(d.train, test);
  const basePer = phonemeErrorRate(refs, base);
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  ctx.log(
    `test PER ${per.toFixed(4)} (ignoring stress ${perNoStress.toFixed(4)}), word error ${wordErr.toFixed(4)}, train PER ${trainPer.toFixed(4)}; ` +
      `nearest-spelling baseline ${basePer.toFixed(4)}; training ${trained.cpuSeconds.toFixed(1)} CPU s, total ${cpuSeconds.toFixed(1)} CPU s / ${((performance.now() - wall0) / 1000).toFixed(1)} s wall`,
  );

  // samples: the first test words, and a few temperature-1 draws
  const samples = test.slice(0, 12).map((p, i) => ({ word: p.word, ref: p.phonemes.join(' '), hyp: hyps[i]!.join(' '), edits: editDistance(p.phonemes, hyps[i]!) }));
  const wW = Math.max(4, ...samples.map((x) => x.word.length));
  const wR = Math.max(9, ...samples.map((x) => x.ref.length));
  const table = [
    `${'word'.padEnd(wW)}  ${'reference'.padEnd(wR)}  greedy decoding (edits)`,
    ...samples.map((x) => `${x.word.padEnd(wW)}  ${x.ref.padEnd(wR)}  ${x.hyp} (${x.edits})`),
  ].join('\n');
  const hot = decodeAll(model, params, d, test.slice(0, 4), { temperature: 1, key: key(99) });
  const hotLines = test.slice(0, 4).map((p, i) => `${p.word}: ${hot[i]!.join(' ')}`).join('\n');

  // heat maps: the first two test words of 6+ letters decoded exactly (else the first two)
  const exact = test.filter((p, i) => p.letters.length >= 6 && hyps[i]!.join(' ') === p.phonemes.join(' '));
  const shown = (exact.length >= 2 ? exact : test).slice(0, ctx.quick ? 1 : 2);
  const maps: ExamplePlot[] = shown.map((p) => {
    const m = attentionMap(model, params, d, p);
    return {
      title: `Cross-attention of the last decoder layer (mean of heads) for '${p.word}': output phonemes (rows) × letters (columns)`,
      spec: heatmap(m.matrix, { rowLabels: m.rows, colLabels: m.cols, x: 'letter', y: 'phoneme written', cell: 26 }),
    };
  });

  // the loss curve in blocks of 10 steps (mean per block); test losses at their block
  const block = 10;
  const blocks = Math.ceil(trained.stepLoss.length / block);
  const trainCurve = Array.from({ length: blocks }, (_, i) => {
    const part = trained.stepLoss.slice(i * block, (i + 1) * block);
    return part.reduce((a, b) => a + b, 0) / part.length;
  });
  const testCurve = new Array<number>(blocks).fill(Number.NaN);
  trained.testLoss.forEach(([t, l]) => (testCurve[Math.ceil(t / block) - 1] = l));
  const xValues = Array.from({ length: blocks }, (_, i) => Math.min((i + 1) * block, trained.stepLoss.length));
  return {
    metric: 'test phoneme error rate',
    value: per,
    target: ctx.dataFile === undefined ? 0.35 : null,
    lowerIsBetter: true,
    baseline: basePer,
    baselineName: 'nearest training spelling (letter edit distance)',
    details: {
      'PER ignoring stress digits': perNoStress,
      'word error rate (any phoneme wrong)': wordErr,
      'train PER (first training words)': trainPer,
      'sampling at temperature 0 = greedy': `${sampled0}/${checkRows.length} words identical`,
      'final test loss (teacher forced)': trained.testLoss.at(-1)?.[1] ?? Number.NaN,
      'training steps × batch': `${s.steps} × ${s.batchSize}`,
      'training CPU seconds': Number(trained.cpuSeconds.toFixed(1)),
      'train / test words': `${d.train.length} / ${d.test.length}`,
    },
    plots: [
      {
        title: 'Masked cross-entropy per phoneme: training batches (mean of 10 steps) and the test words (teacher forced)',
        spec: lines({ train: trainCurve, test: testCurve }, { x: 'step', y: 'cross-entropy', xValues }),
      },
      ...maps,
    ],
    notes: [`Greedy decodings of the first test words:\n${table}`, `Sampled at temperature 1 (key 99):\n${hotLines}`],
  };
}

export const example: Example = {
  id: 'transformer-g2p',
  title: 'Transformer: spelling → ARPAbet pronunciation (CMUdict)',
  description:
    'An encoder–decoder Transformer (2 + 2 pre-norm layers, width 32, 4 heads) reads a word letter by letter and writes its ARPAbet ' +
    'phonemes (with stress digits), trained with teacher forcing and a cross-entropy masked on padding, then decodes ' +
    'greedily from <s> until </s>. Scored by the phoneme error rate on 1,000 held-out CMUdict words against the ' +
    'pronunciation of the nearest training spelling; the cross-attention heat map of the last decoder layer shows the ' +
    'letter-to-sound alignment the model found by itself.',
  dataFormat: G2P_FORMAT,
  run,
};
