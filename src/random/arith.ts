/**
 * Floating-point helpers built only from IEEE-754 basic operations (+, -, *, /) and
 * Math.fround, whose results ECMAScript specifies exactly (binary64, round to nearest
 * even, no fused multiply-add). Math.log/exp/cos/sqrt are only "implementation-approximated"
 * in the spec, and log/exp/cos do differ in the last bit between engines and libm versions,
 * so the samplers use these helpers instead to stay bit-identical everywhere.
 */

// ln 2 split so that e * LN2_HI is exact for every binary64 exponent e (LN2_HI has 32
// significant bits); LN2_LO carries the rest.
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const SQRT2 = 1.4142135623730951;

// 2 / (2j + 1) for the series ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...).
const C1 = 2 / 3;
const C2 = 2 / 5;
const C3 = 2 / 7;
const C4 = 2 / 9;
const C5 = 2 / 11;
const C6 = 2 / 13;
const C7 = 2 / 15;
const C8 = 2 / 17;
const C9 = 2 / 19;
const C10 = 2 / 21;
const C11 = 2 / 23;

/** 2^n by repeated exact doubling/halving (the ** operator is not exactly specified). */
function pow2(n: number): number {
  let r = 1;
  for (let i = 0; i < n; i++) r *= 2;
  for (let i = 0; i > n; i--) r *= 0.5;
  return r;
}

// Ladder for exact binary scaling: SCALE[j] = 2^P[j], and thresholds 2^(1-P[j]) / 2^P[j].
const P = [512, 256, 128, 64, 32, 16, 8, 4, 2, 1] as const;
const SCALE = P.map(pow2);
const SMALL = P.map((p) => pow2(1 - p));
const TINY = pow2(-1000);
const LIFT = pow2(64);

/**
 * Natural logarithm of a positive finite number, to within a few ulp of binary64, using
 * only basic arithmetic (deterministic on every engine). Returns -Infinity for 0, NaN for
 * negatives/NaN and Infinity for Infinity, like Math.log.
 */
export function lnArith(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return Infinity;
  // Write x = m * 2^e with m in [1, 2) by greedy binary scaling; every step is an exact
  // multiplication by a power of two.
  let m = x;
  let e = 0;
  if (m < 1) {
    if (m < TINY) {
      m *= LIFT; // lift subnormals so the 1023-wide ladder below suffices
      e -= 64;
    }
    for (let j = 0; j < 10; j++) {
      // m * 2^p < 2 exactly when m < 2^(1-p)
      if (m < SMALL[j]!) {
        m *= SCALE[j]!;
        e -= P[j]!;
      }
    }
  } else {
    for (let j = 0; j < 10; j++) {
      if (m >= SCALE[j]!) {
        m /= SCALE[j]!;
        e += P[j]!;
      }
    }
  }
  // Centre the mantissa on 1 so |s| <= 0.1716 and the series converges fast.
  if (m > SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const s = (m - 1) / (m + 1); // m - 1 is exact (Sterbenz)
  const z = s * s;
  const series =
    z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * (C6 + z * (C7 + z * (C8 + z * (C9 + z * (C10 + z * C11))))))))));
  const lnm = 2 * s + s * series;
  return e * LN2_HI + (e * LN2_LO + lnm);
}

// Float32 bit views over one shared buffer: both views use the same byte order, so the
// uint32 always holds the IEEE-754 bit pattern of the float, on any platform.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 adjacent to finite float32 `x` towards +Infinity. */
export function nextUpF32(x: number): number {
  if (x === 0) return 2 ** -149;
  f32[0] = x;
  u32[0] = x > 0 ? u32[0]! + 1 : u32[0]! - 1;
  return f32[0];
}

/** The float32 adjacent to finite float32 `x` towards -Infinity. */
export function nextDownF32(x: number): number {
  return -nextUpF32(-x);
}

/** Smallest float32 >= x (x finite within float32 range). */
export function ceilF32(x: number): number {
  const f = Math.fround(x);
  return f < x ? nextUpF32(f) : f;
}

/** Largest float32 strictly below x (x finite within float32 range). */
export function belowF32(x: number): number {
  const f = Math.fround(x);
  return f >= x ? nextDownF32(f) : f;
}
