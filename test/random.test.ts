import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lnArith, nextDownF32, nextUpF32 } from '../src/random/arith';
import {
  bernoulliArray,
  categoricalSample,
  foldIn,
  isKey,
  key,
  keyData,
  keyEquals,
  normalArray,
  permutationArray,
  randintArray,
  split,
  truncatedNormalArray,
  uniformArray,
  uniformFloat,
  wrapKeyData,
} from '../src/random/index';
import type { Key } from '../src/random/index';
import { LEVA } from '../src/random/sample';
import { threefry4x32 } from '../src/random/threefry';

/** IEEE bit patterns of float32 values, for exact comparisons. */
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const bytes = (a: ArrayBufferView): number[] => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

const mean = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
};
/** Central moment of order r. */
const moment = (a: ArrayLike<number>, r: number): number => {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - m) ** r;
  return s / a.length;
};
const correlation = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
};
/** Pearson chi-square statistic of observed counts against expected counts. */
const chiSquare = (observed: number[], expected: number[]): number =>
  observed.reduce((s, o, i) => s + (o - expected[i]!) ** 2 / expected[i]!, 0);

// Upper 1e-6 quantiles of chi-square by degrees of freedom (scipy.stats.chi2.isf(1e-6, df)):
// a correct generator fails one of these checks with probability ~1e-6.
const CHI2_1E6: Record<number, number> = { 3: 30.66, 5: 35.89, 6: 38.26, 9: 44.81 };

const N = 100_000;
const k0 = key(0);

describe('Threefry-4x32-20 core', () => {
  it('matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    threefry4x32(0, 0, 0, 0, 0, 0, 0, 0, out, 0);
    expect(Array.from(out)).toEqual([0x9c6ca96a, 0xe17eae66, 0xfc10ecd4, 0x5256a7d8]);
    const f = 0xffffffff;
    threefry4x32(f, f, f, f, f, f, f, f, out, 0);
    expect(Array.from(out)).toEqual([0x2a881696, 0x57012287, 0xf6c7446e, 0xa16a6732]);
    // key = a4093822 299f31d0 082efa98 ec4e6c89, counter = 243f6a88 85a308d3 13198a2e 03707344
    threefry4x32(0xa4093822, 0x299f31d0, 0x082efa98, 0xec4e6c89, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, out, 0);
    expect(Array.from(out)).toEqual([0x59cd1dbb, 0xb8879579, 0x86b5d00c, 0xac8b6d84]);
  });
});

describe('arithmetic-only helpers', () => {
  it('lnArith agrees with Math.log to within 4 ulp across the whole double range', () => {
    const xs: number[] = [5e-324, 1e-310, 2 ** -1022, Number.MAX_VALUE, 1, 2, 0.5, Math.SQRT2, 1 - 2 ** -53, 1 + 2 ** -52];
    const u = uniformArray(key(1), 30_000);
    for (let i = 0; i < u.length; i += 3) {
      xs.push(Math.exp((u[i]! - 0.5) * 1400)); // log-uniform over ~1e-304 .. 1e304
      xs.push(1 + (u[i + 1]! - 0.5) * 1e-3); // near 1, where cancellation would show
      xs.push(u[i + 2]! + 2 ** -30); // the samplers' own range
    }
    const bad = xs.filter((x) => {
      const ref = Math.log(x);
      return !(Math.abs(lnArith(x) - ref) <= 4 * 2 ** -52 * Math.max(Math.abs(ref), 2 ** -1022));
    });
    expect(bad).toEqual([]);
    expect(lnArith(0)).toBe(-Infinity);
    expect(lnArith(-1)).toBeNaN();
    expect(lnArith(Number.NaN)).toBeNaN();
    expect(lnArith(Infinity)).toBe(Infinity);
  });

  it('nextUpF32 / nextDownF32 step to the adjacent float32', () => {
    expect(nextUpF32(1)).toBe(1 + 2 ** -23);
    expect(nextDownF32(1)).toBe(1 - 2 ** -24);
    expect(nextUpF32(0)).toBe(2 ** -149);
    expect(nextDownF32(0)).toBe(-(2 ** -149));
    expect(nextUpF32(-1)).toBe(-1 + 2 ** -24);
  });

  it("Leva's quick accept/reject bounds agree with the exact ratio-of-uniforms test", () => {
    // The normal sampler trusts q < r1 (accept) and q > r2 (reject) without computing a log.
    // The box must also cover the region: max |v| over it is sqrt(2/e).
    expect(LEVA.vHalf).toBeGreaterThan(Math.sqrt(2 / Math.E));
    // Random points of the sampler's box: u in (0, 1], |v| < vHalf.
    const w = uniformArray(key(2), 400_000);
    let decided = 0;
    let wrong = 0;
    for (let i = 0; i < w.length; i += 2) {
      const u = 1 - w[i]!; // (0, 1]
      const v = LEVA.vHalf * (2 * w[i + 1]! - 1);
      const x = u - LEVA.s;
      const y = Math.abs(v) + LEVA.t;
      const q = x * x + y * (LEVA.a * y - LEVA.b * x);
      const exact = v * v <= -4 * u * u * Math.log(u);
      if ((q < LEVA.r1 && !exact) || (q > LEVA.r2 && exact)) wrong++;
      if (q < LEVA.r1 || q > LEVA.r2) decided++;
    }
    expect(wrong).toBe(0);
    expect(decided / (w.length / 2)).toBeGreaterThan(0.98);
  });
});

