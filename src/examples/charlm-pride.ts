/**
 * charlm-pride: a character-level LSTM language model on Pride and Prejudice, against the
 * n-gram models of ngram-pride on the same 90/10 split (./pride-common).
 *
 * Model: embedding(V, 32) → LSTM(128) → dense(V) over character ids, trained by truncated
 * backpropagation through time: the training text is cut into `batch` contiguous streams read
 * side by side, `seqLen` characters per step, and the LSTM state is carried from one chunk
 * to the next (lstmScan takes and returns it) so the model sees context across chunk edges.
 *
 * Choices, by validation bits/char reached per CPU second (about 70 s of training: less than
 * one pass over the text, so learning speed is everything). Numbers are on the first 10k
 * validation characters after ~930 steps unless noted:
 * - batch 16 × 32 characters: the fused LSTM runs at the same characters/second at batch 16
 *   as at 64, so small batches buy more updates (at 60 s, 32 × 64 reached 2.73, 16 × 32
 *   2.36); 8 × 32 ran slower per character and ended 0.07 higher.
 * - embeddings start U(-1, 1), not Keras' U(-0.05, 0.05): tiny inputs leave the LSTM
 *   nothing to read for the first hundreds of steps (1.96 vs 2.03; U(-2, 2) 1.97).
 * - the output bias starts at the log unigram frequencies, so training starts at the
 *   unigram's 4.5 bits/char instead of log2(V) ≈ 6.3 (2.19 vs 2.47 after 600 steps).
 * - Adam, peak 2e-2 cosine-decayed to 2e-3, gradients clipped to global norm 5 (peaks
 *   7e-3 / 1e-2 / 1.5e-2 / 2e-2 / 3e-2: 2.04 / 1.96 / 1.93 / 1.91 / 1.93).
 * - LSTM(128): LSTM(96) with about the same CPU time ended 0.01 higher on the whole
 *   validation text, a GRU(128) 0.15 higher; embeddings of 64 cost 13% more per step for
 *   no clear gain (1.929 after 1000 steps vs 1.934 after 930).
 * Evaluation: 32 parts of the validation text side by side, each reading the 64 characters
 * before it first, gives the single-stream carried-state value to 1e-5 (1.93360 both) in a
 * quarter of the CPU time (3.9 s vs 13.8 s); without that burn-in it is 0.003 higher.
 */
import type { Example, ExampleContext, ExampleResult } from './example';
import { bars, lines } from './plots';
import { loadText, promptFrom, splitText } from './pride-common';
import { NGramModel } from '../data/ngram';
import { sampleTemperature } from '../data/sampling';
import { Vocabulary, charTokenize } from '../data/text';
import { embedding, uniformInit } from '../nn/layers/embedding';
import { lstm, lstmScan, type LstmState } from '../nn/layers/recurrent';
import { dense } from '../nn/layers/core';
import { applyLayer, initLayer } from '../nn/layer';
import { keys } from '../nn/init';
import { sparseCategoricalCrossEntropy } from '../nn/losses';
import { valueAndGrad } from '../autodiff/transforms';
import { jit } from '../autodiff/jit';
import { treeLeaves } from '../autodiff/pytree';
import { adam, applyUpdates, chain, clipByGlobalNorm, cosineDecay } from '../optim';
import { foldIn, key, uniformArray, type Key } from '../random';
import { concreteData, makeTensor, type Tensor } from '../tensor/tensor';

const TEMPERATURES = [0, 0.5, 1, 1.5] as const;
const NGRAM_ORDERS = [3, 4, 5] as const;
const ORDER_NAMES: Record<(typeof NGRAM_ORDERS)[number], string> = { 3: 'trigram', 4: '4-gram', 5: '5-gram' };

export interface CharLmSettings {
  readonly embed: number;
  readonly hidden: number;
  /** parallel streams through the training text */
  readonly batch: number;
  /** characters per stream per step (the truncated-BPTT length); the state carries over */
  readonly seqLen: number;
  readonly steps: number;
  /** peak Adam learning rate, cosine-decayed to a tenth over the steps */
  readonly learningRate: number;
  readonly clipNorm: number;
  /** a validation-curve point every this many steps (and at step 0) */
  readonly evalEvery: number;
  /** the curve uses the first this many validation characters (the final number uses all) */
  readonly curveChars: number;
  /** streams of the batched evaluation, and the context each stream reads first (not scored) */
  readonly evalStreams: number;
  readonly burnIn: number;
  readonly sampleLength: number;
  /** characters of the text used (quick runs: the start only, same split rule) */
  readonly maxChars: number;
  readonly seed: number;
}

