/**
 * Positional encodings added to [..., seq, d_model] embeddings.
 *
 * - sinusoidalPositionalEncoding(): fixed, as in "Attention is all you need":
 *     PE[pos, 2i] = sin(pos / 10000^(2i/D)),  PE[pos, 2i+1] = cos(pos / 10000^(2i/D))
 *   (sin and cos interleaved). No params; D must be even (a compile error at the layer).
 * - learnedPositionalEncoding({ maxLen }): a trainable table `embeddings` [maxLen, D] (Keras-NLP
 *   PositionEmbedding); the first L rows are added. L <= maxLen is checked at compile time when
 *   L is a literal, and at run time always.
 */
import type { Lte } from '../../shape/arith';
import type { Dim, Shape, ShapeMismatch } from '../../shape/dims';
import { ShapeError } from '../../shape/dims';
import type { Check } from '../../shape/rules';
import { makeTensor, type Tensor } from '../../tensor/tensor';
import { erase, typed, type AnyTensor } from '../../tensor/untyped';
import { addRaw } from '../../ops/elementwise';
import { sliceRaw } from '../../ops/layout';
import { glorotUniform, resolveInit, type Initializer, type InitializerName } from '../init';
import { knownDim, type InOf, type Layer, type LayerKind } from '../layer';
import type { IsLit } from '../../shape/dim-types';

const dimsOf = (x: AnyTensor) => x.shape as readonly number[];

type OddDigit = '1' | '3' | '5' | '7' | '9';
type IsOdd<D> = IsLit<D> extends true ? (`${D & number}` extends `${string}${OddDigit}` ? true : false) : false;
type Last<S extends Shape> = S extends readonly [...Dim[], infer L] ? L : never;
type SecondLast<S extends Shape> = S extends readonly [...Dim[], infer L, Dim] ? L : never;

// =============================================================================================
// Sinusoidal

/** `true` for an even (or non-literal) d_model, else `<Name>: d_model must be even (got 63)`. */
export type EvenDModelRule<Name extends string, D> = IsOdd<D> extends true ? ShapeMismatch<`${Name}: d_model must be even (got ${D & number})`, 'even', D> : true;

/** [..., L, D] with D even → the same shape; rank < 2 or odd D → the mismatch. */
export type SinusoidalShape<S extends Shape> = number extends S['length']
  ? [...S]
  : S extends readonly [...Dim[], Dim, Dim]
    ? EvenDModelRule<'sinusoidalPositionalEncoding', Last<S>> extends infer R
      ? R extends ShapeMismatch<any, any, any>
        ? R
        : [...S]
      : never
    : ShapeMismatch<`sinusoidalPositionalEncoding: expects [..., seq, features] (got rank ${S['length']})`, 2, S>;

export interface SinusoidalKind extends LayerKind {
  readonly Out: SinusoidalShape<InOf<this>>;
  readonly Params: Record<string, never>;
}

const tableCache = new Map<string, AnyTensor>();
const CACHE_LIMIT = 64;
/** larger tables are recomputed rather than kept */
const CACHE_MAX_SIZE = 1 << 20;

/**
 * The fixed table PE [length, dModel] (float32; computed in float64). Tables are immutable, so
 * recent ones are kept and shared.
 */
export function sinusoidalEncoding<const L extends number, const D extends number>(
  length: L,
  dModel: D & Check<EvenDModelRule<'sinusoidalEncoding', D>>,
  maxWavelength = 10000,
): Tensor<[L, D]> {
  // the table is built [length, dModel] from the checked arguments
  return typed<Tensor<[L, D]>>(sinusoidalTable(length, dModel, maxWavelength));
}

/** The untyped core of sinusoidalEncoding (same checks, same cache). */
function sinusoidalTable(length: number, dModel: number, maxWavelength: number): AnyTensor {
  if (!(Number.isInteger(length) && length >= 0)) throw new RangeError(`sinusoidalEncoding: length must be a non-negative integer, got ${length}`);
  if (!(Number.isInteger(dModel) && dModel >= 2)) throw new RangeError(`sinusoidalEncoding: dModel must be an integer >= 2, got ${dModel}`);
  if (dModel % 2 !== 0) throw new ShapeError('sinusoidalEncoding', `d_model must be even (got ${dModel})`);
  const id = `${length}x${dModel}x${maxWavelength}`;
  const hit = tableCache.get(id);
  if (hit) return hit;
  const out = new Float32Array(length * dModel);
  for (let i = 0; i < dModel / 2; i++) {
    const inv = 1 / Math.pow(maxWavelength, (2 * i) / dModel);
    for (let pos = 0; pos < length; pos++) {
      const a = pos * inv;
      out[pos * dModel + 2 * i] = Math.sin(a);
      out[pos * dModel + 2 * i + 1] = Math.cos(a);
    }
  }
  const t = erase(makeTensor([length, dModel], 'float32', out));
  if (out.length <= CACHE_MAX_SIZE) {
    if (tableCache.size >= CACHE_LIMIT) tableCache.delete(tableCache.keys().next().value!);
    tableCache.set(id, t);
  }
  return t;
}

