/**
 * transformer-train-step: one training step of an encoder–decoder Transformer (the paper's
 * post-norm blocks) on token ids with padding, masked cross-entropy and Adam.
 *
 * Ours: the library's `transformer` model (src/nn/layers/transformer) and loss, the step as fit
 * runs it: the whole step — valueAndGrad(loss), the Adam update, applyUpdates — in one jit with
 * the batch as arguments (so the padding masks are traced values) and params and state donated.
 * The row's `ours_nojit_ms` is the same step without jit (the eager fused Adam update).
 *
 * tfjs: the same network from tf ops (tfjs-layers has no MultiHeadAttention): embedding via
 * gather, the sinusoidal table, attention from matMul / softmax with the padding and causal
 * masks applied by `where` as ours does, layer norm via moments, `tf.variableGrads` and
 * `tf.train.adam`. Both start from our initial weights and read the same batch, so the first
 * three losses must agree (bench.ts checks them).
 */
import * as tf from '@tensorflow/tfjs';
import { oursTrainStep, stepImpl, type BenchCase, type Impl, type Lib } from './cases';
import { lazy } from './harness';
import { makeTensor, Tensor } from '../src/tensor/tensor';
import { transformer } from '../src/nn/layers/transformer';
import { maskedSparseCategoricalCrossEntropy } from '../src/nn/losses';
import { notEqual } from '../src/ops/elementwise';
import { adam } from '../src/optim';
import { key } from '../src/random';

const B = 32, L = 32, D = 128, H = 4, F = 512, V = 64, NE = 2, ND = 2;
const K = D / H;
const PAD = 0, BOS = 1;
const LR = 1e-3;
/** our masked score value (src/ops/attention.ts): the float32 minimum, so exp(score − max) is exactly 0 */
const MASKED_SCORE = -3.4028234663852886e38;
const EPS = 1e-5;

const config = { srcVocab: V, tgtVocab: V, maxLen: L, dModel: D, numHeads: H, ffDim: F, numEncoderLayers: NE, numDecoderLayers: ND, dropout: 0 } as const;
const makeModel = () => transformer(config);

/** token ids with padding: row b has a length in [20, 32], tokens in [2, V) from an LCG */
const data = lazy(() => {
  let s = 12345;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
  const src = new Int32Array(B * L), tin = new Int32Array(B * L), tout = new Int32Array(B * L);
  for (let b = 0; b < B; b++) {
    const ls = 20 + ((b * 7) % 13);
    const lt = 18 + ((b * 5) % 15);
    for (let i = 0; i < ls; i++) src[b * L + i] = 2 + (next() % (V - 2));
    for (let i = 0; i < lt; i++) tout[b * L + i] = 2 + (next() % (V - 2));
    // teacher forcing: the decoder reads BOS and the targets so far
    for (let i = 0; i < lt; i++) tin[b * L + i] = i === 0 ? BOS : tout[b * L + i - 1]!;
  }
  const params = makeModel().init(key(2026));
  return { src, tin, tout, params };
});

/** the sinusoidal table exactly as ours builds it (float64 angles, rounded to float32) */
function sinusoidal(): Float32Array {
  const out = new Float32Array(L * D);
  for (let i = 0; i < D / 2; i++) {
    const inv = 1 / Math.pow(10000, (2 * i) / D);
    for (let pos = 0; pos < L; pos++) {
      out[pos * D + 2 * i] = Math.sin(pos * inv);
      out[pos * D + 2 * i + 1] = Math.cos(pos * inv);
    }
  }
  return out;
}

/** our params pytree with every tensor leaf replaced by a tf.Variable of the same data and shape */
function toVariables(node: unknown): unknown {
  if (node instanceof Tensor) {
    const init = tf.tensor(node.dataSync() as Float32Array, [...(node.shape as readonly number[])]);
    const v = tf.variable(init);
    init.dispose();
    return v;
  }
  if (Array.isArray(node)) return node.map(toVariables);
  if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, toVariables(v)]));
  return node;
}
function variablesOf(node: unknown): tf.Variable[] {
  if (node instanceof tf.Variable) return [node];
  if (Array.isArray(node)) return node.flatMap(variablesOf);
  if (node !== null && typeof node === 'object') return Object.values(node).flatMap(variablesOf);
  return [];
}

