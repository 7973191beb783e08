/** dense, activation, flatten, dropout, reshape: the everyday layers. */
import type { Dim, Shape, ShapeMismatch } from '../../shape/dims';
import { ShapeError } from '../../shape/dims';
import type { FlattenShape, ReshapeShape } from '../../shape/rules';
import { flattenShape, reshapeShape } from '../../shape/rules';
import type { Tensor } from '../../tensor/tensor';
import { erase, wide, type AnyTensor } from '../../tensor/untyped';
import { addRaw } from '../../ops/elementwise';
import { matmulRaw } from '../../ops/linalg';
import { reshapeRaw } from '../../ops/reduce-core';
import { dropout as dropoutOp } from '../../ops/norm';
import { activationRaw, type ActivationName } from '../activation';
import { glorotUniform, keys, resolveInit, zerosInit, type Initializer, type InitializerName } from '../init';
import { knownDim, lastDim, requireRank, type InOf, type Layer, type LayerKind, type RDim } from '../layer';

type LastD<S extends Shape> = S extends readonly [...Dim[], infer L] ? L : never;
type InitD<S extends Shape> = S extends readonly [...infer I extends Dim[], Dim] ? I : never;
type Agrees<A, B> = number extends A ? true : number extends B ? true : [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// ---------------------------------------------------------------- dense

export interface DenseOptions<I extends number | undefined = number | undefined, B extends boolean = boolean> {
  readonly activation?: ActivationName;
  readonly useBias?: B;
  /** the expected input dim: a mismatch with the model's shape is a compile error at this layer */
  readonly inputDim?: I;
  readonly kernelInitializer?: InitializerName | Initializer;
  readonly biasInitializer?: InitializerName | Initializer;
}

export interface DenseKind<U extends number, I extends number | undefined, B extends boolean> extends LayerKind {
  readonly Out: InOf<this> extends readonly [...Dim[], Dim]
    ? I extends number
      ? Agrees<LastD<InOf<this>>, I> extends true
        ? [...InitD<InOf<this>>, U]
        : ShapeMismatch<`dense: input dim differs (expected ${I}, got ${LastD<InOf<this>> & (string | number)})`, I, InOf<this>>
      : [...InitD<InOf<this>>, U]
    : number extends InOf<this>['length']
      ? Dim[]
      : ShapeMismatch<'dense: expects an input of rank >= 1', 1, InOf<this>>;
  readonly Params: DenseParams<LastD<InOf<this>>, U, B>;
  readonly InDtype: 'float32';
}
export type DenseParams<In, U extends number, B extends boolean = true> = B extends false ? { kernel: Tensor<[In & Dim, U]> } : { kernel: Tensor<[In & Dim, U]>; bias: Tensor<[U]> };

/** A fully connected layer on the last dim: y = act(x·kernel + bias), any leading dims. */
export function dense<const U extends number, const I extends number | undefined = undefined, const B extends boolean = true>(
  units: U,
  options: DenseOptions<I, B> = {},
): Layer<DenseKind<U, I, B>, 'dense'> {
  if (!Number.isInteger(units) || units < 1) throw new RangeError(`dense: units must be a positive integer, got ${units}`);
  const act = activationRaw(options.activation ?? 'linear');
  const useBias = options.useBias ?? true;
  const kInit = resolveInit(options.kernelInitializer, glorotUniform);
  const bInit = resolveInit(options.biasInitializer, zerosInit);
  return {
    name: 'dense',
    inputDtype: 'float32',
    config: { units, activation: options.activation ?? 'linear', useBias },
    outputShape(input) {
      requireRank(input, 1, 'dense', 'features on the last axis');
      const d = lastDim(input)!;
      if (options.inputDim !== undefined && typeof d === 'number' && d !== options.inputDim) {
        throw new ShapeError('dense', `input dim differs (expected ${options.inputDim}, got ${d})`);
      }
      return [...input.slice(0, -1), units];
    },
    init(key, input) {
      const inDim = knownDim(lastDim(input), 'dense', 'the input feature dim');
      const [k1, k2] = keys(key, 2);
      const kernel = kInit(k1!, [inDim, units]);
      return useBias ? { kernel, bias: bInit(k2!, [units]) } : { kernel };
    },
    apply(params, x) {
      const p = params as { kernel: AnyTensor; bias?: AnyTensor };
      let y = matmulRaw(x, p.kernel);
      if (p.bias) y = addRaw(y, p.bias);
      return act(y);
    },
  };
}

// ---------------------------------------------------------------- activation

export interface SameShapeKind extends LayerKind {
  readonly Out: InOf<this> extends infer S extends Shape ? [...S] : never;
  readonly Params: Record<string, never>;
}

/** An activation as a layer. */
export function activation(name: ActivationName): Layer<SameShapeKind, 'activation'> {
  const f = activationRaw(name);
  return {
    name: 'activation',
    config: { activation: name },
    outputShape: (input) => input.slice(),
    init: () => ({}),
    apply: (_p, x) => f(x),
  };
}

// ---------------------------------------------------------------- flatten

export interface FlattenKind extends LayerKind {
  readonly Out: FlattenShape<InOf<this>, 1>;
  readonly Params: Record<string, never>;
}

/** Keep the batch dim, flatten the rest: [batch, 7, 7, 64] → [batch, 3136]. */
export function flatten(): Layer<FlattenKind, 'flatten'> {
  return {
    name: 'flatten',
    config: {},
    outputShape(input) {
      requireRank(input, 2, 'flatten', 'a batch dim and features');
      const rest = input.slice(1);
      const known = rest.every((d): d is number => typeof d === 'number');
      return [input[0]!, known ? rest.reduce((a, b) => a * b, 1) : '?'];
    },
    init: () => ({}),
    apply: (_p, x) => reshapeRaw(x, flattenShape(x.shape as readonly number[], 1)),
  };
}

// ---------------------------------------------------------------- reshape

export interface ReshapeKind<T extends readonly Dim[]> extends LayerKind {
  readonly Out: InOf<this> extends readonly [infer B, ...infer R extends Shape] ? (ReshapeShape<R, T> extends infer O ? (O extends Shape ? [B, ...O] : O) : never) : never;
  readonly Params: Record<string, never>;
}

/** Reshape the non-batch dims (Keras Reshape): target excludes the batch dim; one -1 allowed. */
export function reshapeLayer<const Tgt extends readonly number[]>(target: Tgt): Layer<ReshapeKind<Tgt>, 'reshape'> {
  return {
    name: 'reshape',
    config: { target },
    outputShape(input) {
      requireRank(input, 1, 'reshape', 'a batch dim');
      const rest = input.slice(1);
      if (!rest.every((d): d is number => typeof d === 'number')) return [input[0]!, ...target.map((d) => (d === -1 ? '?' : d))];
      return [input[0]!, ...reshapeShape(rest, target)];
    },
    init: () => ({}),
    apply: (_p, x) => {
      const s = x.shape as readonly number[];
      return reshapeRaw(x, [s[0]!, ...reshapeShape(s.slice(1), target)]);
    },
  };
}

// ---------------------------------------------------------------- dropout

/** Inverted dropout while training (needs ctx.key); the identity at inference. */
export function dropout(rate: number): Layer<SameShapeKind, 'dropout'> {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout: rate must be in [0, 1), got ${rate}`);
  return {
    name: 'dropout',
    config: { rate },
    outputShape: (input: readonly RDim[]) => input.slice(),
    init: () => ({}),
    apply(_p, x, ctx) {
      if (!ctx.training || rate === 0) return x;
      if (!ctx.key) throw new Error('dropout: training mode needs a key in the apply context ({ training: true, key })');
      // no untyped core: the typed op on a rank-unknown view
      return erase(dropoutOp(wide(x), ctx.key, rate, { training: true }));
    },
  };
}
