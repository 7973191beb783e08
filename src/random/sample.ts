/**
 * Samplers: pure functions from a key to flat typed arrays.
 *
 * Every sampler reads its own counter-based stream: word block b of sampler s under key k
 * is Threefry-4x32-20(k, [b mod 2^32, floor(b / 2^32), s, DOMAIN_STREAM]). So different
 * samplers on one key are independent of each other (uniformArray(k) and normalArray(k)
 * do not share bits), and for the sequential samplers (uniform, normal, truncated normal,
 * bernoulli, randint) asking for more values never changes the earlier ones: the first m
 * values of a count-n call equal a count-m call.
 *
 * Bit-identical everywhere: integers are exact 32-bit arithmetic, and floats use only
 * IEEE-754 +, -, *, / and Math.fround (exactly specified by ECMAScript), never Math.log/
 * exp/sqrt/cos, which engines may round differently. Logs come from `lnArith`.
 */
import { belowF32, ceilF32, lnArith } from './arith';
import { DOMAIN_STREAM, keyWords } from './key';
import type { Key } from './key';
import { threefry4x32 } from './threefry';

const TAG_UNIFORM = 1;
const TAG_NORMAL = 2;
const TAG_TRUNCATED_NORMAL = 3;
const TAG_BERNOULLI = 4;
const TAG_RANDINT = 5;
const TAG_PERMUTATION = 6;
const TAG_CATEGORICAL = 7;
const TAG_UNIFORM_FLOAT = 8;

const TWO32 = 4294967296;
const INV_2_24 = 1 / 16777216;
const INV_2_32 = 1 / TWO32;
const INV_2_52 = 1 / 4503599627370496;
const INV_2_53 = 1 / 9007199254740992;
const F32_MAX = 3.4028234663852886e38;

/** Fill out[4 * b0 ...] with `blocks` consecutive blocks of stream `tag`, starting at block b0. */
function fillBlocks(
  w: readonly [number, number, number, number],
  tag: number,
  b0: number,
  blocks: number,
  out: Uint32Array,
): void {
  const k0 = w[0];
  const k1 = w[1];
  const k2 = w[2];
  const k3 = w[3];
  for (let j = 0; j < blocks; j++) {
    const b = b0 + j;
    threefry4x32(k0, k1, k2, k3, b, Math.floor(b / TWO32), tag, DOMAIN_STREAM, out, 4 * j);
  }
}

/** The first `count` words of stream `tag` (rounded up to whole blocks). */
function streamWords(w: readonly [number, number, number, number], tag: number, count: number): Uint32Array {
  const blocks = Math.ceil(count / 4);
  const out = new Uint32Array(4 * blocks);
  fillBlocks(w, tag, 0, blocks, out);
  return out;
}

const CHUNK_BLOCKS = 64;

/** Sequential uint32 words of one stream, for samplers that use a variable number per value. */
class Stream {
  private readonly buf = new Uint32Array(4 * CHUNK_BLOCKS);
  private block = 0;
  private pos = 4 * CHUNK_BLOCKS;

  constructor(
    private readonly w: readonly [number, number, number, number],
    private readonly tag: number,
  ) {}

  next(): number {
    if (this.pos === 4 * CHUNK_BLOCKS) {
      fillBlocks(this.w, this.tag, this.block, CHUNK_BLOCKS, this.buf);
      this.block += CHUNK_BLOCKS;
      this.pos = 0;
    }
    return this.buf[this.pos++]!;
  }

  /** Unbiased integer in [0, n) for 1 <= n <= 2^32, by rejecting the short top slice. */
  below(n: number): number {
    const limit = TWO32 - (TWO32 % n);
    for (;;) {
      const w = this.next();
      if (w < limit) return w % n;
    }
  }
}

function checkCount(fn: string, count: number, what = 'count'): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`${fn}: ${what} must be a non-negative integer, got ${String(count)}`);
  }
}

function checkFinite(fn: string, name: string, x: number): void {
  if (!Number.isFinite(x)) throw new RangeError(`${fn}: ${name} must be finite, got ${String(x)}`);
}

/**
 * `count` float32 values uniform on [lo, hi) (default [0, 1)).
 * Each value is lo + (hi - lo) * u with u = (w >>> 8) * 2^-24 on the 2^24-point grid of
 * [0, 1), rounded to float32 and clamped to the float32 values in [lo, hi), so hi is never
 * returned even when rounding would reach it.
 * @throws RangeError unless lo < hi are finite, within float32 range, and some float32 lies in [lo, hi).
 */
