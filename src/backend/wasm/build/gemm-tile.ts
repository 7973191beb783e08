/**
 * The GEMM core (micro-kernel, A and B packing, the blocked loop) for a register block of
 * MR x NR, written out as WAT: the micro-kernel's body is MR·NR/4 multiply-adds per k step,
 * too repetitive to keep by hand for several block shapes. The build hands the result to
 * the macro step (macros.ts) as the definitions `gemm_core@simd` and `gemm_core@relaxed`,
 * which kernels.wat expands with `;;@gemm_core`; each build has its own block (TILES), and
 * the multiply-adds stay `;;@madd` calls, so each build gets its own madd.
 *
 * Layout (as kernels.wat describes it): B packed in KC x NC blocks of NR-column panels
 * (p-major, NR floats per p), A in MC x KC blocks of MR-row panels (p-major, MR floats per
 * p), rows and columns past the matrix zero-filled; kc, MC and NC as `gemm` below says. Every
 * C element is one chain of multiply-adds in k order, whatever the register block, the k
 * blocking or the split of rows between threads, so none of them changes a result.
 */

export interface Tile {
  /** rows of the micro-tile (A values splatted per k step) */
  readonly mr: number;
  /** columns of the micro-tile, a multiple of 4 (B vectors loaded per k step) */
  readonly nr: number;
}

/**
 * The register block each build uses (chosen by measurement: build/tile-bench.ts). Measured on
 * AMD EPYC (2026-12-07, relaxed build, one thread): 5x8 0.45x and 6x8 ~0.5x of 4x8 (they spill),
 * 3x12 0.96x, 2x16 ~1x; the 4x8 loop unrolled over two k steps 0.53x (V8 keeps both steps' B
 * vectors and splats live and spills).
 */
export const TILES: Readonly<Record<'simd' | 'relaxed', Tile>> = {
  simd: { mr: 4, nr: 8 },
  relaxed: { mr: 4, nr: 8 },
};

/**
 * The blocked loop's limits. k is cut into equal blocks of at most KC, except that a k up to
 * KC_ONE_PASS is one block (one pass over C: a conv's k = 9·Cin = 288 then needs no second
 * pass, which would reload a C too big for the cache). MC and NC are the largest multiples of
 * MR and NR (at most MC_MAX, NC_MAX) whose packed A block (MC x kc) and B block (kc x NC) fit
 * their scratch areas. The blocking never changes a result (see $micro).
 */
export const KC = 256;
const KC_ONE_PASS = 512;
const MC_MAX = 128;
const NC_MAX = 512;
/** the packed A and B areas of the scratch region, in floats (kernels.wat: [0, 131072), [131072, 655360) bytes) */
const A_FLOATS = 131072 / 4;
const B_FLOATS = (655360 - 131072) / 4;
/** the edge-tile spill area in the scratch region, bytes (kernels.wat: [655360, 1048576)) */
const TILE_BYTES = 1048576 - 655360;

const range = (n: number) => [...Array(n).keys()];
const mul = (x: string, k: number) => (k & (k - 1)) === 0 ? `(i32.shl ${x} (i32.const ${Math.log2(k)}))` : `(i32.mul ${x} (i32.const ${k}))`;

export function checkTile(t: Tile): void {
  if (!(Number.isInteger(t.mr) && t.mr >= 1 && t.mr <= 8)) throw new Error(`gemm tile: mr must be an integer in 1..8, got ${t.mr}`);
  if (!(Number.isInteger(t.nr) && t.nr >= 4 && t.nr <= 16 && t.nr % 4 === 0)) throw new Error(`gemm tile: nr must be 4, 8, 12 or 16, got ${t.nr}`);
  if (t.mr * t.nr * 4 > TILE_BYTES) throw new Error(`gemm tile: ${t.mr}x${t.nr} does not fit the edge-tile area`);
}

/** the end of a packing loop over p: next packed row of `width` floats, next source step `adv` */
const nextP = (loop: string, width: number, adv: string, close: string) => [
  `(local.set $q (i32.add (local.get $q) (i32.const ${4 * width})))`,
  `(local.set $s (i32.add (local.get $s) (local.get ${adv})))`,
  `(local.set $p (i32.add (local.get $p) (i32.const 1)))`,
  `(br_if ${loop} (i32.lt_u (local.get $p) (local.get $kc)))${close}`,
];