describe('keys', () => {
  it('key(seed) accepts every safe integer, negative too, and rejects everything else', () => {
    for (const s of [0, 1, -1, 42, 2 ** 32, -(2 ** 32), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(isKey(key(s))).toBe(true);
    }
    for (const bad of [0.5, -1.5, Number.NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53)]) {
      expect(() => key(bad)).toThrow(RangeError);
    }
  });

  it('distinct seeds give distinct keys', () => {
    const seen = new Set<string>();
    for (let s = -1000; s <= 1000; s++) seen.add(String(key(s)));
    for (const s of [2 ** 32, 2 ** 32 + 1, -(2 ** 32), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      seen.add(String(key(s)));
    }
    expect(seen.size).toBe(2001 + 5);
  });

  it('is immutable and prints compactly', () => {
    const k = key(0);
    expect(Object.isFrozen(k)).toBe(true);
    expect(Object.isFrozen(k.words)).toBe(true);
    expect(() => {
      (k as { words: unknown }).words = [0, 0, 0, 0];
    }).toThrow(TypeError);
    expect(() => {
      (k.words as unknown as number[])[0] = 1;
    }).toThrow(TypeError);
    expect(String(k)).toBe('Key(0xa7df147283f3f14b, 0x4a563bad561b3cbf)');
    expect(inspect(k)).toBe(String(k));
    expect(`${k}`).toMatch(/^Key\(0x[0-9a-f]{16}, 0x[0-9a-f]{16}\)$/);
  });

  it('keyData / wrapKeyData round-trip, and bad words are rejected', () => {
    const k = split(key(3), 5)[4];
    const data = keyData(k);
    expect(data.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
    const back = wrapKeyData(data);
    expect(keyEquals(back, k)).toBe(true);
    expect(bits(uniformArray(back, 16))).toEqual(bits(uniformArray(k, 16)));
    expect(() => wrapKeyData([1, 2, 3])).toThrow(RangeError);
    expect(() => wrapKeyData([1, 2, 3, 2 ** 32])).toThrow(RangeError);
    expect(() => wrapKeyData([1, 2, 3, -1])).toThrow(RangeError);
    expect(() => wrapKeyData([1, 2, 3, 0.5])).toThrow(RangeError);
  });

  it('rejects things that are not keys with a TypeError', () => {
    const fake = { __brand: 'shapeflow.Key', words: [1, 2, 3] } as unknown as Key;
    expect(isKey(fake)).toBe(false);
    expect(isKey(42)).toBe(false);
    expect(() => split(fake)).toThrow(TypeError);
    expect(() => foldIn(42 as unknown as Key, 1)).toThrow(TypeError);
    expect(() => uniformArray(undefined as unknown as Key, 3)).toThrow(TypeError);
    expect(() => normalArray(null as unknown as Key, 3)).toThrow(TypeError);
  });

  it('split is deterministic, and children differ from each other and from the parent', () => {
    const a = split(k0);
    const b = split(k0);
    expect(a.map(String)).toEqual(b.map(String));
    expect(a).toHaveLength(2);
    for (const n of [0, 1, 3, 10, 1000]) {
      const kids = split(k0, n);
      expect(kids).toHaveLength(n);
      const all = new Set([String(k0), ...kids.map(String)]);
      expect(all.size).toBe(n + 1);
    }
    // n is part of the derivation: split(k, 2) and split(k, 3) share no key.
    const two = split(k0, 2).map(String);
    const three = split(k0, 3).map(String);
    expect(two.filter((s) => three.includes(s))).toEqual([]);
    // The parent is never consumed: splitting again gives the same answer.
    expect(split(k0, 3).map(String)).toEqual(three);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 32]) expect(() => split(k0, bad)).toThrow(RangeError);
  });

  it('foldIn(k, i) is distinct for i in 0..1000 and apart from split children and negative data', () => {
    const seen = new Set<string>([String(k0)]);
    for (let i = 0; i <= 1000; i++) seen.add(String(foldIn(k0, i)));
    for (let i = -100; i < 0; i++) seen.add(String(foldIn(k0, i)));
    for (const c of split(k0, 1001)) seen.add(String(c));
    expect(seen.size).toBe(1 + 1001 + 100 + 1001);
    expect(String(foldIn(k0, 7))).toBe(String(foldIn(key(0), 7)));
    expect(String(foldIn(k0, 2 ** 40))).not.toBe(String(foldIn(k0, 0)));
    for (const bad of [0.5, Number.NaN, Infinity, 2 ** 53]) expect(() => foldIn(k0, bad)).toThrow(RangeError);
  });
});