export function uniformArray(k: Key, count: number, lo = 0, hi = 1): Float32Array {
  const w = keyWords(k, 'uniformArray');
  checkCount('uniformArray', count);
  checkFinite('uniformArray', 'lo', lo);
  checkFinite('uniformArray', 'hi', hi);
  if (!(lo < hi) || lo < -F32_MAX || hi > F32_MAX) {
    throw new RangeError(`uniformArray: need lo < hi within float32 range, got [${lo}, ${hi})`);
  }
  const lo32 = ceilF32(lo);
  const hi32 = belowF32(hi);
  if (!(lo32 <= hi32)) throw new RangeError(`uniformArray: no float32 lies in [${lo}, ${hi})`);
  const width = hi - lo;
  const words = streamWords(w, TAG_UNIFORM, count);
  const out = new Float32Array(count);
  if (lo === 0 && hi === 1) {
    // u is already a float32 in [0, 1): the affine map and clamp would be no-ops.
    for (let i = 0; i < count; i++) out[i] = (words[i]! >>> 8) * INV_2_24;
  } else {
    for (let i = 0; i < count; i++) {
      const v = Math.fround(lo + width * ((words[i]! >>> 8) * INV_2_24));
      out[i] = v < lo32 ? lo32 : v > hi32 ? hi32 : v;
    }
  }
  return out;
}

/** One float64 uniform on [0, 1) with 53 random bits. */
export function uniformFloat(k: Key): number {
  const w = keyWords(k, 'uniformFloat');
  const buf = streamWords(w, TAG_UNIFORM_FLOAT, 2);
  return ((buf[0]! >>> 5) * 67108864 + (buf[1]! >>> 6)) * INV_2_53;
}

// Leva's ratio-of-uniforms normal generator (ACM TOMS 18(4), 1992). (u, v) is uniform on
// (0, 1] x (-V_HALF, V_HALF); x = v / u is standard normal when v^2 <= -4 u^2 ln u. The
// quadratic q bounds that region from inside (q < R1: accept) and outside (q > R2: reject),
// so the log is needed for about 1% of draws. V_HALF just exceeds sqrt(2/e) = 0.857763...
/** Leva's constants (exported for the test that checks the quick bounds against the exact test). */
export const LEVA = { s: 0.449871, t: 0.386595, a: 0.196, b: 0.25472, r1: 0.27597, r2: 0.27846, vHalf: 0.8578 } as const;
const LEVA_S = LEVA.s;
const LEVA_T = LEVA.t;
const LEVA_A = LEVA.a;
const LEVA_B = LEVA.b;
const LEVA_R1 = LEVA.r1;
const LEVA_R2 = LEVA.r2;
const V_HALF = LEVA.vHalf;

/**
 * Fill `out` with mean + std * z for standard normals z drawn in order from stream `tag`,
 * each attempt using the next two words (u-word, v-word). With `truncate`, accepted z with
 * |z| >= 2 are dropped too. The chunk holds an even number of words, so pairs never straddle.
 */
function fillNormal(
  w: readonly [number, number, number, number],
  tag: number,
  out: Float32Array,
  mean: number,
  std: number,
  truncate: boolean,
): void {
  const buf = new Uint32Array(4 * CHUNK_BLOCKS);
  let block = 0;
  let pos = buf.length;
  const count = out.length;
  for (let i = 0; i < count; ) {
    if (pos === buf.length) {
      fillBlocks(w, tag, block, CHUNK_BLOCKS, buf);
      block += CHUNK_BLOCKS;
      pos = 0;
    }
    const u = (buf[pos]! + 1) * INV_2_32; // (0, 1]
    const v = V_HALF * ((buf[pos + 1]! + 0.5) * INV_2_32 * 2 - 1); // (-V_HALF, V_HALF)
    pos += 2;
    const x = u - LEVA_S;
    const y = Math.abs(v) + LEVA_T;
    const q = x * x + y * (LEVA_A * y - LEVA_B * x);
    if (q > LEVA_R1 && (q > LEVA_R2 || v * v > -4 * u * u * lnArith(u))) continue;
    const z = v / u;
    if (truncate && (z <= -2 || z >= 2)) continue;
    out[i++] = mean + std * z;
  }
}

function checkNormalParams(fn: string, mean: number, std: number): void {
  checkFinite(fn, 'mean', mean);
  checkFinite(fn, 'std', std);
  if (std < 0) throw new RangeError(`${fn}: std must be >= 0, got ${std}`);
}

/**
 * `count` float32 values from N(mean, std^2) (Leva's ratio-of-uniforms method).
 * |z| can reach about 9.4: the tail is exact down to the 32-bit resolution of u.
 * @throws RangeError for non-finite mean/std or negative std.
 */