/**
 * A partial panel (fewer than `width` rows / columns left): per p, `count` values read
 * `stride` apart, zero-filled to `width`.
 */
const partialPanel = (o: { outer: string; inner: string; idx: string; count: string; width: number; stride: string; adv: string }) => [
  `(loop ${o.outer}`,
  `  (local.set ${o.idx} (i32.const 0))`,
  `  (loop ${o.inner}`,
  `    (f32.store (i32.add (local.get $q) (i32.shl (local.get ${o.idx}) (i32.const 2)))`,
  `      (if (result f32) (i32.lt_u (local.get ${o.idx}) (local.get ${o.count}))`,
  `        (then (f32.load (i32.add (local.get $s) (i32.mul (local.get ${o.idx}) (local.get ${o.stride})))))`,
  `        (else (f32.const 0))))`,
  `    (local.set ${o.idx} (i32.add (local.get ${o.idx}) (i32.const 1)))`,
  `    (br_if ${o.inner} (i32.lt_u (local.get ${o.idx}) (i32.const ${o.width}))))`,
  ...nextP(o.outer, o.width, o.adv, ')').map((l) => `  ${l}`),
];

const indent = (n: number) => (l: string) => ' '.repeat(n) + l;

/** $micro: C tile (mr x nr, row stride ldc bytes) = (first) or += (not first) A panel · B panel */
function micro({ mr, nr }: Tile): string {
  const nv = nr / 4;
  const c = (i: number, j: number) => `$c${i}_${j}`;
  const accs = range(mr).flatMap((i) => range(nv).map((j) => c(i, j)));
  const step = range(nv).map((j) => `  (local.set $b${j} (v128.load offset=${16 * j} (local.get $pb)))`);
  for (const i of range(mr)) {
    step.push(`  (local.set $a (v128.load32_splat offset=${4 * i} (local.get $pa)))`);
    for (const j of range(nv)) step.push(`  ;;@madd ${c(i, j)} $a $b${j}`);
  }
  const rowsAt = (f: (i: number) => string[]) =>
    range(mr).flatMap((i) => [...(i === 0 ? ['(local.set $dst (local.get $c))'] : ['(local.set $dst (i32.add (local.get $dst) (local.get $ldc)))']), ...f(i)]);
  const loadC = rowsAt((i) => range(nv).map((j) => `(local.set ${c(i, j)} (v128.load offset=${16 * j} (local.get $dst)))`));
  const storeC = rowsAt((i) => range(nv).map((j) => `(v128.store offset=${16 * j} (local.get $dst) (local.get ${c(i, j)}))`));
  const spill = accs.map((a, k) => `(v128.store offset=${16 * k} (global.get $tile) (local.get ${a}))`);
  const unspill = accs.map((a, k) => `(local.set ${a} (v128.load offset=${16 * k} (global.get $tile)))`);
  const full = `(i32.and (i32.eq (local.get $mr) (i32.const ${mr})) (i32.eq (local.get $nr) (i32.const ${nr})))`;
  // the valid mr x nr part of C <-> the tile buffer (row stride nr floats), for edge tiles
  const edgeCopy = (toTile: boolean) => [
    `(local.set $i (i32.const 0))`,
    `(loop $rows${toTile ? 'In' : 'Out'}`,
    `  (local.set $src (i32.add (global.get $tile) ${mul('(local.get $i)', 4 * nr)}))`,
    `  (local.set $dst (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))`,
    `  (local.set $j (i32.const 0))`,
    `  (loop $cols${toTile ? 'In' : 'Out'}`,
    toTile ? `    (f32.store (local.get $src) (f32.load (local.get $dst)))` : `    (f32.store (local.get $dst) (f32.load (local.get $src)))`,
    `    (local.set $src (i32.add (local.get $src) (i32.const 4)))`,
    `    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))`,
    `    (local.set $j (i32.add (local.get $j) (i32.const 1)))`,
    `    (br_if $cols${toTile ? 'In' : 'Out'} (i32.lt_u (local.get $j) (local.get $nr))))`,
    `  (local.set $i (i32.add (local.get $i) (i32.const 1)))`,
    `  (br_if $rows${toTile ? 'In' : 'Out'} (i32.lt_u (local.get $i) (local.get $mr))))`,
  ];
  return [
    `;; C tile (mr x nr, row stride ldc bytes) = (first) or += (not first) A panel . B panel;`,
    `;; the ${mr}x${nr} block keeps C in ${accs.length} v128 accumulators, ${nv} B vectors and one splatted A value live.`,
    `;; Not first: the accumulators start from C, so every C element is one chain of multiply-adds`,
    `;; in k order however k is cut into blocks (the blocking never changes a result).`,
    `(func $micro (param $pa i32) (param $pb i32) (param $kc i32) (param $c i32) (param $ldc i32)`,
    `             (param $mr i32) (param $nr i32) (param $first i32)`,
    `  (local $end i32) (local $a v128) ${range(nv).map((j) => `(local $b${j} v128)`).join(' ')}`,
    `  ${accs.map((a) => `(local ${a} v128)`).join(' ')}`,
    `  (local $i i32) (local $j i32) (local $src i32) (local $dst i32)`,
    `  (local.set $end (i32.add (local.get $pa) ${mul('(local.get $kc)', 4 * mr)}))`,
    `  (if (i32.eqz (local.get $first))`,
    `    (then`,
    `      (if ${full}`,
    `        (then`,
    ...loadC.map(indent(10)),
    `          )`,
    `        (else`,
    ...edgeCopy(true).map(indent(10)),
    ...unspill.map(indent(10)),
    `          ))))`,
    `  (loop $k`,
    ...step.map(indent(2)),
    `    (local.set $pa (i32.add (local.get $pa) (i32.const ${4 * mr})))`,
    `    (local.set $pb (i32.add (local.get $pb) (i32.const ${4 * nr})))`,
    `    (br_if $k (i32.lt_u (local.get $pa) (local.get $end))))`,
    `  (if ${full}`,
    `    (then`,
    ...storeC.map(indent(6)),
    `      (return)))`,
    `  ;; edge tile: spill the accumulators to the tile buffer, copy the valid mr x nr part`,
    ...spill.map(indent(2)),
    ...edgeCopy(false).map(indent(2)),
    `  )`,
  ].join('\n');
}