describe('known answers (any change to the algorithms must fail here)', () => {
  it('key(0)', () => {
    const k = key(0);
    expect(keyData(k)).toEqual([0xa7df1472, 0x83f3f14b, 0x4a563bad, 0x561b3cbf]);
    expect(split(k).map(String)).toEqual([
      'Key(0xf55c5d0d9a5b06d2, 0x5e8ca1dc6a0d7e17)',
      'Key(0x930b1200d61f4dc0, 0xf57876120e53ebab)',
    ]);
    expect(split(k, 3).map(String)).toEqual([
      'Key(0x86b4c8f143626e41, 0x0686402d16387bb7)',
      'Key(0x4a2c08720270441b, 0x681ef5a969d19057)',
      'Key(0x88a6757b4f3f4bcd, 0xf3795ea7e469e47f)',
    ]);
    expect(String(foldIn(k, 7))).toBe('Key(0x6516e5e5e05637fd, 0x95a2396afc28bfc6)');
    expect(Array.from(uniformArray(k, 6), (x) => x * 2 ** 24)).toEqual([
      5266613, 14468195, 6634305, 2246296, 5217367, 16480547,
    ]);
    expect(bits(uniformArray(k, 4, -1, 1))).toEqual([0xbebe8d2c, 0x3f3988c6, 0xbe5625f8, 0xbf3b72d0]);
    expect(bits(normalArray(k, 6))).toEqual([0xbf580365, 0xbfa36a21, 0x3f660faf, 0x3ed8e115, 0xbf4a5519, 0x3e0dbac4]);
    expect(bits(truncatedNormalArray(k, 6))).toEqual([
      0xbf2c40b9, 0xbfca6711, 0x3f25976b, 0x3f03618f, 0xbf5da4f7, 0x3d078978,
    ]);
    expect(Array.from(bernoulliArray(k, 12, 0.5))).toEqual([1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0]);
    expect(Array.from(randintArray(k, 8, -5, 5))).toEqual([-1, -3, 2, 1, -3, -2, -3, 1]);
    expect(Array.from(permutationArray(k, 10))).toEqual([4, 2, 7, 9, 1, 8, 0, 3, 5, 6]);
    expect(categoricalSample(k, new Float32Array([0, 1, 2, 3]))).toBe(2);
    expect(uniformFloat(k) * 2 ** 53).toBe(613210047519617);
  });

  it('key(42)', () => {
    const k = key(42);
    expect(keyData(k)).toEqual([0x726cca68, 0x0dc11bbd, 0xb10b0a80, 0x3dfee1a8]);
    expect(split(k).map(String)).toEqual([
      'Key(0x1f2808443dcbda65, 0x5c0e6423ef40a689)',
      'Key(0x3df6f86c7e024279, 0xa6112f02dbdc516a)',
    ]);
    expect(String(foldIn(k, 7))).toBe('Key(0xdebf63a8c4df2918, 0xbe9993e812d618c6)');
    expect(Array.from(uniformArray(k, 6), (x) => x * 2 ** 24)).toEqual([
      9539058, 1898991, 8040037, 14122621, 7706044, 16145903,
    ]);
    expect(bits(uniformArray(k, 4, -1, 1))).toEqual([0x3e0c6f90, 0xbf460c22, 0xbd2a3360, 0x3f2efcfa]);
    expect(bits(normalArray(k, 6))).toEqual([0xbf3eadd6, 0xbd95cc75, 0x3f41be73, 0x3fc5629d, 0xbfab8f3b, 0x3f5f3aa2]);
    expect(bits(truncatedNormalArray(k, 6))).toEqual([
      0x3ead961f, 0xbfbda0f6, 0x3f901ab5, 0xbf65bf0c, 0x3f772c78, 0xbf06abbc,
    ]);
    expect(Array.from(bernoulliArray(k, 12, 0.5))).toEqual([0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0]);
    expect(Array.from(randintArray(k, 8, -5, 5))).toEqual([-1, 1, 2, 1, 2, -5, 0, 0]);
    expect(Array.from(permutationArray(k, 10))).toEqual([4, 8, 3, 0, 9, 2, 6, 1, 7, 5]);
    expect(categoricalSample(k, new Float32Array([0, 1, 2, 3]))).toBe(3);
    expect(uniformFloat(k) * 2 ** 53).toBe(3482960955930191);
  });

  it('negative and huge seeds', () => {
    expect(String(key(-1))).toBe('Key(0xe5f597752245df29, 0x05c48de1ee4de9c9)');
    expect(String(key(Number.MAX_SAFE_INTEGER))).toBe('Key(0x7606dacb3b5052fd, 0x080140d28dc80744)');
  });
});