interface TLin { kernel: tf.Tensor; bias: tf.Tensor }
interface TLN { gamma: tf.Tensor; beta: tf.Tensor }
interface TMha { query: TLin; key: TLin; value: TLin; output: TLin }
interface TEnc { selfAttention: TMha; selfAttentionNorm: TLN; ffnInner: TLin; ffnOuter: TLin; ffnNorm: TLN }
interface TDec extends TEnc { crossAttention: TMha; crossAttentionNorm: TLN }
interface TParams { srcEmbedding: { embeddings: tf.Tensor }; tgtEmbedding: { embeddings: tf.Tensor }; encoder: TEnc[]; decoder: TDec[]; output: TLin }

/**
 * Embedding lookup: gather forward; its backward as oneHot(ids)ᵀ · dy, since gather's own
 * gradient (UnsortedSegmentSum) has no wasm kernel in tfjs 4.22 (about 17 MFLOP per table).
 */
const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  // cast: customGrad passes the inputs, then the save function
  const [table, ids, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([ids]);
  const [v, d] = table.shape as [number, number];
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const hot = tf.oneHot(saved[0]!.reshape([-1]) as tf.Tensor1D, v);
      return [tf.matMul(hot, dy.reshape([-1, d]) as tf.Tensor2D, true, false), tf.zerosLike(saved[0]!)];
    },
  };
}) as (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor; // cast: customGrad's result takes the tensors only

/** the tfjs step's forward pass and loss, the same ops in the same order as ours */
function tfLoss(p: TParams, src: tf.Tensor2D, tin: tf.Tensor2D, tout: tf.Tensor2D, pe: tf.Tensor, causal: tf.Tensor): tf.Scalar {
  const linear = (x: tf.Tensor, w: TLin) => {
    const s = x.shape;
    const i = w.kernel.shape[0]!, o = w.kernel.shape[1]!;
    return tf.add(tf.matMul(x.reshape([-1, i]) as tf.Tensor2D, w.kernel as tf.Tensor2D), w.bias).reshape([...s.slice(0, -1), o]);
  };
  const layerNorm = (x: tf.Tensor, n: TLN) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS))), n.gamma), n.beta);
  };
  // x [B, l, D] · kernel [D, H, K] + bias [H, K] → [B, H, l, K]
  const project = (x: tf.Tensor, w: TLin) => {
    const l = x.shape[1]!;
    const y = tf.add(tf.matMul(x.reshape([B * l, D]) as tf.Tensor2D, w.kernel.reshape([D, H * K]) as tf.Tensor2D), w.bias.reshape([H * K]));
    return y.reshape([B, l, H, K]).transpose([0, 2, 1, 3]);
  };
  const mha = (w: TMha, q: tf.Tensor, kv: tf.Tensor, mask: tf.Tensor) => {
    const lq = q.shape[1]!;
    const qh = project(q, w.query), kh = project(kv, w.key), vh = project(kv, w.value);
    // ours scales q when dk <= Lk (here 32 <= 32), as here
    let scores = tf.matMul(tf.mul(qh, 1 / Math.sqrt(K)), kh, false, true);
    scores = tf.where(tf.broadcastTo(mask, scores.shape), scores, tf.fill(scores.shape, MASKED_SCORE));
    const out = tf.matMul(tf.softmax(scores, -1), vh); // [B, H, lq, K]
    const merged = out.transpose([0, 2, 1, 3]).reshape([B * lq, H * K]) as tf.Tensor2D;
    return tf.add(tf.matMul(merged, w.output.kernel.reshape([H * K, D]) as tf.Tensor2D), w.output.bias).reshape([B, lq, D]);
  };
  const ffn = (w: TEnc, x: tf.Tensor) => linear(tf.relu(linear(x, w.ffnInner)), w.ffnOuter);
  const embed = (table: tf.Tensor, ids: tf.Tensor2D) => tf.add(tf.mul(lookup(table, ids), Math.sqrt(D)), pe);
  const padMask = (ids: tf.Tensor2D) => tf.notEqual(ids, PAD).reshape([B, 1, 1, L]);

  const srcMask = padMask(src);
  let h = embed(p.srcEmbedding.embeddings, src);
  for (const w of p.encoder) {
    const y = layerNorm(tf.add(h, mha(w.selfAttention, h, h, srcMask)), w.selfAttentionNorm);
    h = layerNorm(tf.add(y, ffn(w, y)), w.ffnNorm);
  }
  const memory = h;
  const selfMask = tf.logicalAnd(padMask(tin), causal);
  let d = embed(p.tgtEmbedding.embeddings, tin);
  for (const w of p.decoder) {
    d = layerNorm(tf.add(d, mha(w.selfAttention, d, d, selfMask)), w.selfAttentionNorm);
    d = layerNorm(tf.add(d, mha(w.crossAttention, d, memory, srcMask)), w.crossAttentionNorm);
    d = layerNorm(tf.add(d, ffn(w, d)), w.ffnNorm);
  }
  const logits = linear(d, p.output);
  const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(tout, V), tf.logSoftmax(logits, -1)), -1));
  const m = tf.cast(tf.notEqual(tout, PAD), 'float32');
  return tf.div(tf.sum(tf.mul(nll, m)), tf.sum(m)) as tf.Scalar;
}