const lanes = (x: number[]) => x.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]).join(' ');
const QUAD_LOCALS = '  (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)';

/**
 * Packing a panel whose `width` lines (rows of A, columns of B) are each contiguous along p:
 * four p at a time, each group of 4 lines (line i read at addr(i)) by a 4x4 transpose in
 * registers, stored as 4 packed p rows of `width` floats at $q: 4 loads, 8 shuffles and 4
 * stores per 16 floats instead of 16 scalar loads and stores. Runs while 4 p are left, when
 * the p stride (local `pStride`, bytes) is 4; advances $q, $s and $p.
 */
function quadLoop(width: number, pStride: string, addr: (i: number) => string): string[] {
  const group = (g: number) => [
    ...range(4).map((i) => `(local.set $v${i} (v128.load ${addr(4 * g + i)}))`),
    `(local.set $t0 (i8x16.shuffle ${lanes([0, 4, 1, 5])} (local.get $v0) (local.get $v1)))`,
    `(local.set $t1 (i8x16.shuffle ${lanes([2, 6, 3, 7])} (local.get $v0) (local.get $v1)))`,
    `(local.set $t2 (i8x16.shuffle ${lanes([0, 4, 1, 5])} (local.get $v2) (local.get $v3)))`,
    `(local.set $t3 (i8x16.shuffle ${lanes([2, 6, 3, 7])} (local.get $v2) (local.get $v3)))`,
    `(v128.store offset=${16 * g} (local.get $q) (i8x16.shuffle ${lanes([0, 1, 4, 5])} (local.get $t0) (local.get $t2)))`,
    `(v128.store offset=${4 * width + 16 * g} (local.get $q) (i8x16.shuffle ${lanes([2, 3, 6, 7])} (local.get $t0) (local.get $t2)))`,
    `(v128.store offset=${8 * width + 16 * g} (local.get $q) (i8x16.shuffle ${lanes([0, 1, 4, 5])} (local.get $t1) (local.get $t3)))`,
    `(v128.store offset=${12 * width + 16 * g} (local.get $q) (i8x16.shuffle ${lanes([2, 3, 6, 7])} (local.get $t1) (local.get $t3)))`,
  ];
  return [
    `(if (i32.and (i32.eq (local.get ${pStride}) (i32.const 4)) (i32.ge_u (local.get $kc) (i32.const 4)))`,
    `  (then`,
    `    (loop $quads`,
    ...range(width / 4).flatMap(group).map(indent(6)),
    `      (local.set $q (i32.add (local.get $q) (i32.const ${16 * width})))`,
    `      (local.set $s (i32.add (local.get $s) (i32.const 16)))`,
    `      (local.set $p (i32.add (local.get $p) (i32.const 4)))`,
    `      (br_if $quads (i32.le_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc))))))`,
  ];
}