describe('determinism and stream structure', () => {
  it('the same key gives identical bytes from every sampler', () => {
    const k = foldIn(key(9), 3);
    const k2 = wrapKeyData(keyData(k)); // a different object with the same bits
    const logits = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const runs = [k, k2].map((kk) => [
      bytes(uniformArray(kk, 1001)),
      bytes(uniformArray(kk, 1001, -3, 7)),
      bytes(normalArray(kk, 1001, 1, 2)),
      bytes(truncatedNormalArray(kk, 1001)),
      bytes(bernoulliArray(kk, 1001, 0.3)),
      bytes(randintArray(kk, 1001, -7, 100)),
      bytes(permutationArray(kk, 1001)),
      [categoricalSample(kk, logits), uniformFloat(kk)],
    ]);
    expect(runs[1]).toEqual(runs[0]);
  });

  it('asking for more values never changes the earlier ones', () => {
    const k = key(5);
    expect(bits(uniformArray(k, 1000).subarray(0, 13))).toEqual(bits(uniformArray(k, 13)));
    expect(bits(normalArray(k, 1000).subarray(0, 13))).toEqual(bits(normalArray(k, 13)));
    expect(bits(truncatedNormalArray(k, 1000).subarray(0, 13))).toEqual(bits(truncatedNormalArray(k, 13)));
    expect(Array.from(bernoulliArray(k, 1000, 0.5).subarray(0, 13))).toEqual(Array.from(bernoulliArray(k, 13, 0.5)));
    expect(Array.from(randintArray(k, 1000, 0, 3).subarray(0, 13))).toEqual(Array.from(randintArray(k, 13, 0, 3)));
    expect(uniformArray(k, 0)).toHaveLength(0);
  });

  it('different samplers on one key do not share bits', () => {
    const k = key(6);
    const u = uniformArray(k, N);
    expect(Math.abs(correlation(u, normalArray(k, N)))).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(correlation(u, truncatedNormalArray(k, N)))).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(correlation(u, bernoulliArray(k, N, 0.5)))).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(correlation(u, randintArray(k, N, 0, 1000)))).toBeLessThan(5 / Math.sqrt(N));
  });

  it('sibling, parent/child, fold-in and neighbouring-seed streams are uncorrelated', () => {
    const bound = 5 / Math.sqrt(N); // 5 sigma of a sample correlation of independent streams
    const [a, b] = split(k0);
    const pairs: [Key, Key][] = [
      [a, b],
      [k0, a],
      [k0, b],
      [foldIn(k0, 0), foldIn(k0, 1)],
      [key(0), key(1)],
      [key(1), key(-1)],
      [split(a)[0], split(b)[0]],
    ];
    for (const [x, y] of pairs) {
      expect(Math.abs(correlation(uniformArray(x, N), uniformArray(y, N))), `${x} vs ${y}`).toBeLessThan(bound);
      expect(Math.abs(correlation(normalArray(x, N), normalArray(y, N))), `${x} vs ${y}`).toBeLessThan(bound);
    }
  });
});

