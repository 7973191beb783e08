/**
 * Explicit, splittable PRNG keys and pure samplers (JAX-style): no global state, the same
 * key gives bit-identical output on every platform and engine.
 */
export { foldIn, isKey, key, keyData, keyEquals, split, wrapKeyData } from './key';
import type * as K from './key';

// Local aliases, not `export type { Key, Keys } from './key'`: key.ts is shared with the
// testing entry, so the bundled d.ts imports it from a chunk, and the d.ts bundler turned a
// re-export from a chunk inside this namespace into `declare const Key: typeof Key` (TS2693
// in every consumer without skipLibCheck). A local declaration is emitted as a type.
/** An immutable 128-bit PRNG key (see {@link key}, {@link split}, {@link foldIn}). */
export type Key = K.Key;
/** The result type of `split(k, n)`: a tuple of n keys for a literal n up to 99, else `Key[]`. */
export type Keys<N extends number> = K.Keys<N>;
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
