/**
 * Element-wise ops with NumPy broadcasting: arithmetic, math functions, comparisons,
 * where, clip, cast. Each op is one primitive: its runtime shape rule (broadcastShapes,
 * the twin of the BroadcastShape type), its kernel call, and its derivative rules.
 *
 * Operands may be tensors or plain numbers (`add(x, 1)`, `sub(1, x)`).
 */
import type { BinaryOp, CompareOp, UnaryOp } from '../backend/backend';
import { backend } from '../backend';
import type { Dim, Shape } from '../shape/dims';
import { ArgumentError, ShapeError } from '../shape/dims';
import { broadcastShapes, type BroadcastShape, type Check, type Result } from '../shape/rules';
import type { DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { erase, eraseOperand, typed } from '../tensor/untyped';
import { scalar } from '../tensor/create';
import { bind1, type AVal, type AnyTensor, type MaybeTensor, type Primitive } from '../autodiff/core';
import type { PrimitiveName } from '../autodiff/primitive-names';
import { broadcastToRaw, sumToShape } from './reduce-core';
import { operandArg, tensorArgs } from '../tensor/validate';
import { batchBroadcast, batchSameAxis } from './batch-rules';

export type Operand = Tensor<Shape, 'float32'> | number;
/** the shape of an operand: numbers are scalars */
export type OperandShape<T> = T extends Tensor<infer S, any> ? S : [];
export type BinOut<A, B> = Tensor<Result<BroadcastShape<OperandShape<A>, OperandShape<B>>>>;
export type BinCheck<A, B> = Check<BroadcastShape<OperandShape<A>, OperandShape<B>>>;

const f32 = (x: AnyTensor) => x._data as Float32Array;

/** An untyped operand: a tensor or a plain number (a float32 scalar). */
export type RawOperand = AnyTensor | number;

function toTensor(x: RawOperand): AnyTensor {
  return typeof x === 'number' ? erase(scalar(x)) : x;
}

function requireFloat(op: string, ins: readonly AVal[]): void {
  for (const a of ins) if (a.dtype !== 'float32') throw new ShapeError(op, `expects float32 operands, got ${a.dtype}`);
}

// ---------------------------------------------------------------- binary arithmetic

interface BinaryRules {
  /** d out / d a and d out / d b as tensors (broadcast to the output), given inputs and output */
  jvp(a: AnyTensor, b: AnyTensor, out: AnyTensor, ta: MaybeTensor, tb: MaybeTensor): MaybeTensor;
  vjp(a: AnyTensor, b: AnyTensor, out: AnyTensor, ct: AnyTensor): [MaybeTensor, MaybeTensor];
}

function binaryPrimitive(op: BinaryOp, rules: BinaryRules): Primitive<null> {
  const prim: Primitive<null> = {
    name: op,
    shape(ins) {
      requireFloat(op, ins);
      return [{ shape: broadcastShapes(ins[0]!.shape, ins[1]!.shape), dtype: 'float32' }];
    },
    impl(ins, _p, outs, into) {
      const [a, b] = ins as [AnyTensor, AnyTensor];
      return [backend().binary(op, f32(a), a.shape as readonly number[], f32(b), b.shape as readonly number[], outs[0]!.shape, into?.[0] as Float32Array | undefined)];
    },
    // a tangent of the smaller operand alone must still have the output's (broadcast) shape
    jvp: (p, t, o) => {
      const tout = rules.jvp(p[0]!, p[1]!, o[0]!, t[0]!, t[1]!);
      return [tout && broadcastToRaw(tout, o[0]!.shape as readonly number[])];
    },
    vjp(cts, p, o) {
      const [da, db] = rules.vjp(p[0]!, p[1]!, o[0]!, cts[0]!);
      return [da && sumToShape(da, p[0]!.shape as readonly number[]), db && sumToShape(db, p[1]!.shape as readonly number[])];
    },
    batch: (ins, dims) => batchBroadcast(prim, ins, dims, null),
  };
  return prim;
}

const addT = (a: MaybeTensor, b: MaybeTensor): MaybeTensor => (a === null ? b : b === null ? a : addRaw(a, b));

export const addP = binaryPrimitive('add', {
  jvp: (_a, _b, _o, ta, tb) => addT(ta, tb),
  vjp: (_a, _b, _o, ct) => [ct, ct],
});
export const subP = binaryPrimitive('sub', {
  jvp: (_a, _b, _o, ta, tb) => (tb === null ? ta : ta === null ? negRaw(tb) : subRaw(ta, tb)),
  vjp: (_a, _b, _o, ct) => [ct, negRaw(ct)],
});
export const mulP = binaryPrimitive('mul', {
  jvp: (a, b, _o, ta, tb) => addT(ta && mulRaw(ta, b), tb && mulRaw(a, tb)),
  vjp: (a, b, _o, ct) => [mulRaw(ct, b), mulRaw(ct, a)],
});
export const divP = binaryPrimitive('div', {
  // d(a/b) = da/b - a db / b^2 = (da - out db) / b
  jvp: (_a, b, o, ta, tb) => {
    const num = tb === null ? ta! : ta === null ? negRaw(mulRaw(o, tb)) : subRaw(ta, mulRaw(o, tb));
    return divRaw(num, b);
  },
  vjp: (_a, b, o, ct) => {
    const g = divRaw(ct, b);
    return [g, negRaw(mulRaw(g, o))];
  },
});
export const powP = binaryPrimitive('pow', {
  // d a^b = b a^(b-1) da + a^b log(a) db; the log term is taken as 0 where a <= 0 (as JAX does for a == 0)
  jvp: (a, b, o, ta, tb) => addT(ta && mulRaw(ta, powDa(a, b)), tb && mulRaw(tb, powDb(a, o))),
  vjp: (a, b, o, ct) => [mulRaw(ct, powDa(a, b)), mulRaw(ct, powDb(a, o))],
});
function powDa(a: AnyTensor, b: AnyTensor): AnyTensor {
  return mulRaw(b, powRaw(a, subRaw(b, 1)));
}
function powDb(a: AnyTensor, o: AnyTensor): AnyTensor {
  const pos = compareRaw(greaterP, a, 0);
  return whereRaw(pos, mulRaw(o, logRaw(whereRaw(pos, a, 1))), 0);
}
// max/min: the gradient goes to a where a wins, ties split evenly (0.5 each), like JAX.
function selectRules(isMax: boolean): BinaryRules {
  const masks = (a: AnyTensor, b: AnyTensor) => {
    const wa = compareRaw(isMax ? greaterP : lessP, a, b);
    const tie = compareRaw(equalP, a, b);
    const ma = addRaw(castRaw(wa, 'float32'), mulRaw(castRaw(tie, 'float32'), 0.5));
    return [ma, subRaw(1, ma)] as const;
  };
  return {
    jvp: (a, b, _o, ta, tb) => {
      const [ma, mb] = masks(a, b);
      return addT(ta && mulRaw(ta, ma), tb && mulRaw(tb, mb));
    },
    vjp: (a, b, _o, ct) => {
      const [ma, mb] = masks(a, b);
      return [mulRaw(ct, ma), mulRaw(ct, mb)];
    },
  };
}
export const maximumP = binaryPrimitive('maximum', selectRules(true));
export const minimumP = binaryPrimitive('minimum', selectRules(false));

// untyped cores (what layers, losses, optimizers and derivative rules call)
export const addRaw = (a: RawOperand, b: RawOperand): AnyTensor => bind1(addP, [toTensor(a), toTensor(b)], null);
export const subRaw = (a: RawOperand, b: RawOperand): AnyTensor => bind1(subP, [toTensor(a), toTensor(b)], null);
export const mulRaw = (a: RawOperand, b: RawOperand): AnyTensor => bind1(mulP, [toTensor(a), toTensor(b)], null);
export const divRaw = (a: RawOperand, b: RawOperand): AnyTensor => bind1(divP, [toTensor(a), toTensor(b)], null);
export const powRaw = (a: RawOperand, b: RawOperand): AnyTensor => bind1(powP, [toTensor(a), toTensor(b)], null);
export const maximumRaw = (a: RawOperand, b: RawOperand): AnyTensor => bind1(maximumP, [toTensor(a), toTensor(b)], null);
export const minimumRaw = (a: RawOperand, b: RawOperand): AnyTensor => bind1(minimumP, [toTensor(a), toTensor(b)], null);

function binary<X extends Operand, Y extends Operand>(prim: Primitive<null>, a: X, b: Y): BinOut<X, Y> {
  operandArg(prim.name, 'a', a);
  operandArg(prim.name, 'b', b);
  return typed<BinOut<X, Y>>(bind1(prim, [toTensor(eraseOperand(a)), toTensor(eraseOperand(b as Operand))], null));
}

export function add<X extends Operand, Y extends Operand>(a: X, b: Y & BinCheck<X, Y>): BinOut<X, Y> {
  return binary(addP, a, b);
}
export function sub<X extends Operand, Y extends Operand>(a: X, b: Y & BinCheck<X, Y>): BinOut<X, Y> {
  return binary(subP, a, b);
}
export function mul<X extends Operand, Y extends Operand>(a: X, b: Y & BinCheck<X, Y>): BinOut<X, Y> {
  return binary(mulP, a, b);
}
export function div<X extends Operand, Y extends Operand>(a: X, b: Y & BinCheck<X, Y>): BinOut<X, Y> {
  return binary(divP, a, b);
}
export function pow<X extends Operand, Y extends Operand>(a: X, b: Y & BinCheck<X, Y>): BinOut<X, Y> {
  return binary(powP, a, b);
}
export function maximum<X extends Operand, Y extends Operand>(a: X, b: Y & BinCheck<X, Y>): BinOut<X, Y> {
  return binary(maximumP, a, b);
}
export function minimum<X extends Operand, Y extends Operand>(a: X, b: Y & BinCheck<X, Y>): BinOut<X, Y> {
  return binary(minimumP, a, b);
}

// ---------------------------------------------------------------- unary math

/** derivative of y = f(x) as a tensor, from x and y (must be written with ops so it is differentiable) */
/** A unary primitive's derivative: dy/dx from x and y = f(x), a tensor or a constant. */
export type UnaryDerivative = (x: AnyTensor, y: AnyTensor) => AnyTensor | number;

export function unaryPrimitive(name: PrimitiveName, kernel: (x: Float32Array) => Float32Array, deriv: UnaryDerivative | null): Primitive<null> {
  const prim: Primitive<null> = {
    name,
    shape(ins) {
      requireFloat(name, ins);
      return [ins[0]!];
    },
    impl: (ins) => [kernel(f32(ins[0]!))],
    jvp: (p, t, o) => [deriv === null ? null : mulRaw(t[0]!, deriv(p[0]!, o[0]!))],
    vjp: (cts, p, o) => [deriv === null ? null : mulRaw(cts[0]!, deriv(p[0]!, o[0]!))],
    batch: (ins, dims) => batchSameAxis(prim, ins, dims, null),
  };
  return prim;
}

const k = (op: UnaryOp) => (x: Float32Array) => backend().unary(op, x);

export const negP = unaryPrimitive('neg', k('neg'), () => -1);
export const absP = unaryPrimitive('abs', k('abs'), (x) => signRaw(x)); // abs'(0) = 0
export const expP = unaryPrimitive('exp', k('exp'), (_x, y) => y);
export const logP = unaryPrimitive('log', k('log'), (x) => reciprocalRaw(x));
export const sqrtP = unaryPrimitive('sqrt', k('sqrt'), (_x, y) => divRaw(0.5, y));
export const rsqrtP = unaryPrimitive('rsqrt', k('rsqrt'), (x, y) => mulRaw(-0.5, divRaw(y, x)));
export const squareP = unaryPrimitive('square', k('square'), (x) => mulRaw(2, x));
export const reciprocalP = unaryPrimitive('reciprocal', k('reciprocal'), (_x, y) => negRaw(squareRaw(y)));
export const signP = unaryPrimitive('sign', k('sign'), null);
export const sinP = unaryPrimitive('sin', k('sin'), (x) => cosRaw(x));
export const cosP = unaryPrimitive('cos', k('cos'), (x) => negRaw(sinRaw(x)));
export const floorP = unaryPrimitive('floor', k('floor'), null);
export const roundP = unaryPrimitive('round', k('round'), null);

// untyped cores
export const negRaw = (x: AnyTensor): AnyTensor => bind1(negP, [x], null);
export const absRaw = (x: AnyTensor): AnyTensor => bind1(absP, [x], null);
export const expRaw = (x: AnyTensor): AnyTensor => bind1(expP, [x], null);
export const logRaw = (x: AnyTensor): AnyTensor => bind1(logP, [x], null);
export const sqrtRaw = (x: AnyTensor): AnyTensor => bind1(sqrtP, [x], null);
export const rsqrtRaw = (x: AnyTensor): AnyTensor => bind1(rsqrtP, [x], null);
export const squareRaw = (x: AnyTensor): AnyTensor => bind1(squareP, [x], null);
export const reciprocalRaw = (x: AnyTensor): AnyTensor => bind1(reciprocalP, [x], null);
export const signRaw = (x: AnyTensor): AnyTensor => bind1(signP, [x], null);
export const sinRaw = (x: AnyTensor): AnyTensor => bind1(sinP, [x], null);
export const cosRaw = (x: AnyTensor): AnyTensor => bind1(cosP, [x], null);

function unary<S extends Shape>(prim: Primitive<null>, x: Tensor<S>): Tensor<S> {
  return typed<Tensor<S>>(bind1(prim, [erase(x)], null));
}

export const neg = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(negP, x);
export const abs = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(absP, x);
export const exp = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(expP, x);
export const log = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(logP, x);
export const sqrt = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(sqrtP, x);
export const rsqrt = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(rsqrtP, x);
export const square = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(squareP, x);
export const reciprocal = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(reciprocalP, x);
/** sign(x) ∈ {-1, 0, 1}; its derivative is zero */
export const sign = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(signP, x);
export const sin = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(sinP, x);
export const cos = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(cosP, x);
export const floor = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(floorP, x);
export const round = <S extends Shape>(x: Tensor<S>): Tensor<S> => unary(roundP, x);

// ---------------------------------------------------------------- comparisons → bool masks

export type MaskOut<A, B> = Tensor<Result<BroadcastShape<OperandShape<A>, OperandShape<B>>>, 'bool'>;
export type CmpOperand = Tensor<Shape, 'float32' | 'int32'> | number;

function comparePrimitive(op: CompareOp): Primitive<null> {
  const prim: Primitive<null> = {
    name: op,
    shape(ins) {
      const [a, b] = ins as [AVal, AVal];
      if (a.dtype === 'bool' || b.dtype === 'bool' || a.dtype !== b.dtype) {
        throw new ShapeError(op, `expects two float32 or two int32 operands, got ${a.dtype} and ${b.dtype}`);
      }
      return [{ shape: broadcastShapes(a.shape, b.shape), dtype: 'bool' }];
    },
    impl(ins, _p, outs) {
      const [a, b] = ins as [AnyTensor, AnyTensor];
      return [backend().compare(op, a._data as Float32Array, a.shape as readonly number[], b._data as Float32Array, b.shape as readonly number[], outs[0]!.shape)];
    },
    jvp: () => [null],
    vjp: () => [null, null],
    batch: (ins, dims) => batchBroadcast(prim, ins, dims, null),
  };
  return prim;
}
export const equalP = comparePrimitive('eq');
export const notEqualP = comparePrimitive('ne');
export const lessP = comparePrimitive('lt');
export const lessEqualP = comparePrimitive('le');
export const greaterP = comparePrimitive('gt');
export const greaterEqualP = comparePrimitive('ge');

/** a number compared with an int32 tensor is an int32 scalar */
function cmpTensor(x: RawOperand, like: RawOperand): AnyTensor {
  if (typeof x !== 'number') return x;
  const dt: DType = typeof like !== 'number' && like.dtype === 'int32' ? 'int32' : 'float32';
  return erase(scalar(x, dt));
}
/** untyped core of the comparisons: a bool mask */
export function compareRaw(prim: Primitive<null>, a: RawOperand, b: RawOperand): AnyTensor {
  return bind1(prim, [cmpTensor(a, b), cmpTensor(b, a)], null);
}
/** The public names of the comparison primitives, for messages. */
const CMP_NAME = new Map([['eq', 'equal'], ['ne', 'notEqual'], ['lt', 'less'], ['le', 'lessEqual'], ['gt', 'greater'], ['ge', 'greaterEqual']]);
function compare<X extends CmpOperand, Y extends CmpOperand>(prim: Primitive<null>, a: X, b: Y): MaskOut<X, Y> {
  const op = CMP_NAME.get(prim.name) ?? prim.name;
  operandArg(op, 'a', a);
  operandArg(op, 'b', b);
  return typed<MaskOut<X, Y>>(compareRaw(prim, eraseOperand(a), eraseOperand(b)));
}
export function equal<X extends CmpOperand, Y extends CmpOperand>(a: X, b: Y & BinCheck<X, Y>): MaskOut<X, Y> {
  return compare(equalP, a, b);
}
export function notEqual<X extends CmpOperand, Y extends CmpOperand>(a: X, b: Y & BinCheck<X, Y>): MaskOut<X, Y> {
  return compare(notEqualP, a, b);
}
export function less<X extends CmpOperand, Y extends CmpOperand>(a: X, b: Y & BinCheck<X, Y>): MaskOut<X, Y> {
  return compare(lessP, a, b);
}
export function lessEqual<X extends CmpOperand, Y extends CmpOperand>(a: X, b: Y & BinCheck<X, Y>): MaskOut<X, Y> {
  return compare(lessEqualP, a, b);
}
export function greater<X extends CmpOperand, Y extends CmpOperand>(a: X, b: Y & BinCheck<X, Y>): MaskOut<X, Y> {
  return compare(greaterP, a, b);
}
export function greaterEqual<X extends CmpOperand, Y extends CmpOperand>(a: X, b: Y & BinCheck<X, Y>): MaskOut<X, Y> {
  return compare(greaterEqualP, a, b);
}

// ---------------------------------------------------------------- where, clip, cast

export const whereP: Primitive<null> = {
  name: 'where',
  nondiff: [0],
  shape(ins) {
    const [c, a, b] = ins as [AVal, AVal, AVal];
    if (c.dtype !== 'bool') throw new ShapeError('where', `condition must be a bool mask, got ${c.dtype}`);
    requireFloat('where', [a, b]);
    return [{ shape: broadcastShapes(c.shape, broadcastShapes(a.shape, b.shape)), dtype: 'float32' }];
  },
  impl(ins, _p, outs, into) {
    const [c, a, b] = ins as [AnyTensor, AnyTensor, AnyTensor];
    return [backend().where(c._data as Uint8Array, c.shape as readonly number[], f32(a), a.shape as readonly number[], f32(b), b.shape as readonly number[], outs[0]!.shape, into?.[0] as Float32Array | undefined)];
  },
  jvp: (p, t) => {
    const [c] = p;
    const ta = t[1] ?? null;
    const tb = t[2] ?? null;
    if (ta === null && tb === null) return [null];
    return [whereRaw(c!, ta ?? 0, tb ?? 0)];
  },
  vjp: (cts, p) => {
    const [c, a, b] = p as [AnyTensor, AnyTensor, AnyTensor];
    const ct = cts[0]!;
    return [null, sumToShape(whereRaw(c, ct, 0), a.shape as readonly number[]), sumToShape(whereRaw(c, 0, ct), b.shape as readonly number[])];
  },
  batch: (ins, dims) => batchBroadcast(whereP, ins, dims, null),
};

export type WhereShape<C extends Shape, X, Y> = BroadcastShape<C, Result<BroadcastShape<OperandShape<X>, OperandShape<Y>>>>;

/** cond ? a : b element-wise, all three broadcast together. */
export function where<C extends Shape, X extends Operand, Y extends Operand>(
  cond: Tensor<C, 'bool'>,
  a: X & BinCheck<X, Y>,
  b: Y & Check<WhereShape<C, X, Y>>,
): Tensor<Result<WhereShape<C, X, Y>>> {
  tensorArgs('where', { cond });
  operandArg('where', 'a', a);
  operandArg('where', 'b', b);
  return typed<Tensor<Result<WhereShape<C, X, Y>>>>(whereRaw(erase(cond), eraseOperand(a), eraseOperand(b as Operand)));
}
/** untyped core of `where`: cond is a bool mask */
export function whereRaw(cond: AnyTensor, a: RawOperand, b: RawOperand): AnyTensor {
  return bind1(whereP, [cond, toTensor(a), toTensor(b)], null);
}

interface ClipParams {
  readonly lo: number;
  readonly hi: number;
}
export const clipP: Primitive<ClipParams> = {
  name: 'clip',
  shape(ins, p) {
    requireFloat('clip', ins);
    if (!(p.lo <= p.hi)) throw new RangeError(`clip: lo (${p.lo}) must be <= hi (${p.hi})`);
    return [ins[0]!];
  },
  impl: (ins, p) => [backend().clip(f32(ins[0]!), p.lo, p.hi)],
  // the gradient passes where lo <= x <= hi (boundaries included, like tfjs)
  jvp: (prim, t, _o, p) => [mulRaw(t[0]!, insideClip(prim[0]!, p))],
  vjp: (cts, prim, _o, p) => [mulRaw(cts[0]!, insideClip(prim[0]!, p))],
  batch: (ins, dims, p) => batchSameAxis(clipP, ins, dims, p),
};
/** 1 where lo <= x <= hi, else 0 */
function insideClip(x: AnyTensor, p: ClipParams): AnyTensor {
  const inside = mulRaw(castRaw(compareRaw(greaterEqualP, x, p.lo), 'float32'), castRaw(compareRaw(lessEqualP, x, p.hi), 'float32'));
  return inside;
}
export const clipRaw = (x: AnyTensor, lo: number, hi: number): AnyTensor => bind1(clipP, [x], { lo, hi });
export function clip<S extends Shape>(x: Tensor<S>, lo: number, hi: number): Tensor<S> {
  tensorArgs('clip', { x });
  return typed<Tensor<S>>(clipRaw(erase(x), lo, hi));
}

interface CastParams {
  readonly to: DType;
}
export const castP: Primitive<CastParams> = {
  name: 'cast',
  shape: (ins, p) => [{ shape: ins[0]!.shape, dtype: p.to }],
  impl: (ins, p) => [backend().cast(ins[0]!._data!, p.to)],
  jvp: (prim, t, _o, p) => [p.to === 'float32' && prim[0]!.dtype === 'float32' ? t[0]! : null],
  vjp: (cts, prim, _o, p) => [p.to === 'float32' && prim[0]!.dtype === 'float32' ? cts[0]! : null],
  batch: (ins, dims, p) => batchSameAxis(castP, ins, dims, p),
};
/** Convert dtype: float → int truncates toward zero; bool is 0/1. */
export function cast<S extends Shape, To extends DType>(x: Tensor<S, DType>, to: To): Tensor<S, To> {
  tensorArgs('cast', { x });
  if (to !== 'float32' && to !== 'int32' && to !== 'bool') throw new ArgumentError('cast', 'to', `to must be 'float32', 'int32' or 'bool', got ${JSON.stringify(String(to))}`);
  return typed<Tensor<S, To>>(castRaw(erase(x), to));
}
/** untyped core of `cast`; the same dtype returns x itself */
export function castRaw(x: AnyTensor, to: DType): AnyTensor {
  return x.dtype === to ? x : bind1(castP, [x], { to });
}

/** Element-wise AND / OR / NOT of bool masks (with broadcasting). */
export function logicalAnd<X extends Shape, Y extends Shape>(a: Tensor<X, 'bool'>, b: Tensor<Y, 'bool'> & Check<BroadcastShape<X, Y>>): Tensor<Result<BroadcastShape<X, Y>>, 'bool'> {
  tensorArgs('logicalAnd', { a, b });
  return typed<Tensor<Result<BroadcastShape<X, Y>>, 'bool'>>(logicalAndRaw(erase(a), erase(b as Tensor<Y, 'bool'>)));
}
export function logicalOr<X extends Shape, Y extends Shape>(a: Tensor<X, 'bool'>, b: Tensor<Y, 'bool'> & Check<BroadcastShape<X, Y>>): Tensor<Result<BroadcastShape<X, Y>>, 'bool'> {
  tensorArgs('logicalOr', { a, b });
  const s = addRaw(castRaw(erase(a), 'float32'), castRaw(erase(b as Tensor<Y, 'bool'>), 'float32'));
  return typed<Tensor<Result<BroadcastShape<X, Y>>, 'bool'>>(compareRaw(greaterP, s, 0));
}
export function logicalNot<S extends Shape>(a: Tensor<S, 'bool'>): Tensor<S, 'bool'> {
  tensorArgs('logicalNot', { a });
  return typed<Tensor<S, 'bool'>>(compareRaw(equalP, castRaw(erase(a), 'float32'), 0));
}
/** untyped core of `logicalAnd` (bool masks) */
export function logicalAndRaw(a: AnyTensor, b: AnyTensor): AnyTensor {
  return compareRaw(greaterP, mulRaw(castRaw(a, 'float32'), castRaw(b, 'float32')), 0);
}