describe('uniformArray', () => {
  it('has the mean and variance of U[0, 1) and passes a 10-bin chi-square', () => {
    const u = uniformArray(key(11), N);
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    // sd of the sample variance of U[0,1) is sqrt((1/80 - 1/144) / n)
    expect(Math.abs(moment(u, 2) - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / N));
    expect(u.every((x) => x >= 0 && x < 1)).toBe(true);
    const counts = new Array<number>(10).fill(0);
    for (const x of u) counts[Math.floor(x * 10)]!++;
    expect(chiSquare(counts, new Array<number>(10).fill(N / 10))).toBeLessThan(CHI2_1E6[9]!);
  });

  it('maps to [lo, hi) and never returns hi, even when rounding would reach it', () => {
    const u = uniformArray(key(12), N, -3, 5);
    expect(Math.abs(mean(u) - 1)).toBeLessThan(5 * Math.sqrt(64 / 12 / N));
    expect(u.every((x) => x >= -3 && x < 5)).toBe(true);
    // [1, 1 + 2^-22) holds two float32s; lo + width * u rounds to hi for a quarter of the
    // grid (u >= 3/4), and those draws must be clamped to 1 + 2^-23.
    const v = uniformArray(key(13), 10_000, 1, 1 + 2 ** -22);
    expect(new Set(v)).toEqual(new Set([1, 1 + 2 ** -23]));
    // Bounds that float32 cannot represent: fround(0.1) > 0.1 must not be returned.
    expect(uniformArray(key(14), 10_000, 0.09999999, 0.1).every((x) => x >= 0.09999999 && x < 0.1)).toBe(true);
    // A range holding a single float32.
    expect(new Set(uniformArray(key(15), 100, 1, nextUpF32(1)))).toEqual(new Set([1]));
  });

  it('rejects bad arguments', () => {
    expect(() => uniformArray(k0, -1)).toThrow(RangeError);
    expect(() => uniformArray(k0, 1.5)).toThrow(RangeError);
    expect(() => uniformArray(k0, 3, 1, 1)).toThrow(RangeError);
    expect(() => uniformArray(k0, 3, 2, 1)).toThrow(RangeError);
    expect(() => uniformArray(k0, 3, 0, Infinity)).toThrow(RangeError);
    expect(() => uniformArray(k0, 3, Number.NaN, 1)).toThrow(RangeError);
    expect(() => uniformArray(k0, 3, 0, 1e39)).toThrow(RangeError);
    expect(() => uniformArray(k0, 3, 1 + 1e-12, 1 + 2e-12)).toThrow(RangeError); // no float32 in between
    expect(new Set(uniformArray(k0, 3, 1, 1 + 1e-12))).toEqual(new Set([1])); // 1 itself is in range
  });

  it('uniformFloat gives 53-bit floats in [0, 1) with the right mean', () => {
    let s = 0;
    let bad = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = uniformFloat(foldIn(k0, i));
      if (!(x >= 0 && x < 1 && Number.isInteger(x * 2 ** 53))) bad++;
      s += x;
    }
    expect(bad).toBe(0);
    expect(Math.abs(s / 20_000 - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / 20_000));
  });
});

