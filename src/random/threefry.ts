/**
 * Threefry-4x32-20 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011):
 * a keyed bijection of 128-bit counters, written from the published round structure.
 *
 * Only 32-bit add, xor and rotate are used, so the output is exact integer arithmetic and
 * identical on every JavaScript engine. Word values are kept as int32 inside (`| 0`) and
 * written out through a Uint32Array, which reinterprets them as unsigned.
 */

/** Skein key-schedule parity constant for 32-bit words. */
const PARITY = 0x1bd11bda;

/**
 * One block: out[o..o+3] = Threefry-4x32-20(key = k0..k3, counter = c0..c3).
 * Arguments may be given signed or unsigned; only their low 32 bits matter.
 */
export function threefry4x32(
  k0: number,
  k1: number,
  k2: number,
  k3: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  out: Uint32Array,
  o: number,
): void {
  // Coerce to int32 first: uint32 words >= 2^31 arrive as doubles, and mixing them into the
  // adds below would keep the whole function on slower double arithmetic.
  k0 |= 0;
  k1 |= 0;
  k2 |= 0;
  k3 |= 0;
  const k4 = k0 ^ k1 ^ k2 ^ k3 ^ PARITY;
  let x0 = (c0 + k0) | 0;
  let x1 = (c1 + k1) | 0;
  let x2 = (c2 + k2) | 0;
  let x3 = (c3 + k3) | 0;
  let t = 0;

  // Rounds 0-3 (rotations 10/26, 11/21, 13/27, 23/5), then key injection 1.
  x0 = (x0 + x1) | 0; t = (x1 << 10) | (x1 >>> 22); x1 = t ^ x0;
  x2 = (x2 + x3) | 0; t = (x3 << 26) | (x3 >>> 6); x3 = t ^ x2;
  x0 = (x0 + x3) | 0; t = (x3 << 11) | (x3 >>> 21); x3 = t ^ x0;
  x2 = (x2 + x1) | 0; t = (x1 << 21) | (x1 >>> 11); x1 = t ^ x2;
  x0 = (x0 + x1) | 0; t = (x1 << 13) | (x1 >>> 19); x1 = t ^ x0;
  x2 = (x2 + x3) | 0; t = (x3 << 27) | (x3 >>> 5); x3 = t ^ x2;
  x0 = (x0 + x3) | 0; t = (x3 << 23) | (x3 >>> 9); x3 = t ^ x0;
  x2 = (x2 + x1) | 0; t = (x1 << 5) | (x1 >>> 27); x1 = t ^ x2;
  x0 = (x0 + k1) | 0; x1 = (x1 + k2) | 0; x2 = (x2 + k3) | 0; x3 = (((x3 + k4) | 0) + 1) | 0;

  // Rounds 4-7 (rotations 6/20, 17/11, 25/10, 18/20), then key injection 2.
  x0 = (x0 + x1) | 0; t = (x1 << 6) | (x1 >>> 26); x1 = t ^ x0;
  x2 = (x2 + x3) | 0; t = (x3 << 20) | (x3 >>> 12); x3 = t ^ x2;
  x0 = (x0 + x3) | 0; t = (x3 << 17) | (x3 >>> 15); x3 = t ^ x0;
  x2 = (x2 + x1) | 0; t = (x1 << 11) | (x1 >>> 21); x1 = t ^ x2;
  x0 = (x0 + x1) | 0; t = (x1 << 25) | (x1 >>> 7); x1 = t ^ x0;
  x2 = (x2 + x3) | 0; t = (x3 << 10) | (x3 >>> 22); x3 = t ^ x2;
  x0 = (x0 + x3) | 0; t = (x3 << 18) | (x3 >>> 14); x3 = t ^ x0;
  x2 = (x2 + x1) | 0; t = (x1 << 20) | (x1 >>> 12); x1 = t ^ x2;
  x0 = (x0 + k2) | 0; x1 = (x1 + k3) | 0; x2 = (x2 + k4) | 0; x3 = (((x3 + k0) | 0) + 2) | 0;

  // Rounds 8-11, injection 3.
  x0 = (x0 + x1) | 0; t = (x1 << 10) | (x1 >>> 22); x1 = t ^ x0;
  x2 = (x2 + x3) | 0; t = (x3 << 26) | (x3 >>> 6); x3 = t ^ x2;
  x0 = (x0 + x3) | 0; t = (x3 << 11) | (x3 >>> 21); x3 = t ^ x0;
  x2 = (x2 + x1) | 0; t = (x1 << 21) | (x1 >>> 11); x1 = t ^ x2;
  x0 = (x0 + x1) | 0; t = (x1 << 13) | (x1 >>> 19); x1 = t ^ x0;
  x2 = (x2 + x3) | 0; t = (x3 << 27) | (x3 >>> 5); x3 = t ^ x2;
  x0 = (x0 + x3) | 0; t = (x3 << 23) | (x3 >>> 9); x3 = t ^ x0;
  x2 = (x2 + x1) | 0; t = (x1 << 5) | (x1 >>> 27); x1 = t ^ x2;
  x0 = (x0 + k3) | 0; x1 = (x1 + k4) | 0; x2 = (x2 + k0) | 0; x3 = (((x3 + k1) | 0) + 3) | 0;

  // Rounds 12-15, injection 4.
  x0 = (x0 + x1) | 0; t = (x1 << 6) | (x1 >>> 26); x1 = t ^ x0;
  x2 = (x2 + x3) | 0; t = (x3 << 20) | (x3 >>> 12); x3 = t ^ x2;
  x0 = (x0 + x3) | 0; t = (x3 << 17) | (x3 >>> 15); x3 = t ^ x0;
  x2 = (x2 + x1) | 0; t = (x1 << 11) | (x1 >>> 21); x1 = t ^ x2;
  x0 = (x0 + x1) | 0; t = (x1 << 25) | (x1 >>> 7); x1 = t ^ x0;
  x2 = (x2 + x3) | 0; t = (x3 << 10) | (x3 >>> 22); x3 = t ^ x2;
  x0 = (x0 + x3) | 0; t = (x3 << 18) | (x3 >>> 14); x3 = t ^ x0;
  x2 = (x2 + x1) | 0; t = (x1 << 20) | (x1 >>> 12); x1 = t ^ x2;
  x0 = (x0 + k4) | 0; x1 = (x1 + k0) | 0; x2 = (x2 + k1) | 0; x3 = (((x3 + k2) | 0) + 4) | 0;

  // Rounds 16-19, injection 5.
  x0 = (x0 + x1) | 0; t = (x1 << 10) | (x1 >>> 22); x1 = t ^ x0;
  x2 = (x2 + x3) | 0; t = (x3 << 26) | (x3 >>> 6); x3 = t ^ x2;
  x0 = (x0 + x3) | 0; t = (x3 << 11) | (x3 >>> 21); x3 = t ^ x0;
  x2 = (x2 + x1) | 0; t = (x1 << 21) | (x1 >>> 11); x1 = t ^ x2;
  x0 = (x0 + x1) | 0; t = (x1 << 13) | (x1 >>> 19); x1 = t ^ x0;
  x2 = (x2 + x3) | 0; t = (x3 << 27) | (x3 >>> 5); x3 = t ^ x2;
  x0 = (x0 + x3) | 0; t = (x3 << 23) | (x3 >>> 9); x3 = t ^ x0;
  x2 = (x2 + x1) | 0; t = (x1 << 5) | (x1 >>> 27); x1 = t ^ x2;
  x0 = (x0 + k0) | 0; x1 = (x1 + k1) | 0; x2 = (x2 + k2) | 0; x3 = (((x3 + k3) | 0) + 5) | 0;

  out[o] = x0;
  out[o + 1] = x1;
  out[o + 2] = x2;
  out[o + 3] = x3;
}