export const FULL: CharLmSettings = {
  embed: 32,
  hidden: 128,
  batch: 16,
  seqLen: 32,
  steps: 2400,
  learningRate: 2e-2,
  clipNorm: 5,
  evalEvery: 300,
  curveChars: 8192,
  evalStreams: 32,
  burnIn: 64,
  sampleLength: 300,
  maxChars: Infinity,
  seed: 17,
};

export const QUICK: CharLmSettings = {
  embed: 16,
  hidden: 48,
  batch: 8,
  seqLen: 16,
  steps: 100,
  learningRate: 2e-2,
  clipNorm: 5,
  evalEvery: 50,
  curveChars: 1024,
  evalStreams: 8,
  burnIn: 16,
  sampleLength: 60,
  maxChars: 60_000,
  seed: 17,
};

type Ids = Tensor<[number, number], 'int32'>;
type State = LstmState<number, number>;

const ids = (b: number, t: number, data: Int32Array): Ids => makeTensor([b, t], 'int32', data);
const zeros = (b: number, h: number) => makeTensor<[number, number], 'float32'>([b, h], 'float32', new Float32Array(b * h));

/** The model: ids [B, T] → logits [B, T, V], with the LSTM state in and out. */
export function charLstm(vocab: number, embed: number, hidden: number) {
  const embedLayer = embedding(vocab, embed, { embeddingsInitializer: uniformInit(-1, 1) }); // ids [B, T] → [B, T, embed]
  const cell = lstm(hidden); // its params drive lstmScan, which carries the state
  const head = dense(vocab); // [B, T, hidden] → logits [B, T, vocab]
  const init = (k: Key) => {
    const [k1, k2, k3] = keys(k, 3);
    return {
      embed: initLayer(embedLayer, k1!, ['batch', 'time']),
      lstm: initLayer(cell, k2!, ['batch', 'time', embed]),
      head: initLayer(head, k3!, ['batch', 'time', hidden]),
    };
  };
  type Params = ReturnType<typeof init>;
  const forward = (p: Params, x: Ids, state: State) => {
    const e = applyLayer(embedLayer, p.embed, x);
    const { outputs, state: next } = lstmScan(p.lstm, e, state);
    return { logits: applyLayer(head, p.head, outputs), state: next };
  };
  const zeroState = (b: number): State => [zeros(b, hidden), zeros(b, hidden)];
  return { init, forward, zeroState, hidden };
}
export type CharLstm = ReturnType<typeof charLstm>;
export type CharLstmParams = ReturnType<CharLstm['init']>;

/** log of the add-one smoothed character frequencies: the unigram model as output biases */
function unigramLogits(train: Int32Array, vocab: number): Tensor<[number]> {
  const counts = new Float64Array(vocab).fill(1);
  for (const c of train) counts[c]!++;
  const total = counts.reduce((a, b) => a + b, 0);
  return makeTensor([vocab], 'float32', Float32Array.from(counts, (c) => Math.log(c / total)));
}

/** The stream of row b of a state tensor reset to zeros (a copy). */
function zeroRow(t: Tensor<[number, number]>, b: number): Tensor<[number, number]> {
  const d = (concreteData(t) as Float32Array).slice();
  const h = t.shape[1];
  d.fill(0, b * h, (b + 1) * h);
  return makeTensor([t.shape[0], h], 'float32', d);
}

/**
 * Bits per character of text[1..] given everything before it in `text`, run as `streams`
 * contiguous parts side by side (one stream would leave the matrix products a single row).
 * Part 0 starts from zero states, as the n-gram starts with an empty context; every other
 * part first reads the `burnIn` characters before it (not scored), then carries its state
 * through its part. Also returns the characters scored.
 */