describe('normalArray', () => {
  it('has mean 0, std 1, skew 0, kurtosis 3 and the 1/2/3-sigma fractions of N(0, 1)', () => {
    const z = normalArray(key(21), N);
    expect(Math.abs(mean(z))).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(Math.sqrt(moment(z, 2)) - 1)).toBeLessThan(5 / Math.sqrt(2 * N));
    expect(Math.abs(moment(z, 3))).toBeLessThan(5 * Math.sqrt(6 / N));
    expect(Math.abs(moment(z, 4) / moment(z, 2) ** 2 - 3)).toBeLessThan(5 * Math.sqrt(24 / N));
    const within = [0, 0, 0];
    for (const x of z) for (let s = 0; s < 3; s++) if (Math.abs(x) < s + 1) within[s]!++;
    const p = [0.6826894921370859, 0.9544997361036416, 0.9973002039367398];
    for (let s = 0; s < 3; s++) {
      expect(Math.abs(within[s]! / N - p[s]!), `${s + 1} sigma`).toBeLessThan(5 * Math.sqrt((p[s]! * (1 - p[s]!)) / N));
    }
  });

  it('has the right tail mass beyond 4 sigma', () => {
    const z = normalArray(key(22), 1_000_000);
    let tail = 0;
    for (const x of z) if (Math.abs(x) > 4) tail++;
    const expected = 1_000_000 * 6.334248366623973e-5; // ~63, Poisson sd ~8
    expect(Math.abs(tail - expected)).toBeLessThan(5 * Math.sqrt(expected));
  });

  it('applies mean and std, and rejects bad parameters', () => {
    const z = normalArray(key(23), N, 3, 0.5);
    expect(Math.abs(mean(z) - 3)).toBeLessThan(5 * 0.5 / Math.sqrt(N));
    expect(Math.abs(Math.sqrt(moment(z, 2)) - 0.5)).toBeLessThan(5 * 0.5 / Math.sqrt(2 * N));
    expect(new Set(normalArray(k0, 10, 7, 0))).toEqual(new Set([7]));
    expect(() => normalArray(k0, 3, 0, -1)).toThrow(RangeError);
    expect(() => normalArray(k0, 3, Number.NaN)).toThrow(RangeError);
    expect(() => normalArray(k0, 3, 0, Infinity)).toThrow(RangeError);
    expect(() => normalArray(k0, -3)).toThrow(RangeError);
  });
});

describe('truncatedNormalArray', () => {
  it('never goes beyond 2 std and has the moments of N(0, 1) truncated at ±2', () => {
    const t = truncatedNormalArray(key(31), N);
    expect(t.every((x) => Math.abs(x) < 2)).toBe(true);
    const sd = 0.8796256610342398; // std of N(0,1) truncated to (-2, 2)
    expect(Math.abs(mean(t))).toBeLessThan((5 * sd) / Math.sqrt(N));
    expect(Math.abs(Math.sqrt(moment(t, 2)) - sd)).toBeLessThan(0.01);
    // Not just a clipped normal: nothing piles up at the edges.
    let edge = 0;
    for (const x of t) if (Math.abs(x) > 1.99) edge++;
    expect(edge / N).toBeLessThan(0.002);
  });

  it('scales with mean and std and stays within two std of the mean', () => {
    const m = -1;
    const s = 0.05;
    const t = truncatedNormalArray(key(32), N, m, s);
    expect(t.every((x) => Math.abs(x - m) <= 2 * s * (1 + 1e-6))).toBe(true);
    expect(Math.abs(mean(t) - m)).toBeLessThan((5 * s) / Math.sqrt(N));
  });
});

