/**
 * One ONNX translation per primitive of the graph IR (the table HANDLERS), including the NHWC ⇄
 * NCHW transposes around conv / pool and the LSTM / GRU / RNN weight reordering.
 */
import type { DType } from '../../tensor/dtype';
import { samePadding } from '../../shape/rules/conv';
import { PRIMITIVE_NAMES, isPrimitiveName, type PrimitiveName } from '../../autodiff/primitive-names';
import type { AnyTensor } from '../../autodiff/core';
import { ONNX_DTYPE, type AttrValue } from './proto';
import { type Emitter, INT64_MAX_SAFE, ONNX_OF, float, int, ints, uniformValue } from './emitter';
import { type Pair, isStatic, samePair } from './trace';

interface Ctx {
  readonly e: Emitter;
  readonly prim: string;
  /** params in the first and second trace (the same object when there are no dynamic dims) */
  readonly p: any;
  readonly p2: any;
  /** input names */
  readonly x: readonly string[];
  readonly inDims: readonly (readonly Pair[])[];
  readonly inTypes: readonly DType[];
  /** literal inputs (first trace), null for computed ones */
  readonly lit: readonly (AnyTensor | null)[];
  /** output names to produce (those not used may be left unproduced) */
  readonly out: readonly string[];
  readonly outDims: readonly (readonly Pair[])[];
  readonly outTypes: readonly DType[];
  readonly used: readonly boolean[];
}

interface Handler {
  run(c: Ctx): void;
  /** handles params that differ between the traces itself */
  readonly varying?: boolean;
}

const simple = (op: string, attrs?: (c: Ctx) => Record<string, AttrValue>): Handler => ({
  run: (c) => c.e.node(op, c.x, [c.out[0]!], attrs?.(c)),
});

function unsupported(c: Ctx, why: string): never {
  throw new Error(`exportOnnx: primitive '${c.prim}' ${why}`);
}