export function bitsPerChar(model: CharLstm, p: CharLstmParams, text: Int32Array, streams: number, burnIn: number, chunk = 256): { bits: number; scored: number } {
  const targets = text.length - 1;
  if (targets < 1) return { bits: NaN, scored: 0 };
  const S = Math.max(1, Math.min(streams, targets));
  const L = Math.ceil(targets / S);
  const starts = Array.from({ length: S }, (_, j) => 1 + j * L); // first target of each part
  const ends = starts.map((a) => Math.min(a + L, text.length));
  let state = model.zeroState(S);
  const K = Math.min(burnIn, L);
  if (S > 1 && K > 0) {
    const x = new Int32Array(S * K);
    for (let j = 0; j < S; j++) for (let t = 0; t < K; t++) x[j * K + t] = text[Math.max(0, starts[j]! - 1 - K + t)]!;
    const [h, c] = model.forward(p, ids(S, K, x), state).state;
    state = [zeroRow(h, 0), zeroRow(c, 0)];
  }
  let bits = 0;
  for (let off = 0; off < L; off += chunk) {
    const C = Math.min(chunk, L - off);
    const x = new Int32Array(S * C);
    const y = new Int32Array(S * C);
    for (let j = 0; j < S; j++) {
      for (let t = 0; t < C; t++) {
        const target = starts[j]! + off + t;
        if (target < ends[j]!) {
          x[j * C + t] = text[target - 1]!;
          y[j * C + t] = text[target]!;
        }
      }
    }
    const r = model.forward(p, ids(S, C, x), state);
    state = r.state;
    const nll = concreteData(sparseCategoricalCrossEntropy(r.logits, ids(S, C, y), { reduction: 'none' })) as Float32Array;
    for (let j = 0; j < S; j++) for (let t = 0; t < C && starts[j]! + off + t < ends[j]!; t++) bits += nll[j * C + t]!;
  }
  return { bits: bits / targets / Math.LN2, scored: targets };
}

