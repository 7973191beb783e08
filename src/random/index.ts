/**
 * Explicit, splittable PRNG keys and pure samplers (JAX-style): no global state, the same
 * key gives bit-identical output on every platform and engine.
 */
export { foldIn, isKey, key, keyData, keyEquals, split, wrapKeyData } from './key';
export type { Key, Keys } from './key';
export {
  bernoulliArray,
  categoricalSample,
  normalArray,
  permutationArray,
  randintArray,
  truncatedNormalArray,
  uniformArray,
  uniformFloat,
} from './sample';