const ACT_ONNX: Record<string, string> = { tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu', linear: 'Affine' };

/** x⁄√2 → ½(1 + erf) : Φ(x) */
function normalCdf(c: Ctx, x: string): string {
  const e = c.e;
  const erf = e.one('Erf', [e.one('Mul', [x, e.scalar(Math.SQRT1_2, 'float32')])]);
  return e.one('Mul', [e.one('Add', [erf, e.scalar(1, 'float32')]), e.scalar(0.5, 'float32')]);
}

/** reduce with axes as an attribute (opset 17); no axes = identity (or |x| for the L2 norm) */
const reduceAttr = (op: string, empty: string): Handler => ({
  run(c) {
    if (c.p.axes.length === 0) return c.e.node(empty, [c.x[0]!], [c.out[0]!]);
    c.e.node(op, [c.x[0]!], [c.out[0]!], { axes: ints(c.p.axes), keepdims: int(c.p.keepDims ? 1 : 0) });
  },
});

const argReduce = (op: string): Handler => ({
  run(c) {
    const idx = c.e.one(op, [c.x[0]!], { axis: int(c.p.axis), keepdims: int(0), select_last_index: int(0) });
    c.e.node('Cast', [idx], [c.out[0]!], { to: int(ONNX_DTYPE.INT32) });
  },
});

function nhwcToNchw(c: Ctx, x: string): string {
  return c.e.one('Transpose', [x], { perm: ints([0, 3, 1, 2]) });
}
function nchwToNhwc(c: Ctx, y: string, out: string): void {
  c.e.node('Transpose', [y], [out], { perm: ints([0, 2, 3, 1]) });
}

/**
 * ONNX pads [top, left, bottom, right] from ours [top, bottom, left, right]. On a dynamic
 * spatial axis with a stride > 1, 'same' padding depends on the size (its parity, say) even
 * when both traces happen to agree: there it becomes auto_pad SAME_UPPER (TensorFlow's 'same':
 * output ceil(n / s), the extra cell after), which every axis must then match.
 */
function padAttrs(c: Ctx, outSp: readonly Pair[], inSp: readonly Pair[], kernel: readonly number[], strides: readonly number[], dilation: readonly number[]): Record<string, AttrValue> {
  const pads = [c.p.pads as readonly number[], c.p2.pads as readonly number[]];
  const axisPads = (t: number, i: number) => [pads[t]![2 * i]!, pads[t]![2 * i + 1]!];
  const isSame = (i: number) =>
    [0, 1].every((t) => {
      const n = inSp[i]![t]!;
      const [b, a] = samePadding(n, kernel[i]!, strides[i]!, dilation[i]!);
      const p = axisPads(t, i);
      return outSp[i]![t] === Math.ceil(n / strides[i]!) && p[0] === b && p[1] === a;
    });
  const varies = pads[0]!.some((v, j) => v !== pads[1]![j]);
  const needSame = [0, 1].some((i) => !isStatic(inSp[i]!) && strides[i]! > 1 && axisPads(0, i).some((v) => v > 0) && isSame(i));
  if (!varies && !needSame) {
    const a = pads[0]!;
    return { pads: ints([a[0]!, a[2]!, a[1]!, a[3]!]) };
  }
  if (![0, 1].every(isSame)) unsupported(c, 'has padding that depends on a dynamic dim in a way ONNX cannot express');
  return { auto_pad: { kind: 'string', value: 'SAME_UPPER' } };
}

function requireSame(c: Ctx, ...fields: string[]): void {
  for (const f of fields) {
    if (JSON.stringify(c.p[f]) !== JSON.stringify(c.p2[f])) unsupported(c, `has a '${f}' that depends on a dynamic dim (${JSON.stringify(c.p[f])} vs ${JSON.stringify(c.p2[f])})`);
  }
}

function pool(kind: 'max' | 'avg'): Handler {
  return {
    varying: true,
    run(c) {
      const xd = c.inDims[0]!;
      const k: Pair[] = [0, 1].map((i) => [c.p.k[i], c.p2.k[i]] as const);
      const noPads = [c.p.pads, c.p2.pads].every((ps: readonly number[]) => ps.every((v) => v === 0));
      const xn = nhwcToNchw(c, c.x[0]!);
      let y: string;
      if (noPads && samePair(k[0]!, xd[1]!) && samePair(k[1]!, xd[2]!)) {
        // one window over the whole map: keeps H and W dynamic
        y = c.e.one(kind === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', [xn]);
      } else {
        requireSame(c, 'k', 'strides');
        const attrs: Record<string, AttrValue> = {
          kernel_shape: ints(c.p.k),
          strides: ints(c.p.strides),
          ...padAttrs(c, c.outDims[0]!.slice(1, 3), xd.slice(1, 3), c.p.k, c.p.strides, [1, 1]),
        };
        if (kind === 'avg') attrs['count_include_pad'] = int(0);
        y = c.e.one(kind === 'max' ? 'MaxPool' : 'AveragePool', [xn], attrs);
      }
      nchwToNhwc(c, y, c.out[0]!);
    },
  };
}

/** split `t` along `axis` into equal blocks and concatenate them in `order` (identity when in order) */
function reorderBlocks(c: Ctx, t: string, axis: number, size: number, order: readonly number[]): string {
  if (order.every((o, i) => o === i)) return t;
  const parts = order.map(() => c.e.fresh('block'));
  c.e.node('Split', [t, c.e.i64(order.map(() => size))], parts, { axis: int(axis) });
  return c.e.one('Concat', order.map((o) => parts[o]!), { axis: int(axis) });
}

const recurrentHandler: Handler = {
  run(c) {
    const cfg = c.p as { kind: 'rnn' | 'lstm' | 'gru'; activation: string; recurrentActivation: string; resetAfter: boolean };
    const e = c.e;
    const nState = cfg.kind === 'lstm' ? 2 : 1;
    const nPublic = 1 + nState;
    c.used.forEach((u, i) => {
      if (u && i >= nPublic) unsupported(c, `has a training residual (output ${i}) used`);
    });
    const [x, W, U, b] = c.x as [string, string, string, string];
    const u = c.inDims[2]![0]![0];
    const gates = cfg.kind === 'lstm' ? 4 : cfg.kind === 'gru' ? 3 : 1;
    const G = gates * u;
    // Keras gate blocks i f c o → ONNX i o f c; GRU z r h and the SimpleRNN block already match
    const order = cfg.kind === 'lstm' ? [0, 3, 1, 2] : Array.from({ length: gates }, (_, i) => i);
    const axis0 = e.i64([0]);
    const weight = (t: string) => e.one('Unsqueeze', [e.one('Transpose', [reorderBlocks(c, t, 1, u, order)], { perm: ints([1, 0]) }), axis0]);
    const zerosG = e.floats(new Array<number>(G).fill(0), [G]);
    let B: string;
    if (cfg.kind === 'gru' && cfg.resetAfter) B = e.one('Reshape', [b, e.i64([1, 2 * G])]); // [input bias; recurrent bias]
    else B = e.one('Unsqueeze', [e.one('Concat', [reorderBlocks(c, b, 0, u, order), zerosG], { axis: int(0) }), axis0]);
    // an all-zeros initial state is ONNX's default: leave it out (it may have a dynamic batch)
    const state = (i: number): string => {
      const l = c.lit[i];
      if (l && uniformValue(l) === 0) return '';
      return e.one('Unsqueeze', [c.x[i]!, axis0]);
    };
    const ins = [e.one('Transpose', [x], { perm: ints([1, 0, 2]) }), weight(W), weight(U), B, '', state(4)];
    if (cfg.kind === 'lstm') ins.push(state(5));
    while (ins[ins.length - 1] === '') ins.pop();
    const acts = cfg.kind === 'rnn' ? [cfg.activation] : cfg.kind === 'gru' ? [cfg.recurrentActivation, cfg.activation] : [cfg.recurrentActivation, cfg.activation, cfg.activation];
    const attrs: Record<string, AttrValue> = { hidden_size: int(u), activations: { kind: 'strings', value: acts.map((a) => ACT_ONNX[a]!) } };
    // Affine(x) = alpha·x + beta is our 'linear'; one alpha / beta per activation suits both
    // readings of the spec (consumed by every activation, or only by those that take one)
    if (acts.includes('linear')) {
      attrs['activation_alpha'] = { kind: 'floats', value: acts.map(() => 1) };
      attrs['activation_beta'] = { kind: 'floats', value: acts.map(() => 0) };
    }
    if (cfg.kind === 'gru') attrs['linear_before_reset'] = int(cfg.resetAfter ? 1 : 0);
    const Y = e.fresh('Y');
    const Yh = e.fresh('Y_h');
    const outs = [Y, Yh];
    if (cfg.kind === 'lstm') outs.push(e.fresh('Y_c'));
    e.node(cfg.kind === 'lstm' ? 'LSTM' : cfg.kind === 'gru' ? 'GRU' : 'RNN', ins, outs, attrs);
    // Y [T, 1, B, u] → [B, T, u]; Y_h / Y_c [1, B, u] → [B, u]
    if (c.used[0]) e.node('Transpose', [e.one('Squeeze', [Y, e.i64([1])])], [c.out[0]!], { perm: ints([1, 0, 2]) });
    if (c.used[1]) e.node('Squeeze', [Yh, axis0], [c.out[1]!]);
    if (cfg.kind === 'lstm' && c.used[2]) e.node('Squeeze', [outs[2]!, axis0], [c.out[2]!]);
  },
};

/**
 * One ONNX LayerNormalization over the trailing normalized axes: `gamma` / `beta` are the
 * names of the scale / shift inputs, or null (no scale: ones, which needs static dims).
 */
function layerNormalization(c: Ctx, gamma: string | null, beta: string | null, outs: readonly string[]): void {
  const xd = c.inDims[0]!;
  const axes = c.p.axes as readonly number[];
  const r = xd.length;
  if (!axes.every((a, i) => a === r - axes.length + i)) unsupported(c, `normalizes axes [${axes.join(', ')}], not the trailing ones`);
  const normDims = xd.slice(r - axes.length);
  let scale = gamma;
  if (scale === null) {
    if (!normDims.every(isStatic)) unsupported(c, 'normalizes over a dynamic dim without gamma (LayerNormalization needs a static scale)');
    scale = c.e.floats(new Array<number>(normDims.reduce((a, p) => a * p[0], 1)).fill(1), normDims.map((p) => p[0]));
  }
  const ins = beta === null ? [c.x[0]!, scale] : [c.x[0]!, scale, beta];
  c.e.node('LayerNormalization', ins, outs, { axis: int(r - axes.length), epsilon: float(c.p.eps), stash_type: int(1) });
}

/** why a primitive has no ONNX form (a string instead of a handler in the table) */
type NoMapping = string;
const BACKWARD = 'is a backward-pass primitive (export the forward function, not its gradient)';

/**
 * One entry per primitive, typed by PrimitiveName: adding or renaming a primitive without
 * deciding its ONNX form here fails to compile.
 */
export const HANDLERS: { readonly [K in PrimitiveName]: Handler | NoMapping } = {
  add: simple('Add'),
  add_any: simple('Add'),
  pure_callback: 'is a JavaScript callback (ONNX has no host functions; optimizer updates are not exported)',
  sub: simple('Sub'),
  mul: simple('Mul'),
  div: simple('Div'),
  pow: simple('Pow'),
  maximum: simple('Max'),
  minimum: simple('Min'),
  neg: simple('Neg'),
  abs: simple('Abs'),
  exp: simple('Exp'),
  log: simple('Log'),
  sqrt: simple('Sqrt'),
  reciprocal: simple('Reciprocal'),
  sign: simple('Sign'),
  sin: simple('Sin'),
  cos: simple('Cos'),
  floor: simple('Floor'),
  round: simple('Round'), // both round half to even
  sigmoid: simple('Sigmoid'),
  tanh: simple('Tanh'),
  relu: simple('Relu'),
  softplus: simple('Softplus'),
  leaky_relu: simple('LeakyRelu', (c) => ({ alpha: float(c.p.alpha) })),
  elu: simple('Elu', (c) => ({ alpha: float(c.p.alpha) })),
  stop_gradient: simple('Identity'),
  where: simple('Where'),
  eq: simple('Equal'),
  lt: simple('Less'),
  le: simple('LessOrEqual'),
  gt: simple('Greater'),
  ge: simple('GreaterOrEqual'),
  ne: { run: (c) => c.e.node('Not', [c.e.one('Equal', c.x)], [c.out[0]!]) },
  rsqrt: { run: (c) => c.e.node('Reciprocal', [c.e.one('Sqrt', c.x)], [c.out[0]!]) },
  square: { run: (c) => c.e.node('Mul', [c.x[0]!, c.x[0]!], [c.out[0]!]) },
  step: { run: (c) => c.e.node('Cast', [c.e.one('Greater', [c.x[0]!, c.e.scalar(0, 'float32')])], [c.out[0]!], { to: int(ONNX_DTYPE.FLOAT) }) },
  normal_cdf: { run: (c) => c.e.node('Identity', [normalCdf(c, c.x[0]!)], [c.out[0]!]) },
  // exact (erf) GELU: x·Φ(x)
  gelu: { run: (c) => c.e.node('Mul', [c.x[0]!, normalCdf(c, c.x[0]!)], [c.out[0]!]) },
  clip: { run: (c) => c.e.node('Clip', [c.x[0]!, c.e.scalar(c.p.lo, 'float32'), c.e.scalar(c.p.hi, 'float32')], [c.out[0]!]) },
  cast: simple('Cast', (c) => ({ to: int(ONNX_OF[c.p.to as DType]) })),
  softmax: simple('Softmax', (c) => ({ axis: int(c.p.axis) })),
  log_softmax: simple('LogSoftmax', (c) => ({ axis: int(c.p.axis) })),
  sum: {
    run(c) {
      if (c.p.axes.length === 0) return c.e.node('Identity', [c.x[0]!], [c.out[0]!]);
      c.e.node('ReduceSum', [c.x[0]!, c.e.i64(c.p.axes)], [c.out[0]!], { keepdims: int(c.p.keepDims ? 1 : 0) });
    },
  },
  max: reduceAttr('ReduceMax', 'Identity'),
  min: reduceAttr('ReduceMin', 'Identity'),
  prod: reduceAttr('ReduceProd', 'Identity'),
  norm: reduceAttr('ReduceL2', 'Abs'),
  log_sum_exp: reduceAttr('ReduceLogSumExp', 'Identity'),
  argmax: argReduce('ArgMax'),
  argmin: argReduce('ArgMin'),
  transpose: simple('Transpose', (c) => ({ perm: ints(c.p.perm) })),
  concat: simple('Concat', (c) => ({ axis: int(c.p.axis) })),
  gather: simple('Gather', (c) => ({ axis: int(c.p.axis) })),
  tile: { run: (c) => c.e.node('Tile', [c.x[0]!, c.e.i64(c.p.reps)], [c.out[0]!]) },
  pad: {
    run(c) {
      const pads = c.e.i64([...c.p.before, ...c.p.after]);
      c.e.node('Pad', [c.x[0]!, pads, c.e.scalar(c.p.value, c.inTypes[0]!)], [c.out[0]!], { mode: { kind: 'string', value: 'constant' } });
    },
  },
  split: {
    run(c) {
      c.e.node('Split', [c.x[0]!, c.e.i64(c.p.sizes)], c.out, { axis: int(c.p.axis) });
    },
  },
  one_hot: {
    run(c) {
      const idx = c.e.one('Cast', [c.x[0]!], { to: int(ONNX_DTYPE.INT64) });
      c.e.node('OneHot', [idx, c.e.i64([c.p.depth]), c.e.floats([c.p.off, c.p.on], [2])], [c.out[0]!], { axis: int(-1) });
    },
  },
  matmul: {
    run(c) {
      const flip = (name: string, rank: number) => {
        const perm = Array.from({ length: rank }, (_, i) => i);
        [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
        return c.e.one('Transpose', [name], { perm: ints(perm) });
      };
      const a = c.p.transA ? flip(c.x[0]!, c.inDims[0]!.length) : c.x[0]!;
      const b = c.p.transB ? flip(c.x[1]!, c.inDims[1]!.length) : c.x[1]!;
      c.e.node('MatMul', [a, b], [c.out[0]!]);
    },
  },
  reshape: {
    varying: true,
    run(c) {
      const from = c.inDims[0]!;
      const to = c.outDims[0]!;
      const zeroSized = to.some((p) => p[0] === 0 || p[1] === 0);
      // 0 copies the input dim at the same position (not with allowzero, needed for a 0-sized dim)
      const parts: (number | null)[] = to.map((p, i) => (isStatic(p) ? p[0] : !zeroSized && i < from.length && samePair(from[i]!, p) ? 0 : null));
      const open = parts.flatMap((v, i) => (v === null ? [i] : []));
      let inferred = -1;
      if (open.length === 1) inferred = open[0]!;
      else if (open.length > 1) {
        const hard = open.filter((i) => !c.e.canDim(to[i]!));
        if (hard.length > 1) unsupported(c, `to [${to.map((p) => (isStatic(p) ? p[0] : '?')).join(', ')}] needs ${hard.length} dynamic dims that cannot be computed at run time`);
        inferred = hard[0] ?? open[0]!;
      }
      const shape = c.e.vector(parts.map((v, i) => (v !== null ? v : i === inferred ? -1 : { runtime: c.e.dim(to[i]!) })));
      c.e.node('Reshape', [c.x[0]!, shape], [c.out[0]!], zeroSized ? { allowzero: int(1) } : undefined);
    },
  },
  broadcast_to: {
    varying: true,
    run(c) {
      const from = c.inDims[0]!;
      const to = c.outDims[0]!;
      const off = to.length - from.length;
      // Expand broadcasts both ways: 1 keeps a dim the input already has
      const dims = to.map((p, i): Pair => (i >= off && samePair(from[i - off]!, p) ? [1, 1] : p));
      c.e.node('Expand', [c.x[0]!, c.e.shape(dims)], [c.out[0]!]);
    },
  },
  slice: {
    varying: true,
    run(c) {
      requireSame(c, 'strides');
      const xd = c.inDims[0]!;
      const axes: number[] = [];
      const starts: (number | { runtime: string })[] = [];
      const ends: (number | { runtime: string })[] = [];
      const steps: number[] = [];
      // a bound: static, counted from the end of the axis, or computed at run time
      const bound = (v: Pair, dim: Pair, isEnd: boolean): number | { runtime: string } => {
        if (isEnd && samePair(v, dim)) return INT64_MAX_SAFE;
        if (isStatic(v)) return v[0];
        const back: Pair = [dim[0] - v[0], dim[1] - v[1]];
        if (isStatic(back) && back[0] > 0) return -back[0];
        return { runtime: c.e.dim(v) };
      };
      xd.forEach((dim, ax) => {
        const s = c.p.strides?.[ax] ?? 1;
        const begin: Pair = [c.p.begin[ax], c.p2.begin[ax]];
        const size: Pair = [c.p.size[ax], c.p2.size[ax]];
        if (begin[0] === 0 && begin[1] === 0 && samePair(size, dim) && s === 1) return;
        const endAt = (k: 0 | 1) => (size[k] === 0 ? begin[k] : begin[k] + (size[k] - 1) * s + 1);
        const end: Pair = [endAt(0), endAt(1)];
        axes.push(ax);
        starts.push(bound(begin, dim, false));
        ends.push(bound(end, dim, true));
        steps.push(s);
      });
      if (axes.length === 0) return c.e.node('Identity', [c.x[0]!], [c.out[0]!]);
      c.e.node('Slice', [c.x[0]!, c.e.vector(starts), c.e.vector(ends), c.e.i64(axes), c.e.i64(steps)], [c.out[0]!]);
    },
  },
  conv2d: {
    varying: true,
    run(c) {
      requireSame(c, 'strides', 'dilation');
      const xd = c.inDims[0]!;
      const wd = c.inDims[1]!;
      const xn = nhwcToNchw(c, c.x[0]!);
      const wn = c.e.one('Transpose', [c.x[1]!], { perm: ints([3, 2, 0, 1]) });
      const y = c.e.one('Conv', [xn, wn], {
        kernel_shape: ints([wd[0]![0], wd[1]![0]]),
        strides: ints(c.p.strides),
        dilations: ints(c.p.dilation),
        ...padAttrs(c, c.outDims[0]!.slice(1, 3), xd.slice(1, 3), [wd[0]![0], wd[1]![0]], c.p.strides, c.p.dilation),
      });
      nchwToNhwc(c, y, c.out[0]!);
    },
  },
  max_pool2d: pool('max'),
  avg_pool2d: pool('avg'),
  layer_normalize: {
    run(c) {
      const outs = c.used[1] ? [c.out[0]!, '', c.out[1]!] : [c.out[0]!];
      layerNormalization(c, null, null, outs);
    },
  },
  // layerNorm with gamma / beta (ops/norm.ts): inputs [x, gamma?, beta?], outputs [y, mean, rstd] as ONNX's
  layer_norm_affine: {
    run(c) {
      const outs = [c.out[0]!, c.used[1] ? c.out[1]! : '', c.used[2] ? c.out[2]! : ''];
      while (outs[outs.length - 1] === '') outs.pop();
      layerNormalization(c, c.p.gamma ? c.x[1]! : null, c.p.beta ? c.x[c.p.gamma ? 2 : 1]! : null, outs);
    },
  },
  recurrent_sequence: recurrentHandler,
  conv2d_backprop_input: BACKWARD,
  conv2d_backprop_filter: BACKWARD,
  max_pool2d_argmax: BACKWARD,
  max_pool_gather: BACKWARD,
  max_pool_scatter: BACKWARD,
  avg_pool2d_backprop: BACKWARD,
  scatter_add: BACKWARD,
  recurrent_sequence_grad: BACKWARD,
};

/** every primitive name the exporter maps */
export const ONNX_SUPPORTED_PRIMITIVES: readonly PrimitiveName[] = PRIMITIVE_NAMES.filter((n) => typeof HANDLERS[n] !== 'string').sort();

/** The handler of a graph equation's primitive, or an Error naming it and why it has none. */
export function handlerOf(name: string): Handler {
  const h = isPrimitiveName(name) ? HANDLERS[name] : 'is a composite (customVjp) primitive';
  if (typeof h !== 'string') return h;
  throw new Error(`exportOnnx: primitive '${name}' has no ONNX mapping: it ${h} (supported: ${ONNX_SUPPORTED_PRIMITIVES.join(', ')})`);
}
