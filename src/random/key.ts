/**
 * Explicit, splittable PRNG keys in the style of JAX.
 *
 * A key is 128 bits (four uint32 words), immutable and never "consumed": every function
 * here is pure, and the same key always yields the same children and the same samples.
 * Children come from Threefry-4x32-20 keyed by the parent, applied to a counter that names
 * the derivation (split index and count, fold-in data, seed) in its own domain, so:
 *  - split(k, n) returns n pairwise-distinct keys (Threefry is a bijection of the counter
 *    for a fixed key), and foldIn(k, a) !== foldIn(k, b) for a !== b;
 *  - children, fold-ins and the sample streams of one key use disjoint counters, so none
 *    of them equals another; independence from the parent rests on Threefry's strength.
 */
import { threefry4x32 } from './threefry';

const BRAND = 'shapeflow.Key';

/** An immutable 128-bit PRNG key. Create with {@link key}, derive with {@link split} / {@link foldIn}. */
export interface Key {
  readonly __brand: 'shapeflow.Key';
  /** The four uint32 words, most significant first. */
  readonly words: readonly [number, number, number, number];
  /** e.g. `Key(0x0123456789abcdef, 0xfedcba9876543210)` */
  toString(): string;
}

/** Counter domains (word 3 of the Threefry counter) that keep every derivation apart. */
export const DOMAIN_STREAM = 0;
const DOMAIN_SPLIT = 1;
const DOMAIN_FOLD = 2;
const DOMAIN_SEED = 3;

/** Fixed key used to turn a seed into a key: the first hex digits of pi's fraction. */
const SEED_KEY = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344] as const;

const hex8 = (w: number): string => w.toString(16).padStart(8, '0');

class KeyImpl implements Key {
  declare readonly __brand: 'shapeflow.Key';
  readonly words: readonly [number, number, number, number];

  constructor(w0: number, w1: number, w2: number, w3: number) {
    Object.defineProperty(this, '__brand', { value: BRAND, enumerable: false });
    this.words = Object.freeze([w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0] as const);
    Object.freeze(this);
  }

  toString(): string {
    const [a, b, c, d] = this.words;
    return `Key(0x${hex8(a)}${hex8(b)}, 0x${hex8(c)}${hex8(d)})`;
  }

  // Node's util.inspect (console.log, vitest diffs) prints the same compact form.
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

const isUint32 = (x: unknown): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;

/** True for keys made by this module (checked structurally, so it survives duplicate bundles). */
export function isKey(x: unknown): x is Key {
  if (typeof x !== 'object' || x === null) return false;
  const k = x as { __brand?: unknown; words?: unknown };
  return k.__brand === BRAND && Array.isArray(k.words) && k.words.length === 4 && k.words.every(isUint32);
}

/** The words of a validated key (internal: throws TypeError for anything that is not a Key). */
export function keyWords(k: Key, fn: string): readonly [number, number, number, number] {
  if (!isKey(k)) throw new TypeError(`${fn}: expected a Key (from key(seed)), got ${String(k)}`);
  return k.words;
}

/** Split a safe integer into the low and high words of its 64-bit two's complement. */
function int64Words(x: number, fn: string, what: string): [number, number] {
  if (!Number.isSafeInteger(x)) {
    throw new RangeError(`${fn}: ${what} must be a safe integer, got ${String(x)}`);
  }
  const hi = Math.floor(x / 4294967296);
  const lo = x - hi * 4294967296; // exact: |x| < 2^53
  return [lo, hi | 0];
}

const scratch = new Uint32Array(4);

function derive(
  w: readonly [number, number, number, number],
  c0: number,
  c1: number,
  domain: number,
): Key {
  threefry4x32(w[0], w[1], w[2], w[3], c0, c1, 0, domain, scratch, 0);
  return new KeyImpl(scratch[0]!, scratch[1]!, scratch[2]!, scratch[3]!);
}

/**
 * A key from any safe integer seed (negative seeds too). Distinct seeds give distinct keys.
 * @throws RangeError for non-integers, NaN, infinities and integers beyond ±(2^53 - 1).
 */
export function key(seed: number): Key {
  const [lo, hi] = int64Words(seed, 'key', 'seed');
  return derive(SEED_KEY, lo, hi, DOMAIN_SEED);
}

type KeyTuple<N extends number, Acc extends Key[] = []> = Acc['length'] extends N
  ? Acc
  : KeyTuple<N, [...Acc, Key]>;
type Digit = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/**
 * The result type of `split(k, n)`: `[Key, Key]` for `n = 2`, `[Key, Key, Key]` for 3, ...
 * (literal n from 0 to 99), `Key[]` when n is `number`, larger, negative or fractional.
 */
export type Keys<N extends number> = number extends N
  ? Key[]
  : N extends unknown
    ? `${N}` extends `${Digit}` | `${Exclude<Digit, 0>}${Digit}`
      ? KeyTuple<N>
      : Key[]
    : never;

/**
 * Derive `n` (default 2) new keys from `k`. The parent stays usable and unchanged; the
 * children are pairwise distinct and independent of each other and of the parent.
 * `split(k, n)[i]` depends on n as well as i, so `split(k, 2)` and `split(k, 3)` share nothing.
 * @throws RangeError unless n is an integer in [0, 2^32).
 */
export function split<N extends number = 2>(k: Key, n?: N): Keys<N> {
  const w = keyWords(k, 'split');
  const count = n ?? 2;
  if (!Number.isInteger(count) || count < 0 || count > 0xffffffff) {
    throw new RangeError(`split: n must be an integer in [0, 2^32), got ${String(count)}`);
  }
  const out: Key[] = [];
  for (let i = 0; i < count; i++) out.push(derive(w, i, count, DOMAIN_SPLIT));
  return out as Keys<N>;
}

/**
 * A key derived from `k` and integer `data` (e.g. a step or layer index): distinct data
 * gives distinct keys, and the result shares nothing with `split(k, n)`.
 * @throws RangeError unless data is a safe integer.
 */
export function foldIn(k: Key, data: number): Key {
  const w = keyWords(k, 'foldIn');
  const [lo, hi] = int64Words(data, 'foldIn', 'data');
  return derive(w, lo, hi, DOMAIN_FOLD);
}

/** The key's four uint32 words (most significant first), e.g. to save it in a checkpoint. */
export function keyData(k: Key): [number, number, number, number] {
  const [a, b, c, d] = keyWords(k, 'keyData');
  return [a, b, c, d];
}

/**
 * Rebuild a key from the four uint32 words returned by {@link keyData}.
 * @throws RangeError unless given exactly four integers in [0, 2^32).
 */
export function wrapKeyData(words: readonly number[]): Key {
  const [a, b, c, d] = words;
  if (words.length !== 4 || !isUint32(a) || !isUint32(b) || !isUint32(c) || !isUint32(d)) {
    throw new RangeError(`wrapKeyData: expected four integers in [0, 2^32), got [${words.join(', ')}]`);
  }
  return new KeyImpl(a, b, c, d);
}

/** True when two keys hold the same 128 bits. */
export function keyEquals(a: Key, b: Key): boolean {
  const x = keyWords(a, 'keyEquals');
  const y = keyWords(b, 'keyEquals');
  return x[0] === y[0] && x[1] === y[1] && x[2] === y[2] && x[3] === y[3];
}