describe('bernoulliArray', () => {
  it('has rate p, and is exact at p = 0 and p = 1', () => {
    for (const p of [0.3, 0.5, 0.97]) {
      const b = bernoulliArray(key(41), N, p);
      expect(Math.abs(mean(b) - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
      expect(b.every((x) => x === 0 || x === 1)).toBe(true);
    }
    expect(bernoulliArray(key(42), 1000, 0).every((x) => x === 0)).toBe(true);
    expect(bernoulliArray(key(42), 1000, 1).every((x) => x === 1)).toBe(true);
    for (const bad of [-0.1, 1.1, Number.NaN]) expect(() => bernoulliArray(k0, 3, bad)).toThrow(RangeError);
  });
});

describe('randintArray', () => {
  it('is uniform over [lo, hi) (chi-square, 7 values)', () => {
    const r = randintArray(key(51), N, -3, 4);
    expect(r.every((x) => x >= -3 && x < 4)).toBe(true);
    const counts = new Array<number>(7).fill(0);
    for (const x of r) counts[x + 3]!++;
    expect(chiSquare(counts, new Array<number>(7).fill(N / 7))).toBeLessThan(CHI2_1E6[6]!);
  });

  it('is unbiased for a range just above 2^31 (where modulo bias would be 1/3 vs 2/3)', () => {
    // n = 3 * 2^30: a plain w % n would make the lower third twice as likely.
    const r = randintArray(key(52), N, -(2 ** 31), 2 ** 30);
    const n = 3 * 2 ** 30;
    const counts = [0, 0, 0];
    for (const x of r) counts[Math.floor(((x + 2 ** 31) / n) * 3)]!++;
    expect(chiSquare(counts, [N / 3, N / 3, N / 3])).toBeLessThan(CHI2_1E6[3]!);
  });

  it('covers the full int32 range and rejects bad bounds', () => {
    const r = randintArray(key(53), 1000, -(2 ** 31), 2 ** 31);
    expect(r.some((x) => x < 0) && r.some((x) => x > 0)).toBe(true);
    expect(Array.from(randintArray(key(54), 5, 7, 8))).toEqual([7, 7, 7, 7, 7]);
    expect(() => randintArray(k0, 3, 0, 0)).toThrow(RangeError);
    expect(() => randintArray(k0, 3, 0.5, 2)).toThrow(RangeError);
    expect(() => randintArray(k0, 3, 0, 2 ** 31 + 1)).toThrow(RangeError);
    expect(() => randintArray(k0, 3, -(2 ** 31) - 1, 0)).toThrow(RangeError);
  });
});

describe('permutationArray', () => {
  it('returns a permutation of 0..n-1', () => {
    for (const n of [0, 1, 2, 5, 100, 1000]) {
      const p = permutationArray(foldIn(k0, n), n);
      expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    expect(() => permutationArray(k0, -1)).toThrow(RangeError);
    expect(() => permutationArray(k0, 2.5)).toThrow(RangeError);
  });

  it('draws all 3! orders of 3 items equally often over many keys', () => {
    const counts = new Map<string, number>();
    const runs = 12_000;
    for (let i = 0; i < runs; i++) {
      const s = Array.from(permutationArray(foldIn(key(61), i), 3)).join('');
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['012', '021', '102', '120', '201', '210']);
    expect(chiSquare([...counts.values()], new Array<number>(6).fill(runs / 6))).toBeLessThan(CHI2_1E6[5]!);
  });

  it('puts each item at each position equally often (n = 10)', () => {
    const runs = 5000;
    const first = new Array<number>(10).fill(0);
    for (let i = 0; i < runs; i++) first[permutationArray(foldIn(key(62), i), 10)[0]!]!++;
    expect(chiSquare(first, new Array<number>(10).fill(runs / 10))).toBeLessThan(CHI2_1E6[9]!);
  });
});

describe('categoricalSample', () => {
  it('draws indices with frequencies softmax(logits); -Infinity is never chosen', () => {
    const logits = new Float32Array([0, 1, -Infinity, 2, -0.5]);
    const runs = 40_000;
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < runs; i++) counts[categoricalSample(foldIn(key(71), i), logits)]!++;
    expect(counts[2]).toBe(0);
    const finite = [0, 1, 3, 4];
    const z = finite.reduce((s, i) => s + Math.exp(logits[i]!), 0);
    const expected = finite.map((i) => (runs * Math.exp(logits[i]!)) / z);
    expect(chiSquare(finite.map((i) => counts[i]!), expected)).toBeLessThan(CHI2_1E6[3]!);
  });

  it('handles float64 logits, a single category, and huge logit gaps', () => {
    expect(categoricalSample(k0, new Float64Array([5]))).toBe(0);
    expect(categoricalSample(k0, new Float64Array([-Infinity, 3, -Infinity]))).toBe(1);
    for (let i = 0; i < 200; i++) expect(categoricalSample(foldIn(k0, i), new Float64Array([-1000, 0, -1000]))).toBe(1);
  });

  it('rejects empty, NaN, +Infinity and all -Infinity logits', () => {
    expect(() => categoricalSample(k0, new Float32Array([]))).toThrow(RangeError);
    expect(() => categoricalSample(k0, new Float32Array([0, Number.NaN]))).toThrow(RangeError);
    expect(() => categoricalSample(k0, new Float32Array([0, Infinity]))).toThrow(RangeError);
    expect(() => categoricalSample(k0, new Float32Array([-Infinity, -Infinity]))).toThrow(RangeError);
  });
});