/** the p left after quadLoop (if any), one at a time: `width` scalar copies per p, then `close` */
const lineTail = (loop: string, width: number, addr: (i: number) => string, adv: string, close: string) => [
  `(if (i32.lt_u (local.get $p) (local.get $kc))`,
  `  (then`,
  `    (loop ${loop}`,
  ...range(width).map((i) => `      (f32.store offset=${4 * i} (local.get $q) (f32.load ${addr(i)}))`),
  ...nextP(loop, width, adv, `))${close}`).map(indent(6)),
];

/** line i of a panel (row of A, column of B) at s + i·stride: `stride` for i = 1, locals `${prefix}i` = i·stride beyond */
const lineAddr = (stride: string, prefix: string) => (i: number) =>
  i === 0 ? '(local.get $s)' : `(i32.add (local.get $s) (local.get ${i === 1 ? stride : `${prefix}${i}`}))`;

/** $packB: op(B)[0..kc, 0..nc) (element (p, j) at src + (p*rs + j*cs)*4) into NR-column panels at $packb */
function packB({ nr }: Tile): string {
  const nv = nr / 4;
  // column j of a full panel is read at s + c_j (c_1 = cs, c_j = j·cs kept in locals)
  const col = lineAddr('$cs', '$c');
  const colLocals = range(nr).filter((j) => j >= 2);
  return [
    `;; pack op(B)[0..kc, 0..nc) (element (p, j) at src + (p*rs + j*cs)*4) into ${nr}-column panels at $packb`,
    `(func $packB (param $src i32) (param $rs i32) (param $cs i32) (param $nc i32) (param $kc i32)`,
    `  (local $q i32) (local $jr i32) (local $nr i32) (local $p i32) (local $s i32) (local $j i32)`,
    `  ${colLocals.map((j) => `(local $c${j} i32)`).join(' ')}`,
    QUAD_LOCALS,
    `  (local.set $rs (i32.shl (local.get $rs) (i32.const 2)))`,
    `  (local.set $cs (i32.shl (local.get $cs) (i32.const 2)))`,
    ...colLocals.map((j) => `  (local.set $c${j} (i32.mul (local.get $cs) (i32.const ${j})))`),
    `  (local.set $q (global.get $packb))`,
    `  (local.set $jr (i32.const 0))`,
    `  (loop $panels`,
    `    (local.set $nr (call $min (i32.const ${nr}) (i32.sub (local.get $nc) (local.get $jr))))`,
    `    (local.set $s (i32.add (local.get $src) (i32.mul (local.get $jr) (local.get $cs))))`,
    `    (local.set $p (i32.const 0))`,
    `    (if (i32.and (i32.eq (local.get $nr) (i32.const ${nr})) (i32.eq (local.get $cs) (i32.const 4)))`,
    `      (then`,
    `        ;; row-major B: each panel row is ${nr} contiguous floats`,
    `        (loop $rows`,
    ...range(nv).map((j) => `          (v128.store offset=${16 * j} (local.get $q) (v128.load offset=${16 * j} (local.get $s)))`),
    ...nextP('$rows', nr, '$rs', '))').map(indent(10)),
    `      (else`,
    `        (if (i32.and (i32.eq (local.get $nr) (i32.const ${nr})) (i32.eq (local.get $rs) (i32.const 4)))`,
    `          (then`,
    `            ;; transposed B: each of the ${nr} columns is contiguous along p`,
    ...quadLoop(nr, '$rs', col).map(indent(12)),
    ...lineTail('$rest', nr, col, '$rs', '))').map(indent(12)),
    `          (else`,
    ...partialPanel({ outer: '$rows', inner: '$cols', idx: '$j', count: '$nr', width: nr, stride: '$cs', adv: '$rs' }).map(indent(12)),
    `            ))))`,
    `    (local.set $jr (i32.add (local.get $jr) (i32.const ${nr})))`,
    `    (br_if $panels (i32.lt_u (local.get $jr) (local.get $nc)))))`,
  ].join('\n');
}