/** Generates `length` ids after `prompt`; `pick` gets the next-id logits (never <pad> or <unk>). */
export function generate(model: CharLstm, p: CharLstmParams, prompt: Int32Array, length: number, pick: (logits: Float64Array, i: number) => number): number[] {
  let state = model.zeroState(1);
  if (prompt.length > 1) state = model.forward(p, ids(1, prompt.length - 1, prompt.slice(0, -1)), state).state;
  let last = prompt.length > 0 ? prompt[prompt.length - 1]! : Vocabulary.UNK_ID;
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const r = model.forward(p, ids(1, 1, Int32Array.of(last)), state);
    state = r.state;
    const logits = Float64Array.from(concreteData(r.logits) as Float32Array);
    logits[Vocabulary.PAD_ID] = -Infinity;
    logits[Vocabulary.UNK_ID] = -Infinity;
    last = pick(logits, i);
    out.push(last);
  }
  return out;
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runCharLm(ctx: ExampleContext, s: CharLmSettings): Promise<ExampleResult> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const { text, source } = loadText(ctx);
  const split = splitText(text, source, s.maxChars);
  ctx.log(`${source}: ${split.trainChars.toLocaleString('en-US')} training / ${split.valChars.toLocaleString('en-US')} validation characters`);

  // Baselines: the interpolated add-k n-gram models of ngram-pride on the same split.
  const ngrams = NGRAM_ORDERS.map((n) => NGramModel.fit(split.train, n));
  const ngramVal = ngrams.map((m) => m.bitsPerChar(split.val));
  const valChars = charTokenize(split.val);
  const curveText = valChars.slice(0, s.curveChars + 1).join('');
  const ngramCurve = ngrams.map((m) => m.bitsPerChar(curveText));
  NGRAM_ORDERS.forEach((n, i) => ctx.log(`${ORDER_NAMES[n]} (order ${n}): validation ${ngramVal[i]!.toFixed(4)} bits/char`));

  // Characters → ids: <pad> = 0 (never in the text), <unk> = 1 (validation characters unseen in training).
  const vocab = Vocabulary.build(charTokenize(split.train));
  const V = vocab.size;
  const trainIds = vocab.encode(charTokenize(split.train));
  const valIds = vocab.encode(valChars);
  const curveIds = valIds.subarray(0, Math.min(valIds.length, s.curveChars + 1));

  const model = charLstm(V, s.embed, s.hidden);
  const root = key(s.seed);
  const init = model.init(foldIn(root, 0));
  let params: CharLstmParams = { ...init, head: { ...init.head, bias: unigramLogits(trainIds, V) } };
  const paramCount = treeLeaves(params).reduce((n, t) => n + t.size, 0);
  const optimizer = chain(clipByGlobalNorm(s.clipNorm), adam({ learningRate: cosineDecay({ init: s.learningRate, decaySteps: s.steps, alpha: 0.1 }) }));
  let optState = optimizer.init(params);
  // the whole training step, a pure function of (params, optimizer state, batch, carried state):
  // jit traces it once (every batch is [B, T]); params and optimizer state are donated, so each
  // step writes the new ones into the arrays of the old
  const lossAndGrad = valueAndGrad(
    (p: CharLstmParams, x: Ids, y: Ids, st: State) => {
      const r = model.forward(p, x, st);
      return [sparseCategoricalCrossEntropy(r.logits, y), r.state] as const;
    },
    { hasAux: true },
  );
  const step = jit(
    (p: CharLstmParams, o: typeof optState, x: Ids, y: Ids, st: State) => {
      const [[loss, next], grads] = lossAndGrad(p, x, y, st);
      const [updates, o2] = optimizer.update(grads, o, p);
      return [loss, next, applyUpdates(p, updates), o2] as const;
    },
    { donate: [0, 1] },
  );

  // B contiguous streams through the training text; chunk c of stream b starts at b·seg + c·T.
  const B = s.batch;
  const T = s.seqLen;
  const seg = Math.floor((trainIds.length - 1) / B);
  const chunksPerPass = Math.floor(seg / T);
  if (chunksPerPass < 1) throw new Error(`${source}: training text too short for ${B} streams of ${T} characters`);
  const batchAt = (c: number): [Ids, Ids] => {
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const o = b * seg + c * T;
      x.set(trainIds.subarray(o, o + T), b * T);
      y.set(trainIds.subarray(o + 1, o + 1 + T), b * T);
    }
    return [ids(B, T, x), ids(B, T, y)];
  };

  const curveSteps: number[] = [];
  const curveBits: number[] = [];
  const curveTrain: number[] = [];
  let evalCpu = 0;
  const evalCurve = (t: number, trainBits: number) => {
    const e0 = process.cpuUsage();
    curveSteps.push(t);
    curveBits.push(bitsPerChar(model, params, curveIds, Math.max(1, Math.round(s.evalStreams / 2)), s.burnIn).bits);
    curveTrain.push(trainBits);
    evalCpu += cpuSeconds(e0);
  };
  evalCurve(0, NaN);

  const bar = ctx.progress('charlm-pride: LSTM steps', s.steps);
  const train0 = process.cpuUsage();
  let state = model.zeroState(B);
  let lossSum = 0;
  let lossN = 0;
  let lastTrain = NaN;
  for (let t = 0; t < s.steps; t++) {
    const c = t % chunksPerPass;
    if (c === 0) state = model.zeroState(B); // a new pass: the streams restart at their beginnings
    const [x, y] = batchAt(c);
    const [loss, next, nextParams, nextOpt] = step(params, optState, x, y, state);
    state = next;
    params = nextParams;
    optState = nextOpt;
    lossSum += loss.item() / Math.LN2;
    lossN++;
    const done = t + 1;
    if (done % s.evalEvery === 0 || done === s.steps) {
      lastTrain = lossSum / lossN;
      evalCurve(done, lastTrain);
      lossSum = 0;
      lossN = 0;
    }
    if (done % 10 === 0 || done === s.steps) {
      bar.update(done, { loss: lossN > 0 ? lossSum / lossN : lastTrain, 'val bits/char': curveBits.at(-1)! });
      await yieldToEventLoop();
    }
  }
  bar.stop();
  const trainCpu = cpuSeconds(train0) - evalCpu;

  const f0 = process.cpuUsage();
  const final = bitsPerChar(model, params, valIds, s.evalStreams, s.burnIn);
  const finalCpu = cpuSeconds(f0);
  ctx.log(`LSTM(${s.hidden}): validation ${final.bits.toFixed(4)} bits/char over ${final.scored.toLocaleString('en-US')} characters`);

  // Samples: one key per temperature, a stream of uniforms from it; T = 0 is greedy.
  const prompt = promptFrom(split.val);
  const promptIds = vocab.encode(charTokenize(prompt));
  const sampleKey = key(1813);
  const sample = (temp: number, stream: number) => {
    const us = uniformArray(foldIn(sampleKey, stream), s.sampleLength);
    return vocab.decode(generate(model, params, promptIds, s.sampleLength, (logits, i) => sampleTemperature(logits, temp, us[i]!))).join('');
  };
  const samples = TEMPERATURES.map((temp, i) => ({ temp, text: sample(temp, i) }));
  const greedyAgain = sample(0, 99);
  const deterministic = greedyAgain === samples[0]!.text;

  const beaten = NGRAM_ORDERS.filter((_, i) => final.bits < ngramVal[i]!);
  const totalCpu = cpuSeconds(cpu0);
  const wall = (performance.now() - wall0) / 1000;
  const seen = s.steps * B * T;
  const categories = [...NGRAM_ORDERS.map((n) => `${ORDER_NAMES[n]} (order ${n})`), `LSTM(${s.hidden})`];
  return {
    metric: 'validation bits/char',
    value: final.bits,
    target: 2.2,
    lowerIsBetter: true,
    baseline: ngramVal[0]!,
    baselineName: 'trigram (order-3 n-gram) bits/char',
    details: {
      'order 4 n-gram bits/char': ngramVal[1]!,
      'order 5 n-gram bits/char': ngramVal[2]!,
      'n-gram orders beaten': beaten.length > 0 ? beaten.join(', ') : 'none',
      'validation characters scored': final.scored,
      'train bits/char (last steps, running mean)': lastTrain,
      vocabulary: V,
      parameters: paramCount,
      'training steps': s.steps,
      'training characters seen': seen,
      'passes over the training text': seen / (trainIds.length - 1),
      'training CPU seconds': trainCpu,
      'validation-curve CPU seconds': evalCpu,
      'final evaluation CPU seconds': finalCpu,
      'total CPU seconds': totalCpu,
      'total wall seconds': wall,
      'temperature 0 deterministic': deterministic ? 'yes (two runs, same text)' : 'NO',
    },
    plots: [
      {
        title: `Bits/char during training: validation on the first ${(curveIds.length - 1).toLocaleString('en-US')} validation characters (n-gram models on the same characters), train as the mean over the steps since the previous point`,
        spec: lines(
          {
            'LSTM validation': curveBits,
            'LSTM train': curveTrain,
            ...Object.fromEntries(NGRAM_ORDERS.map((n, i) => [`${ORDER_NAMES[n]}`, curveSteps.map(() => ngramCurve[i]!)])),
          },
          { x: 'training step', y: 'bits/char', xValues: curveSteps },
        ),
      },
      {
        title: 'Validation bits/char (whole validation text): n-gram orders 3-5 and the LSTM',
        spec: bars({ validation: [...ngramVal, final.bits] }, categories, { y: 'bits/char' }),
      },
    ],
    notes: [
      `Model: embedding(${V}, ${s.embed}) → LSTM(${s.hidden}) → dense(${V}), ${paramCount.toLocaleString('en-US')} parameters; ${s.steps} steps of ${B} streams × ${T} characters (state carried between chunks), Adam ${s.learningRate} cosine-decayed to ${s.learningRate / 10}, clip ${s.clipNorm}.`,
      `Validation: ${final.bits.toFixed(4)} bits/char vs n-gram orders 3 / 4 / 5: ${ngramVal.map((b) => b.toFixed(4)).join(' / ')} (beats ${beaten.length > 0 ? `order ${beaten.join(', ')}` : 'none'}). ` +
        `Scored: every validation character after the first, in ${s.evalStreams} parallel parts; each part but the first reads the ${s.burnIn} characters before it first.`,
      `Samples after the prompt ${JSON.stringify(prompt)} (${s.sampleLength} characters):`,
      ...samples.map((x) => `--- T = ${x.temp} ---\n${prompt}${x.text}`),
      `--- T = 0 again (other uniforms): ${deterministic ? 'identical to the first, greedy decoding is deterministic' : `different!\n${prompt}${greedyAgain}`} ---`,
    ],
  };
}

export const example: Example = {
  id: 'charlm-pride',
  title: 'A character-level LSTM language model on Pride and Prejudice',
  description:
    'An embedding → LSTM(128) → dense network predicts the next character of the novel, trained by truncated backpropagation through time on ' +
    '16 streams of the first 90% of the text with the LSTM state carried from chunk to chunk. Validation bits per character on the last 10% ' +
    'are compared with the n-gram models of ngram-pride (orders 3, 4, 5) on the same split, and samples at temperatures 0, 0.5, 1 and 1.5 ' +
    'show greedy loops turning into plausible words and then into noise.',
  dataFormat: 'any plain-text file (UTF-8); the first 90% of its characters train, the last 10% validate',
  // on the default WebAssembly SIMD backend the fused LSTM sequence kernels make 2400 steps fit
  // the budget (on the TypeScript kernels 200 steps + evaluation took 21.3 s)
  run: (ctx) => runCharLm(ctx, ctx.quick ? QUICK : FULL),
};