export function normalArray(k: Key, count: number, mean = 0, std = 1): Float32Array {
  const w = keyWords(k, 'normalArray');
  checkCount('normalArray', count);
  checkNormalParams('normalArray', mean, std);
  const out = new Float32Array(count);
  fillNormal(w, TAG_NORMAL, out, mean, std, false);
  return out;
}

/**
 * `count` float32 values from N(mean, std^2) restricted to (mean - 2 std, mean + 2 std):
 * draws beyond two standard deviations are redrawn, as in Keras' TruncatedNormal. `std` is
 * that of the normal before truncation; the result's own std is about 0.88 std.
 * @throws RangeError for non-finite mean/std or negative std.
 */
export function truncatedNormalArray(k: Key, count: number, mean = 0, std = 1): Float32Array {
  const w = keyWords(k, 'truncatedNormalArray');
  checkCount('truncatedNormalArray', count);
  checkNormalParams('truncatedNormalArray', mean, std);
  const out = new Float32Array(count);
  fillNormal(w, TAG_TRUNCATED_NORMAL, out, mean, std, true);
  return out;
}

/**
 * `count` draws of 0/1 with P(1) = p: word w gives 1 when w < p * 2^32, so the rate is p
 * rounded up to a multiple of 2^-32 (exactly 0 for p = 0 and exactly 1 for p = 1).
 * @throws RangeError unless 0 <= p <= 1.
 */
export function bernoulliArray(k: Key, count: number, p: number): Uint8Array {
  const w = keyWords(k, 'bernoulliArray');
  checkCount('bernoulliArray', count);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulliArray: p must be in [0, 1], got ${String(p)}`);
  const threshold = p * TWO32;
  const words = streamWords(w, TAG_BERNOULLI, count);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = words[i]! < threshold ? 1 : 0;
  return out;
}

/**
 * `count` integers uniform on [lo, hi), exactly unbiased (rejection of the top slice).
 * @throws RangeError unless lo < hi are integers with -2^31 <= lo and hi <= 2^31.
 */
export function randintArray(k: Key, count: number, lo: number, hi: number): Int32Array {
  const w = keyWords(k, 'randintArray');
  checkCount('randintArray', count);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || !(lo < hi) || lo < -2147483648 || hi > 2147483648) {
    throw new RangeError(`randintArray: need integers lo < hi in [-2^31, 2^31], got [${lo}, ${hi})`);
  }
  const n = hi - lo;
  const s = new Stream(w, TAG_RANDINT);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = lo + s.below(n);
  return out;
}

/**
 * A uniformly random permutation of 0..n-1 (Fisher–Yates with unbiased bounded draws).
 * @throws RangeError unless n is an integer in [0, 2^31).
 */
export function permutationArray(k: Key, n: number): Int32Array {
  const w = keyWords(k, 'permutationArray');
  checkCount('permutationArray', n, 'n');
  if (n > 2147483647) throw new RangeError(`permutationArray: n must be < 2^31, got ${n}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const s = new Stream(w, TAG_PERMUTATION);
  for (let i = n - 1; i > 0; i--) {
    const j = s.below(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/**
 * One index drawn with probability softmax(logits)[i], by the Gumbel-max trick:
 * argmax_i (logits[i] + g_i) with g_i = -ln(-ln u_i), u_i a 52-bit uniform on (0, 1) taken
 * from counter block i, so each index's noise is independent of the other logits.
 * -Infinity logits are never chosen.
 * @throws RangeError if logits is empty, contains NaN or +Infinity, or is all -Infinity.
 */
export function categoricalSample(k: Key, logits: Float32Array | Float64Array): number {
  const [k0, k1, k2, k3] = keyWords(k, 'categoricalSample');
  const n = logits.length;
  if (n === 0) throw new RangeError('categoricalSample: logits must not be empty');
  const buf = new Uint32Array(4);
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < n; i++) {
    const l = logits[i]!;
    if (Number.isNaN(l) || l === Infinity) {
      throw new RangeError(`categoricalSample: logits[${i}] is ${l}; logits must be finite or -Infinity`);
    }
    if (l === -Infinity) continue;
    threefry4x32(k0, k1, k2, k3, i, Math.floor(i / TWO32), TAG_CATEGORICAL, DOMAIN_STREAM, buf, 0);
    // 52 bits + 1/2 keeps u in [2^-53, 1 - 2^-53]: both logs stay finite and nonzero.
    const u = ((buf[0]! >>> 6) * 67108864 + (buf[1]! >>> 6) + 0.5) * INV_2_52;
    const score = l - lnArith(-lnArith(u));
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  if (best < 0) throw new RangeError('categoricalSample: every logit is -Infinity');
  return best;
}