/** $packA: op(A)[0..mc, 0..kc) (element (i, p) at src + (i*rs + p*cs)*4) into MR-row panels at $scratch */
function packA({ mr }: Tile): string {
  // row i of a full panel is read at s + r_i (r_1 = rs, r_i = i·rs kept in locals)
  const r = lineAddr('$rs', '$r');
  const rowLocals = range(mr).filter((i) => i >= 2);
  // transposed A (rs = 1): the mr values at one p are contiguous: v128 copies, then an i64 / f32 for the rest
  const contiguous: string[] = [];
  for (let o = 0; o < mr; ) {
    const left = mr - o;
    const [ty, w] = left >= 4 ? ['v128', 4] : left >= 2 ? ['i64', 2] : ['f32', 1];
    contiguous.push(`(${ty}.store offset=${4 * o} (local.get $q) (${ty}.load offset=${4 * o} (local.get $s)))`);
    o += w;
  }
  // row-major A (cs = 1): four p at a time, 4x4 transposes in registers
  const quads = mr % 4 !== 0 ? [] : quadLoop(mr, '$cs', r);
  return [
    `;; pack op(A)[0..mc, 0..kc) (element (i, p) at src + (i*rs + p*cs)*4) into ${mr}-row panels at $scratch`,
    `(func $packA (param $src i32) (param $rs i32) (param $cs i32) (param $mc i32) (param $kc i32)`,
    `  (local $q i32) (local $ir i32) (local $mr i32) (local $p i32) (local $s i32) (local $i i32)`,
    ...(mr % 4 === 0 ? [QUAD_LOCALS] : []),
    ...(rowLocals.length > 0 ? [`  ${rowLocals.map((i) => `(local $r${i} i32)`).join(' ')}`] : []),
    `  (local.set $rs (i32.shl (local.get $rs) (i32.const 2)))`,
    `  (local.set $cs (i32.shl (local.get $cs) (i32.const 2)))`,
    ...rowLocals.map((i) => `  (local.set $r${i} (i32.mul (local.get $rs) (i32.const ${i})))`),
    `  (local.set $q (global.get $scratch))`,
    `  (local.set $ir (i32.const 0))`,
    `  (loop $panels`,
    `    (local.set $mr (call $min (i32.const ${mr}) (i32.sub (local.get $mc) (local.get $ir))))`,
    `    (local.set $s (i32.add (local.get $src) (i32.mul (local.get $ir) (local.get $rs))))`,
    `    (local.set $p (i32.const 0))`,
    `    (if (i32.eq (local.get $mr) (i32.const ${mr}))`,
    `      (then`,
    `        (if (i32.eq (local.get $rs) (i32.const 4))`,
    `          (then`,
    `            ;; transposed A: the ${mr} rows at one p are contiguous`,
    `            (loop $cols`,
    ...contiguous.map(indent(14)),
    ...nextP('$cols', mr, '$cs', '))').map(indent(14)),
    `          (else`,
    ...quads.map(indent(12)),
    ...lineTail('$cols', mr, r, '$cs', '))))').map(indent(12)),
    `      (else`,
    ...partialPanel({ outer: '$cols', inner: '$rows', idx: '$i', count: '$mr', width: mr, stride: '$rs', adv: '$cs' }).map(indent(8)),
    `        ))`,
    `    (local.set $ir (i32.add (local.get $ir) (i32.const ${mr})))`,
    `    (br_if $panels (i32.lt_u (local.get $ir) (local.get $mc)))))`,
  ].join('\n');
}