function sinusoidalOutput(input: readonly (number | string)[], name: string): void {
  if (input.length < 2) throw new ShapeError(name, `expects [..., seq, features] (got rank ${input.length})`);
  const d = input[input.length - 1]!;
  if (typeof d === 'number' && d % 2 !== 0) throw new ShapeError(name, `d_model must be even (got ${d})`);
}

/** x + PE[:L] for x [..., L, D]. */
export function addSinusoidal(x: AnyTensor, maxWavelength = 10000): AnyTensor {
  const s = dimsOf(x);
  sinusoidalOutput(s, 'sinusoidalPositionalEncoding');
  const pe = sinusoidalTable(s[s.length - 2]!, s[s.length - 1]!, maxWavelength);
  return addRaw(x, pe);
}

export interface SinusoidalOptions {
  /** the longest wavelength (default 10000, as the paper) */
  readonly maxWavelength?: number;
}

/** Adds the fixed sinusoidal encoding of each position to [..., seq, d_model] (no params). */
export function sinusoidalPositionalEncoding(options: SinusoidalOptions = {}): Layer<SinusoidalKind, 'sinusoidalPositionalEncoding'> {
  const w = options.maxWavelength ?? 10000;
  if (!(w > 0)) throw new RangeError(`sinusoidalPositionalEncoding: maxWavelength must be > 0, got ${w}`);
  return {
    name: 'sinusoidalPositionalEncoding',
    config: { maxWavelength: w },
    outputShape(input) {
      sinusoidalOutput(input, 'sinusoidalPositionalEncoding');
      return input.slice();
    },
    init: () => ({}),
    apply: (_p, x) => addSinusoidal(x, w),
  };
}

// =============================================================================================
// Learned

/** [..., L, D] with L <= N (when literal) → the same shape, else the mismatch. */
export type LearnedPositionalShape<S extends Shape, N extends number> = number extends S['length']
  ? [...S]
  : S extends readonly [...Dim[], Dim, Dim]
    ? IsLit<SecondLast<S>> extends true
      ? Lte<SecondLast<S> & number, N> extends false
        ? ShapeMismatch<`learnedPositionalEncoding: sequence length exceeds maxLen (${SecondLast<S> & number} > ${N})`, N, S>
        : [...S]
      : [...S]
    : ShapeMismatch<`learnedPositionalEncoding: expects [..., seq, features] (got rank ${S['length']})`, 2, S>;

export interface LearnedPositionalKind<N extends number> extends LayerKind {
  readonly Out: LearnedPositionalShape<InOf<this>, N>;
  readonly Params: LearnedPositionalParams<N, Last<InOf<this>> & Dim>;
}
export type LearnedPositionalParams<N extends number, D extends Dim> = { embeddings: Tensor<[N, D]> };

export interface LearnedPositionalOptions<N extends number> {
  /** the longest sequence the table covers */
  readonly maxLen: N;
  /** default glorotUniform (Keras-NLP PositionEmbedding) */
  readonly initializer?: InitializerName | Initializer;
}

/** Adds a trainable embedding of each position (rows 0..L-1 of `embeddings` [maxLen, D]). */
export function learnedPositionalEncoding<const N extends number>(options: LearnedPositionalOptions<N>): Layer<LearnedPositionalKind<N>, 'learnedPositionalEncoding'> {
  const name = 'learnedPositionalEncoding';
  const maxLen = options.maxLen;
  if (!(Number.isInteger(maxLen) && maxLen >= 1)) throw new RangeError(`${name}: maxLen must be a positive integer, got ${maxLen}`);
  const init = resolveInit(options.initializer, glorotUniform);
  const check = (input: readonly (number | string)[]) => {
    if (input.length < 2) throw new ShapeError(name, `expects [..., seq, features] (got rank ${input.length})`);
    const l = input[input.length - 2]!;
    if (typeof l === 'number' && l > maxLen) throw new ShapeError(name, `sequence length exceeds maxLen (${l} > ${maxLen})`);
  };
  return {
    name,
    config: { maxLen },
    outputShape(input) {
      check(input);
      return input.slice();
    },
    init: (key, input) => ({ embeddings: init(key, [maxLen, knownDim(input[input.length - 1], name, 'the feature dim')]) }),
    apply(params, x) {
      const s = dimsOf(x);
      check(s);
      const table = (params as { embeddings: AnyTensor }).embeddings;
      const d = s[s.length - 1]!;
      const td = dimsOf(table);
      if (td[1] !== d) throw new ShapeError(name, `feature dim differs from the table's (expected ${td[1]}, got ${d})`);
      const rows = sliceRaw(table, [0, 0], [s[s.length - 2]!, d], null);
      return addRaw(x, rows);
    },
  };
}
