/**
 * Autoregressive decoding of the encoder–decoder Transformer as plain functions: the source is
 * encoded once, then each step re-runs the decoder over the prefix (BOS + the ids so far) and a
 * chooser picks the next id from the last position's logits — argmax (greedy) or a sample of
 * softmax(logits / temperature), optionally among the top k.
 */
import { ShapeError } from '../../../shape/dims';
import { makeTensor } from '../../../tensor/tensor';
import { erase, type AnyTensor } from '../../../tensor/untyped';
import { categoricalSample, foldIn, type Key } from '../../../random';
import type { BlockRunContext } from './blocks';
import { checkIds, decodeStack, encodeStack, padMask, type Seq2Seq } from './stacks';
import type { DecodeOptions, SampleOptions } from './model-types';

/** picks the next id from a row of logits at step t for batch row b */
export type Chooser = (row: Float32Array, t: number, b: number) => number;

export interface DecodeLoopResult {
  readonly ids: AnyTensor;
  readonly lengths: number[];
  readonly crossAttention?: AnyTensor;
}

/** one decoding loop from BOS until EOS (per row) or o.maxLen tokens */
export function decodeLoop(m: Seq2Seq, params: unknown, src: AnyTensor, o: DecodeOptions<number, boolean>, choose: Chooser): DecodeLoopResult {
  const c = m.config;
  const [B, ls] = checkIds(m, 'source', src);
  const n = o.maxLen ?? c.maxLen;
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`transformer: decode maxLen must be a positive integer, got ${n}`);
  if (n > c.maxLen) throw new ShapeError(m.name, `decode maxLen exceeds the model's maxLen (${n} > ${c.maxLen})`);
  const filler = o.padId ?? o.eosId;
  const inference: BlockRunContext = { training: false, key: undefined };
  const memMask = padMask(src, o.srcPadId);
  const memory = encodeStack(m, params, src, memMask, inference);
  const V = c.tgtVocab;
  const seq = new Int32Array(B * (n + 1)).fill(filler);
  for (let b = 0; b < B; b++) seq[b * (n + 1)] = o.bosId;
  const lengths = new Array<number>(B).fill(n);
  const done = new Array<boolean>(B).fill(false);
  let cross: AnyTensor | null = null;
  let steps = 0;
  for (let t = 0; t < n; t++) {
    const prefix = new Int32Array(B * (t + 1));
    for (let b = 0; b < B; b++) prefix.set(seq.subarray(b * (n + 1), b * (n + 1) + t + 1), b * (t + 1));
    const r = decodeStack(m, params, erase(makeTensor([B, t + 1], 'int32', prefix)), memory, memMask, null, inference, o.returnWeights === true);
    cross = r.cross;
    steps = t + 1;
    const logits = r.logits._data as Float32Array;
    for (let b = 0; b < B; b++) {
      if (done[b]) continue;
      const off = (b * (t + 1) + t) * V;
      const next = choose(logits.subarray(off, off + V), t, b);
      seq[b * (n + 1) + t + 1] = next;
      if (next === o.eosId) {
        done[b] = true;
        lengths[b] = t + 1;
      }
    }
    if (done.every(Boolean)) break;
  }
  const ids = new Int32Array(B * n);
  for (let b = 0; b < B; b++) ids.set(seq.subarray(b * (n + 1) + 1, (b + 1) * (n + 1)), b * n);
  const out = { ids: erase(makeTensor([B, n], 'int32', ids)), lengths };
  if (o.returnWeights !== true) return out;
  // rows of the last step's weights, zero past each sequence's length (and past the steps run)
  const H = c.numHeads;
  const w = cross!._data as Float32Array;
  const full = new Float32Array(B * H * n * ls);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let q = 0; q < Math.min(lengths[b]!, steps); q++) {
        const src0 = ((b * H + h) * steps + q) * ls;
        full.set(w.subarray(src0, src0 + ls), ((b * H + h) * n + q) * ls);
      }
  return { ...out, crossAttention: erase(makeTensor([B, H, n, ls], 'float32', full)) };
}

/** the index of the largest logit (the first on ties) */
export function argmaxRow(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** greedy decoding: argmax at every step */
export function greedyDecode(m: Seq2Seq, params: unknown, src: AnyTensor, o: DecodeOptions<number, boolean>): DecodeLoopResult {
  return decodeLoop(m, params, src, o, argmaxRow);
}

/**
 * A sample of softmax(row / temperature) among the top k (all when k is absent), with its own
 * key per step and batch row, so a row's draws do not depend on the batch it is in.
 */
export function sampleChooser(temperature: number, topK: number | undefined, key: Key): Chooser {
  return (row, t, b) => {
    const scaled = new Float64Array(row.length);
    for (let i = 0; i < row.length; i++) scaled[i] = row[i]! / temperature;
    if (topK !== undefined && topK < row.length) {
      const kth = Float64Array.from(scaled).sort()[row.length - topK]!;
      for (let i = 0; i < row.length; i++) if (scaled[i]! < kth) scaled[i] = -Infinity;
    }
    return categoricalSample(foldIn(foldIn(key, t), b), scaled);
  };
}

/** sampling decode; temperature 0 is greedyDecode exactly */
export function sampleDecode(m: Seq2Seq, params: unknown, src: AnyTensor, o: SampleOptions<number, boolean>): DecodeLoopResult {
  const temp = o.temperature;
  if (!(temp >= 0) || !Number.isFinite(temp)) throw new RangeError(`transformer: temperature must be a finite number >= 0, got ${temp}`);
  const topK = o.topK;
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) throw new RangeError(`transformer: topK must be a positive integer, got ${topK}`);
  if (temp === 0) return greedyDecode(m, params, src, o);
  return decodeLoop(m, params, src, o, sampleChooser(temp, topK, o.key));
}