/** our step: the whole step jitted with params and state donated (as fit runs it), or the plain one with the eager Adam update */
function oursStep(jitted: boolean): Impl {
  const d = data();
  const model = makeModel();
  type P = ReturnType<typeof model.init>;
  type Ids = Tensor<[typeof B, typeof L], 'int32'>;
  const ids = (a: Int32Array): Ids => makeTensor([B, L] as const, 'int32', a);
  const src = ids(d.src), tin = ids(d.tin), tout = ids(d.tout);
  const loss = (p: P, s: Ids, ti: Ids, to: Ids) =>
    maskedSparseCategoricalCrossEntropy(model.forward(p, s, ti, { srcPadId: PAD, tgtPadId: PAD }), to, notEqual(to, PAD));
  // tfjs' Adam epsilon (1e-7), added to √v̂ as tf.train.adam does
  return stepImpl(oursTrainStep(d.params, adam({ learningRate: LR, epsilon: 1e-7 }), loss, jitted, src, tin, tout));
}

function tfjsStep(): Impl {
  const d = data();
  const p = toVariables(d.params) as TParams;
  const vars = variablesOf(p);
  const src = tf.tensor2d(d.src, [B, L], 'int32'), tin = tf.tensor2d(d.tin, [B, L], 'int32'), tout = tf.tensor2d(d.tout, [B, L], 'int32');
  const pe = tf.tensor2d(sinusoidal(), [L, D]);
  // a constant, as ours' causal mask (a table made in JS); tf.linalg.bandPart on bool breaks the wasm backend's memory (tfjs 4.22)
  const causal = tf.tensor2d(Uint8Array.from({ length: L * L }, (_, i) => Number(i % L <= Math.floor(i / L))), [L, L], 'bool');
  const opt = tf.train.adam(LR);
  const once = (): number => {
    const { value, grads } = tf.variableGrads(() => tfLoss(p, src, tin, tout, pe, causal), vars);
    opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    const v = value.dataSync()[0]!;
    value.dispose();
    tf.dispose(grads);
    return v;
  };
  return stepImpl(once, () => {
    opt.dispose();
    [...vars, src, tin, tout, pe, causal].forEach((t) => t.dispose());
  });
}

/**
 * Multiply-adds of one forward pass (×2 flops): per encoder layer 4 projections of [B·L, D]·[D, D],
 * scores and weights·values 2·B·H·L·L·K, the FFN 2·B·L·D·F; per decoder layer two attentions and
 * the FFN; the output projection B·L·D·V. A training step is about 3 forward passes.
 */
const attnMacs = 4 * B * L * D * D + 2 * B * H * L * L * K;
const ffnMacs = 2 * B * L * D * F;
const forwardFlops = 2 * (NE * (attnMacs + ffnMacs) + ND * (2 * attnMacs + ffnMacs) + B * L * D * V);

export const transformerCase: BenchCase = {
  name: 'transformer-train-step',
  shape: `src/tgt ids [${B},${L}] (padded), dModel ${D}, ${H} heads, ffDim ${F}, ${NE}+${ND} layers, vocab ${V}, masked CE, Adam`,
  kind: 'train',
  note:
    `ours: transformer() + jit(valueAndGrad(loss) + optim.adam update + applyUpdates) with the batch as arguments, params and state donated (as fit runs it); ` +
    `tfjs: the same network from tf ops + tf.variableGrads + tf.train.adam; ~${(forwardFlops / 1e9).toFixed(2)} GFLOP forward, ~3x that per step`,
  nojit: { note: 'ours, the same step without jit', build: () => oursStep(false) },
  build(lib: Lib): Impl {
    return lib === 'ours' ? oursStep(true) : tfjsStep();
  },
};

export const transformerCases: readonly BenchCase[] = [transformerCase];