/** $gemm: the blocked loop over KC x NC blocks of B and MC x KC blocks of A */
function gemm({ mr, nr }: Tile): string {
  const mc = Math.floor(MC_MAX / mr) * mr;
  const nc = Math.floor(NC_MAX / nr) * nr;
  // the largest multiple of `unit` up to `cap` with `unit`-multiple·kc floats within `area`
  const fit = (v: string, area: number, unit: number, cap: number) =>
    `(local.set ${v} (call $min (i32.const ${cap}) (i32.mul (i32.div_u (i32.div_u (i32.const ${area}) (local.get $kcmax)) (i32.const ${unit})) (i32.const ${unit}))))`;
  return [
    `;; C[m, n] (row stride ldc floats, at c) = op(A) . op(B), or += when $acc is 1;`,
    `;; op(A)[i, p] at a + (i*ars + p*acs)*4, op(B)[p, j] at b + (p*brs + j*bcs)*4;`,
    `;; k in equal blocks of at most KC = ${KC} (one block up to ${KC_ONE_PASS}); MC <= ${mc} (a multiple of MR = ${mr}) and`,
    `;; NC <= ${nc} (a multiple of NR = ${nr}) as large as the packed blocks' scratch areas allow for that kc`,
    `(func $gemm (export "gemm") (param $a i32) (param $ars i32) (param $acs i32)`,
    `      (param $b i32) (param $brs i32) (param $bcs i32)`,
    `      (param $c i32) (param $ldc i32) (param $m i32) (param $k i32) (param $n i32) (param $acc i32)`,
    `  (call $gemm_keyed (local.get $a) (local.get $ars) (local.get $acs) (local.get $b) (local.get $brs) (local.get $bcs)`,
    `    (local.get $c) (local.get $ldc) (local.get $m) (local.get $k) (local.get $n) (local.get $acc) (i32.const 0)))`,
    ``,
    `;; $gemm that may reuse this instance's packed B: when B is one block (k <= kc, n <= NC) and`,
    `;; $bkey is nonzero and the same as the last packing's (with the same B pointer, strides, k`,
    `;; and n), the packed panels are still in place and B is not packed again. A caller passes a`,
    `;; key only while B's bytes cannot have changed since the key was first used with it (one`,
    `;; conv call's filter, a recurrent sequence's U); any other packing forgets the key.`,
    `(func $gemm_keyed (param $a i32) (param $ars i32) (param $acs i32)`,
    `      (param $b i32) (param $brs i32) (param $bcs i32)`,
    `      (param $c i32) (param $ldc i32) (param $m i32) (param $k i32) (param $n i32) (param $acc i32) (param $bkey i32)`,
    `  (local $kcmax i32) (local $blocks i32) (local $mcmax i32) (local $ncmax i32) (local $single i32)`,
    `  (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32)`,
    `  (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32)`,
    `  (if (i32.or (i32.or (i32.eqz (local.get $m)) (i32.eqz (local.get $n))) (i32.eqz (local.get $k)))`,
    `    (then (return)))`,
    `  (local.set $ldc (i32.shl (local.get $ldc) (i32.const 2)))`,
    `  ;; k split into equal blocks of at most KC, so no block is a short leftover`,
    `  (local.set $blocks (select (i32.const 1) (i32.div_u (i32.add (local.get $k) (i32.const ${KC - 1})) (i32.const ${KC}))`,
    `    (i32.le_u (local.get $k) (i32.const ${KC_ONE_PASS}))))`,
    `  (local.set $kcmax (i32.div_u (i32.sub (i32.add (local.get $k) (local.get $blocks)) (i32.const 1)) (local.get $blocks)))`,
    `  ${fit('$mcmax', A_FLOATS, mr, mc)}`,
    `  ${fit('$ncmax', B_FLOATS, nr, nc)}`,
    `  (local.set $single (i32.and (i32.eq (local.get $blocks) (i32.const 1)) (i32.le_u (local.get $n) (local.get $ncmax))))`,
    `  (local.set $jc (i32.const 0))`,
    `  (loop $jcl`,
    `    (local.set $nc (call $min (local.get $ncmax) (i32.sub (local.get $n) (local.get $jc))))`,
    `    (local.set $pc (i32.const 0))`,
    `    (loop $pcl`,
    `      (local.set $kc (call $min (local.get $kcmax) (i32.sub (local.get $k) (local.get $pc))))`,
    `      (if (i32.eqz (i32.and (i32.and (local.get $single) (i32.ne (local.get $bkey) (i32.const 0)))`,
    `            (i32.and (i32.and (i32.eq (local.get $bkey) (global.get $bkey)) (i32.eq (local.get $b) (global.get $bsrc)))`,
    `              (i32.and (i32.and (i32.eq (local.get $k) (global.get $bk)) (i32.eq (local.get $n) (global.get $bn)))`,
    `                (i32.and (i32.eq (local.get $brs) (global.get $brs)) (i32.eq (local.get $bcs) (global.get $bcs)))))))`,
    `        (then`,
    `          (call $packB`,
    `            (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $brs))`,
    `                                                      (i32.mul (local.get $jc) (local.get $bcs))) (i32.const 2)))`,
    `            (local.get $brs) (local.get $bcs) (local.get $nc) (local.get $kc))`,
    `          (global.set $bkey (select (local.get $bkey) (i32.const 0) (local.get $single)))`,
    `          (global.set $bsrc (local.get $b)) (global.set $bk (local.get $k)) (global.set $bn (local.get $n))`,
    `          (global.set $brs (local.get $brs)) (global.set $bcs (local.get $bcs))))`,
    `      (local.set $ic (i32.const 0))`,
    `      (loop $icl`,
    `        (local.set $mc (call $min (local.get $mcmax) (i32.sub (local.get $m) (local.get $ic))))`,
    `        (call $packA`,
    `          (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $ic) (local.get $ars))`,
    `                                                    (i32.mul (local.get $pc) (local.get $acs))) (i32.const 2)))`,
    `          (local.get $ars) (local.get $acs) (local.get $mc) (local.get $kc))`,
    `        (local.set $jr (i32.const 0))`,
    `        (loop $jrl`,
    `          (local.set $ir (i32.const 0))`,
    `          (loop $irl`,
    `            (call $micro`,
    `              (i32.add (global.get $scratch) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2)))`,
    `              (i32.add (global.get $packb) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 2)))`,
    `              (local.get $kc)`,
    `              (i32.add (local.get $c)`,
    `                (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))`,
    `                         (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2))))`,
    `              (local.get $ldc)`,
    `              (call $min (i32.const ${mr}) (i32.sub (local.get $mc) (local.get $ir)))`,
    `              (call $min (i32.const ${nr}) (i32.sub (local.get $nc) (local.get $jr)))`,
    `              (i32.and (i32.eqz (local.get $pc)) (i32.eqz (local.get $acc))))`,
    `            (local.set $ir (i32.add (local.get $ir) (i32.const ${mr})))`,
    `            (br_if $irl (i32.lt_u (local.get $ir) (local.get $mc))))`,
    `          (local.set $jr (i32.add (local.get $jr) (i32.const ${nr})))`,
    `          (br_if $jrl (i32.lt_u (local.get $jr) (local.get $nc))))`,
    `        (local.set $ic (i32.add (local.get $ic) (local.get $mcmax)))`,
    `        (br_if $icl (i32.lt_u (local.get $ic) (local.get $m))))`,
    `      (local.set $pc (i32.add (local.get $pc) (local.get $kc)))`,
    `      (br_if $pcl (i32.lt_u (local.get $pc) (local.get $k))))`,
    `    (local.set $jc (i32.add (local.get $jc) (local.get $ncmax)))`,
    `    (br_if $jcl (i32.lt_u (local.get $jc) (local.get $n)))))`,
  ].join('\n');
}

/** what this instance's packed B block holds, for $gemm_keyed (key 0: nothing reusable) */
const PACKED_B_GLOBALS = ['$bkey', '$bsrc', '$bk', '$bn', '$brs', '$bcs'].map((g) => `(global ${g} (mut i32) (i32.const 0))`).join('\n');

/** the four functions for one block shape, and the globals $gemm_keyed keeps */
export function gemmCoreWat(t: Tile): string {
  checkTile(t);
  return [PACKED_B_GLOBALS, micro(t), packB(t), packA(t), gemm(t)].join('\n\n');
}

/** the macro definitions `gemm_core@simd` and `gemm_core@relaxed` (one block shape per build) */
export function gemmCoreMacros(tiles: Readonly<Record<'simd' | 'relaxed', Tile>> = TILES): string {
  return (['simd', 'relaxed'] as const)
    .map((v) => [`;;@define gemm_core@${v}`, gemmCoreWat(tiles[v]), ';;@end'].join('\n'))
    .join('\n');
}
