/**
 * Embedding: int32 token ids [...S] → vectors [...S, outputDim] by table lookup (Keras
 * Embedding, the table is `embeddings: [inputDim, outputDim]`, so it copies 1:1 to
 * tf.layers.embedding via setWeights([embeddings])).
 *
 *   sequential(['batch', 40], embedding(5000, 64), ...)   // ids [batch, 40] → [batch, 40, 64]
 *
 * Ids must be int32 (a float32 tensor is a runtime error naming the fix); an id outside
 * [0, inputDim) is a RangeError from the gather op naming the id, its position and the range.
 *
 * `maskZero: true` treats id 0 as padding. Keras would attach an implicit mask for downstream
 * layers; shapeflow has no implicit masks, so here the output rows of id-0 positions are zeros
 * (like PyTorch's padding_idx: padding contributes nothing and row 0 receives no gradient),
 * and `embeddingMask(ids)` gives the explicit bool mask for masked losses and attention.
 */
import type { Dim, Shape, ShapeMismatch } from '../../shape/dims';
import { ShapeError } from '../../shape/dims';
import { makeTensor, type Tensor } from '../../tensor/tensor';
import { erase, typed, type AnyTensor } from '../../tensor/untyped';
import { compareRaw, notEqualP, whereRaw } from '../../ops/elementwise';
import { gatherRaw } from '../../ops/indexing';
import { reshapeRaw } from '../../ops/reduce-core';
import { uniformArray, type Key } from '../../random';
import { resolveInit, type Initializer, type InitializerName } from '../init';
import { type InOf, type Layer, type LayerKind } from '../layer';

/** U(lo, hi) initialiser (Keras RandomUniform); the embedding default is U(-0.05, 0.05). */
export function uniformInit(lo = -0.05, hi = 0.05): Initializer {
  return (key: Key, shape: readonly number[]) => makeTensor<number[], 'float32'>(shape, 'float32', uniformArray(key, shape.reduce((a, b) => a * b, 1), lo, hi));
}

export interface EmbeddingOptions {
  /** id 0 is padding: its output rows are zeros (see the module comment) */
  readonly maskZero?: boolean;
  /** default U(-0.05, 0.05), as Keras */
  readonly embeddingsInitializer?: InitializerName | Initializer;
}

export interface EmbeddingKind<V extends number, E extends number> extends LayerKind {
  readonly Out: InOf<this> extends infer S extends Shape
    ? number extends S['length']
      ? Dim[]
      : S extends readonly []
        ? ShapeMismatch<'embedding: expects ids of rank >= 1 (got a scalar)', 1, S>
        : [...S, E]
    : never;
  readonly Params: { embeddings: Tensor<[V, E]> };
  readonly InDtype: 'int32';
}

/** A lookup table of `inputDim` (vocabulary size) vectors of `outputDim` floats. */
export function embedding<const V extends number, const E extends number>(inputDim: V, outputDim: E, options: EmbeddingOptions = {}): Layer<EmbeddingKind<V, E>, 'embedding'> {
  if (!Number.isInteger(inputDim) || inputDim < 1) throw new RangeError(`embedding: inputDim (vocabulary size) must be a positive integer, got ${inputDim}`);
  if (!Number.isInteger(outputDim) || outputDim < 1) throw new RangeError(`embedding: outputDim must be a positive integer, got ${outputDim}`);
  const maskZero = options.maskZero ?? false;
  const init = resolveInit(options.embeddingsInitializer, uniformInit(-0.05, 0.05));
  return {
    name: 'embedding',
    inputDtype: 'int32',
    config: { inputDim, outputDim, maskZero },
    outputShape(input) {
      if (input.length === 0) throw new ShapeError('embedding', 'expects ids of rank >= 1 (got a scalar)');
      return [...input, outputDim];
    },
    init: (key) => ({ embeddings: init(key, [inputDim, outputDim]) }),
    apply(params, x) {
      if (x.dtype !== 'int32') throw new ShapeError('embedding', `ids must be int32, got ${x.dtype} (convert with cast(ids, 'int32'))`);
      const table = (params as { embeddings: AnyTensor }).embeddings;
      const y = gatherRaw(table, x, 0);
      if (!maskZero) return y;
      // where (not a 0/1 product) so padding rows are exact +0 and pass no gradient
      const keep = reshapeRaw(compareRaw(notEqualP, x, 0), [...(x.shape as readonly number[]), 1]);
      return whereRaw(keep, y, 0);
    },
  };
}

/**
 * The padding mask of int32 ids: true where `ids !== padId` (a real token), false at padding.
 * Use it for masked losses (`where(mask, loss, 0)`) and as an attention key mask.
 */
export function embeddingMask<S extends Shape>(ids: Tensor<S, 'int32'>, padId = 0): Tensor<S, 'bool'> {
  const t = erase(ids);
  if (t.dtype !== 'int32') throw new ShapeError('embeddingMask', `ids must be int32, got ${t.dtype}`);
  if (!Number.isInteger(padId)) throw new RangeError(`embeddingMask: padId must be an integer, got ${padId}`);
  return typed<Tensor<S, 'bool'>>(compareRaw(notEqualP, t, padId));
}
