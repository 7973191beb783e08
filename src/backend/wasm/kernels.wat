;; shapeflow WebAssembly SIMD kernels (hand-written WAT, 128-bit SIMD, f32x4).
;;
;; This file is the module's core; the other .wat files in this folder are fragments (only
;; module fields: funcs, globals) spliced in before its final parenthesis by build/assemble.ts,
;; in file-name order. Everything is one module over one memory.
;;
;; Memory: imported, shared (so worker threads run kernels on the same bytes). Each instance
;; (the calling thread's and one per worker) owns a scratch region of SCRATCH_BYTES bytes at
;; $scratch, set once by `set_scratch`: [0, 131072) packed A block (MC x KC floats),
;; [131072, 655360) packed B block (KC x NC floats), [655360, 655488) the edge micro-tile,
;; [WORK_OFFSET, SCRATCH_BYTES) a work area for fragments (im2col rows, per-thread partial
;; sums). Scratch regions of up to MAX_INSTANCES instances sit below heap_base; from heap_base
;; on the JS side places the operands and results of one call. All pointers are byte
;; addresses; strides are in floats.
;;
;; GEMM: Goto-style blocking. B is packed in KC x NC blocks of 8-column panels (p-major,
;; 8 floats per p), A in MC x KC blocks of 4-row panels (p-major, 4 floats per p), rows and
;; columns past the matrix zero-filled. The 4x8 micro-kernel keeps C in 8 v128
;; accumulators; per p it loads two B vectors and splats four A values, 11 live vectors,
;; which V8's x64 register allocator keeps in xmm registers without spilling.
;; Plain wasm SIMD 128 has no fused multiply-add, so in this build each step is mul + add,
;; rounded twice; the relaxed-SIMD build (the madd@relaxed macro) uses f32x4.relaxed_madd,
;; one fused instruction and one rounding where the CPU has FMA. Either way results match a
;; float64 reference within float32 accumulation error, not bit for bit, and do not depend
;; on the thread count (each C element is reduced in the same order).
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; SCRATCH_BYTES = 4 MiB per instance, MAX_INSTANCES = 8, WORK_OFFSET = 1 MiB
  (global (export "scratch_bytes") i32 (i32.const 4194304))
  (global (export "max_instances") i32 (i32.const 8))
  (global (export "work_offset") i32 (i32.const 1048576))
  (global (export "heap_base") i32 (i32.const 33554432))
  ;; this instance's scratch region and the parts of it the GEMM uses
  (global $scratch (mut i32) (i32.const 0))
  (global $packb (mut i32) (i32.const 131072))
  (global $tile (mut i32) (i32.const 655360))
  (global $work (mut i32) (i32.const 1048576))

  (func (export "set_scratch") (param $p i32)
    (global.set $scratch (local.get $p))
    (global.set $packb (i32.add (local.get $p) (i32.const 131072)))
    (global.set $tile (i32.add (local.get $p) (i32.const 655360)))
    (global.set $work (i32.add (local.get $p) (i32.const 1048576))))

  ;; KC = 256, MC = 128 (multiple of MR = 4), NC = 512 (multiple of NR = 8)
  (func $min (param $x i32) (param $y i32) (result i32)
    (select (local.get $x) (local.get $y) (i32.lt_u (local.get $x) (local.get $y))))

  ;; c += a·b: mul then add (two roundings), or one f32x4.relaxed_madd in the relaxed-SIMD
  ;; build (a fused multiply-add where the CPU has FMA: one rounding)
  ;;@define madd@simd c a b
  (local.set {c} (f32x4.add (local.get {c}) (f32x4.mul (local.get {a}) (local.get {b}))))
  ;;@end
  ;;@define madd@relaxed c a b
  (local.set {c} (f32x4.relaxed_madd (local.get {a}) (local.get {b}) (local.get {c})))
  ;;@end

  ;; C tile (mr x nr, row stride ldc bytes) = (first) or += (not first) A panel . B panel
  (func $micro (param $pa i32) (param $pb i32) (param $kc i32) (param $c i32) (param $ldc i32)
               (param $mr i32) (param $nr i32) (param $first i32)
    (local $end i32) (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $i i32) (local $j i32) (local $src i32) (local $dst i32) (local $v f32)
    (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $kc) (i32.const 4))))
    (loop $k
      (local.set $b0 (v128.load (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $a (v128.load32_splat (local.get $pa)))
      ;;@madd $c00 $a $b0
      ;;@madd $c01 $a $b1
      (local.set $a (v128.load32_splat offset=4 (local.get $pa)))
      ;;@madd $c10 $a $b0
      ;;@madd $c11 $a $b1
      (local.set $a (v128.load32_splat offset=8 (local.get $pa)))
      ;;@madd $c20 $a $b0
      ;;@madd $c21 $a $b1
      (local.set $a (v128.load32_splat offset=12 (local.get $pa)))
      ;;@madd $c30 $a $b0
      ;;@madd $c31 $a $b1
      (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (br_if $k (i32.lt_u (local.get $pa) (local.get $end))))
    (if (i32.and (i32.eq (local.get $mr) (i32.const 4)) (i32.eq (local.get $nr) (i32.const 8)))
      (then
        (if (i32.eqz (local.get $first))
          (then
            (local.set $dst (local.get $c))
            (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $dst))))
            (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $dst))))
            (local.set $dst (i32.add (local.get $dst) (local.get $ldc)))
            (local.set $c10 (f32x4.add (local.get $c10) (v128.load (local.get $dst))))
            (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (local.get $dst))))
            (local.set $dst (i32.add (local.get $dst) (local.get $ldc)))
            (local.set $c20 (f32x4.add (local.get $c20) (v128.load (local.get $dst))))
            (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (local.get $dst))))
            (local.set $dst (i32.add (local.get $dst) (local.get $ldc)))
            (local.set $c30 (f32x4.add (local.get $c30) (v128.load (local.get $dst))))
            (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (local.get $dst))))))
        (local.set $dst (local.get $c))
        (v128.store (local.get $dst) (local.get $c00))
        (v128.store offset=16 (local.get $dst) (local.get $c01))
        (local.set $dst (i32.add (local.get $dst) (local.get $ldc)))
        (v128.store (local.get $dst) (local.get $c10))
        (v128.store offset=16 (local.get $dst) (local.get $c11))
        (local.set $dst (i32.add (local.get $dst) (local.get $ldc)))
        (v128.store (local.get $dst) (local.get $c20))
        (v128.store offset=16 (local.get $dst) (local.get $c21))
        (local.set $dst (i32.add (local.get $dst) (local.get $ldc)))
        (v128.store (local.get $dst) (local.get $c30))
        (v128.store offset=16 (local.get $dst) (local.get $c31))
        (return)))
    ;; edge tile: spill the accumulators to the tile buffer, copy the valid mr x nr part
    (v128.store offset=0 (global.get $tile) (local.get $c00))
    (v128.store offset=16 (global.get $tile) (local.get $c01))
    (v128.store offset=32 (global.get $tile) (local.get $c10))
    (v128.store offset=48 (global.get $tile) (local.get $c11))
    (v128.store offset=64 (global.get $tile) (local.get $c20))
    (v128.store offset=80 (global.get $tile) (local.get $c21))
    (v128.store offset=96 (global.get $tile) (local.get $c30))
    (v128.store offset=112 (global.get $tile) (local.get $c31))
    (local.set $i (i32.const 0))
    (loop $rows
      (local.set $src (i32.add (global.get $tile) (i32.shl (local.get $i) (i32.const 5))))
      (local.set $dst (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))
      (local.set $j (i32.const 0))
      (loop $cols
        (local.set $v (f32.load (local.get $src)))
        (if (i32.eqz (local.get $first))
          (then (local.set $v (f32.add (local.get $v) (f32.load (local.get $dst))))))
        (f32.store (local.get $dst) (local.get $v))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $j) (local.get $nr))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $mr)))))

  ;; pack op(B)[0..kc, 0..nc) (element (p, j) at src + (p*rs + j*cs)*4) into 8-column panels at $packb
  (func $packB (param $src i32) (param $rs i32) (param $cs i32) (param $nc i32) (param $kc i32)
    (local $q i32) (local $jr i32) (local $nr i32) (local $p i32) (local $s i32) (local $j i32)
    (local.set $rs (i32.shl (local.get $rs) (i32.const 2)))
    (local.set $cs (i32.shl (local.get $cs) (i32.const 2)))
    (local.set $q (global.get $packb))
    (local.set $jr (i32.const 0))
    (loop $panels
      (local.set $nr (call $min (i32.const 8) (i32.sub (local.get $nc) (local.get $jr))))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $jr) (local.get $cs))))
      (local.set $p (i32.const 0))
      (if (i32.and (i32.eq (local.get $nr) (i32.const 8)) (i32.eq (local.get $cs) (i32.const 4)))
        (then
          ;; row-major B: each panel row is 8 contiguous floats
          (loop $rows
            (v128.store (local.get $q) (v128.load (local.get $s)))
            (v128.store offset=16 (local.get $q) (v128.load offset=16 (local.get $s)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (local.set $s (i32.add (local.get $s) (local.get $rs)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br_if $rows (i32.lt_u (local.get $p) (local.get $kc)))))
        (else
          (loop $rows
            (local.set $j (i32.const 0))
            (loop $cols
              (f32.store (i32.add (local.get $q) (i32.shl (local.get $j) (i32.const 2)))
                (if (result f32) (i32.lt_u (local.get $j) (local.get $nr))
                  (then (f32.load (i32.add (local.get $s) (i32.mul (local.get $j) (local.get $cs)))))
                  (else (f32.const 0))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $cols (i32.lt_u (local.get $j) (i32.const 8))))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (local.set $s (i32.add (local.get $s) (local.get $rs)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br_if $rows (i32.lt_u (local.get $p) (local.get $kc))))))
      (local.set $jr (i32.add (local.get $jr) (i32.const 8)))
      (br_if $panels (i32.lt_u (local.get $jr) (local.get $nc)))))

  ;; pack op(A)[0..mc, 0..kc) (element (i, p) at src + (i*rs + p*cs)*4) into 4-row panels at $scratch
  (func $packA (param $src i32) (param $rs i32) (param $cs i32) (param $mc i32) (param $kc i32)
    (local $q i32) (local $ir i32) (local $mr i32) (local $p i32) (local $s i32) (local $i i32)
    (local $r2 i32) (local $r3 i32)
    (local.set $rs (i32.shl (local.get $rs) (i32.const 2)))
    (local.set $cs (i32.shl (local.get $cs) (i32.const 2)))
    (local.set $r2 (i32.shl (local.get $rs) (i32.const 1)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $rs)))
    (local.set $q (global.get $scratch))
    (local.set $ir (i32.const 0))
    (loop $panels
      (local.set $mr (call $min (i32.const 4) (i32.sub (local.get $mc) (local.get $ir))))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $ir) (local.get $rs))))
      (local.set $p (i32.const 0))
      (if (i32.eq (local.get $mr) (i32.const 4))
        (then
          (if (i32.eq (local.get $rs) (i32.const 4))
            (then
              ;; transposed A: the 4 rows at one p are contiguous
              (loop $cols
                (v128.store (local.get $q) (v128.load (local.get $s)))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (local.set $s (i32.add (local.get $s) (local.get $cs)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br_if $cols (i32.lt_u (local.get $p) (local.get $kc)))))
            (else
              (loop $cols
                (f32.store (local.get $q) (f32.load (local.get $s)))
                (f32.store offset=4 (local.get $q) (f32.load (i32.add (local.get $s) (local.get $rs))))
                (f32.store offset=8 (local.get $q) (f32.load (i32.add (local.get $s) (local.get $r2))))
                (f32.store offset=12 (local.get $q) (f32.load (i32.add (local.get $s) (local.get $r3))))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (local.set $s (i32.add (local.get $s) (local.get $cs)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br_if $cols (i32.lt_u (local.get $p) (local.get $kc)))))))
        (else
          (loop $cols
            (local.set $i (i32.const 0))
            (loop $rows
              (f32.store (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 2)))
                (if (result f32) (i32.lt_u (local.get $i) (local.get $mr))
                  (then (f32.load (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $rs)))))
                  (else (f32.const 0))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $rows (i32.lt_u (local.get $i) (i32.const 4))))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (local.set $s (i32.add (local.get $s) (local.get $cs)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br_if $cols (i32.lt_u (local.get $p) (local.get $kc))))))
      (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
      (br_if $panels (i32.lt_u (local.get $ir) (local.get $mc)))))

  ;; C[m, n] (row stride ldc floats, at c) = op(A) . op(B), or += when $acc is 1;
  ;; op(A)[i, p] at a + (i*ars + p*acs)*4, op(B)[p, j] at b + (p*brs + j*bcs)*4
  (func $gemm (export "gemm") (param $a i32) (param $ars i32) (param $acs i32)
        (param $b i32) (param $brs i32) (param $bcs i32)
        (param $c i32) (param $ldc i32) (param $m i32) (param $k i32) (param $n i32) (param $acc i32)
    (local $kcmax i32) (local $blocks i32)
    (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32)
    (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32)
    (if (i32.or (i32.or (i32.eqz (local.get $m)) (i32.eqz (local.get $n))) (i32.eqz (local.get $k)))
      (then (return)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 2)))
    ;; k split into equal blocks of at most KC, so no block is a short leftover
    (local.set $blocks (i32.div_u (i32.add (local.get $k) (i32.const 255)) (i32.const 256)))
    (local.set $kcmax (i32.div_u (i32.sub (i32.add (local.get $k) (local.get $blocks)) (i32.const 1)) (local.get $blocks)))
    (local.set $jc (i32.const 0))
    (loop $jcl
      (local.set $nc (call $min (i32.const 512) (i32.sub (local.get $n) (local.get $jc))))
      (local.set $pc (i32.const 0))
      (loop $pcl
        (local.set $kc (call $min (local.get $kcmax) (i32.sub (local.get $k) (local.get $pc))))
        (call $packB
          (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $brs))
                                                    (i32.mul (local.get $jc) (local.get $bcs))) (i32.const 2)))
          (local.get $brs) (local.get $bcs) (local.get $nc) (local.get $kc))
        (local.set $ic (i32.const 0))
        (loop $icl
          (local.set $mc (call $min (i32.const 128) (i32.sub (local.get $m) (local.get $ic))))
          (call $packA
            (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $ic) (local.get $ars))
                                                      (i32.mul (local.get $pc) (local.get $acs))) (i32.const 2)))
            (local.get $ars) (local.get $acs) (local.get $mc) (local.get $kc))
          (local.set $jr (i32.const 0))
          (loop $jrl
            (local.set $ir (i32.const 0))
            (loop $irl
              (call $micro
                (i32.add (global.get $scratch) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2)))
                (i32.add (global.get $packb) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 2)))
                (local.get $kc)
                (i32.add (local.get $c)
                  (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))
                           (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2))))
                (local.get $ldc)
                (call $min (i32.const 4) (i32.sub (local.get $mc) (local.get $ir)))
                (call $min (i32.const 8) (i32.sub (local.get $nc) (local.get $jr)))
                (i32.and (i32.eqz (local.get $pc)) (i32.eqz (local.get $acc))))
              (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
              (br_if $irl (i32.lt_u (local.get $ir) (local.get $mc))))
            (local.set $jr (i32.add (local.get $jr) (i32.const 8)))
            (br_if $jrl (i32.lt_u (local.get $jr) (local.get $nc))))
          (local.set $ic (i32.add (local.get $ic) (i32.const 128)))
          (br_if $icl (i32.lt_u (local.get $ic) (local.get $m))))
        (local.set $pc (i32.add (local.get $pc) (local.get $kc)))
        (br_if $pcl (i32.lt_u (local.get $pc) (local.get $k))))
      (local.set $jc (i32.add (local.get $jc) (i32.const 512)))
      (br_if $jcl (i32.lt_u (local.get $jc) (local.get $n)))))

;; One chunk of a batched GEMM job (run by the calling thread and the workers alike, see
  ;; threads.ts): the job record at $job holds i32 fields a, ars, acs, b, brs, bcs, c, m, k,
  ;; n, aOffsets, bOffsets, rowsPerChunk, chunksPerBatch. Chunk i is rows [r0, r0 + rows) of
  ;; batch item t = i / chunksPerBatch; aOffsets / bOffsets are i32 arrays of float offsets
  ;; of each item's A and B (broadcast batch dims repeat an offset); C is dense.
  (func (export "gemm_chunk") (param $job i32) (param $i i32)
    (local $t i32) (local $r0 i32) (local $m i32) (local $n i32) (local $rpc i32) (local $cpb i32)
    (local.set $m (i32.load offset=28 (local.get $job)))
    (local.set $n (i32.load offset=36 (local.get $job)))
    (local.set $rpc (i32.load offset=48 (local.get $job)))
    (local.set $cpb (i32.load offset=52 (local.get $job)))
    (local.set $t (i32.div_u (local.get $i) (local.get $cpb)))
    (local.set $r0 (i32.mul (i32.rem_u (local.get $i) (local.get $cpb)) (local.get $rpc)))
    (call $gemm
      (i32.add (i32.load (local.get $job))
        (i32.shl (i32.add (i32.load (i32.add (i32.load offset=40 (local.get $job)) (i32.shl (local.get $t) (i32.const 2))))
                          (i32.mul (local.get $r0) (i32.load offset=4 (local.get $job)))) (i32.const 2)))
      (i32.load offset=4 (local.get $job)) (i32.load offset=8 (local.get $job))
      (i32.add (i32.load offset=12 (local.get $job))
        (i32.shl (i32.load (i32.add (i32.load offset=44 (local.get $job)) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 2)))
      (i32.load offset=16 (local.get $job)) (i32.load offset=20 (local.get $job))
      (i32.add (i32.load offset=24 (local.get $job))
        (i32.shl (i32.add (i32.mul (i32.mul (local.get $t) (local.get $m)) (local.get $n))
                          (i32.mul (local.get $r0) (local.get $n))) (i32.const 2)))
      (local.get $n)
      (call $min (local.get $rpc) (i32.sub (local.get $m) (local.get $r0)))
      (i32.load offset=32 (local.get $job))
      (local.get $n)
      (i32.const 0)))

  ;; ---- element-wise ------------------------------------------------------------------
  ;; Vector loops only: they run ceil(n / 4) iterations, so they read up to 3 floats past
  ;; each operand and write up to 3 past the output. The caller places every operand in a
  ;; region rounded up to 16 bytes and only ever copies the first n outputs back; row-wise
  ;; callers go row by row in increasing order, so a row's overrun into the next row is
  ;; overwritten before anyone reads it.

  (func $add_vv (export "add_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))))

  (func $sub_vv (export "sub_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o) (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))))

  (func $mul_vv (export "mul_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))))

  (func $div_vv (export "div_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o) (f32x4.div (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))))

;; One chunk of a large same-shape element-wise job, for pipelines that copy the operands
  ;; in chunk by chunk while workers compute the chunks already copied (runtime.pipeline).
  ;; Job record (i32): op (0 add, 1 sub, 2 mul, 3 div, 4 + k: unary selector k on a), a, b,
  ;; o, n, chunk (elements per chunk, a multiple of 4: every chunk but the last is a whole
  ;; number of vectors, so chunks never write each other's bytes; the last one's overrun
  ;; goes to the regions' spare vector).
  (func (export "ew_chunk") (param $job i32) (param $i i32)
    (local $op i32) (local $off i32) (local $len i32)
    (local.set $op (i32.load (local.get $job)))
    (local.set $off (i32.mul (local.get $i) (i32.load offset=20 (local.get $job))))
    (local.set $len (call $min (i32.load offset=20 (local.get $job))
                               (i32.sub (i32.load offset=16 (local.get $job)) (local.get $off))))
    (local.set $off (i32.shl (local.get $off) (i32.const 2)))
    (if (i32.ge_u (local.get $op) (i32.const 4))
      (then
        (call $unary (i32.sub (local.get $op) (i32.const 4))
          (i32.add (i32.load offset=4 (local.get $job)) (local.get $off))
          (i32.add (i32.load offset=12 (local.get $job)) (local.get $off))
          (local.get $len))
        (return)))
    (block $div (block $mul (block $sub (block $add
      (br_table $add $sub $mul $div (local.get $op)))
      (call $add_vv (i32.add (i32.load offset=4 (local.get $job)) (local.get $off))
        (i32.add (i32.load offset=8 (local.get $job)) (local.get $off))
        (i32.add (i32.load offset=12 (local.get $job)) (local.get $off)) (local.get $len))
      (return))
      (call $sub_vv (i32.add (i32.load offset=4 (local.get $job)) (local.get $off))
        (i32.add (i32.load offset=8 (local.get $job)) (local.get $off))
        (i32.add (i32.load offset=12 (local.get $job)) (local.get $off)) (local.get $len))
      (return))
      (call $mul_vv (i32.add (i32.load offset=4 (local.get $job)) (local.get $off))
        (i32.add (i32.load offset=8 (local.get $job)) (local.get $off))
        (i32.add (i32.load offset=12 (local.get $job)) (local.get $off)) (local.get $len))
      (return))
    (call $div_vv (i32.add (i32.load offset=4 (local.get $job)) (local.get $off))
      (i32.add (i32.load offset=8 (local.get $job)) (local.get $off))
      (i32.add (i32.load offset=12 (local.get $job)) (local.get $off)) (local.get $len)))

  ;; a op s (add and mul also serve s op a: IEEE add and mul commute)
  (func (export "add_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o) (f32x4.add (v128.load (local.get $a)) (local.get $v)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))))

  (func (export "sub_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o) (f32x4.sub (v128.load (local.get $a)) (local.get $v)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))))

  (func (export "mul_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o) (f32x4.mul (v128.load (local.get $a)) (local.get $v)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))))

  (func (export "div_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o) (f32x4.div (v128.load (local.get $a)) (local.get $v)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))))

  ;; s op b
  (func (export "sub_sv") (param $b i32) (param $s f32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o) (f32x4.sub (local.get $v) (v128.load (local.get $b))))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))))

  (func (export "div_sv") (param $b i32) (param $s f32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o) (f32x4.div (local.get $v) (v128.load (local.get $b))))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))))

  ;; unary ops whose f32x4 instruction gives exactly what the cpu kernel gives per lane:
  ;; selector 0 neg, 1 abs, 2 sqrt, 3 square, 4 reciprocal, 5 relu (x < 0 ? 0 : x, so NaN
  ;; and -0 pass), 6 step (x > 0 ? 1 : 0), 7 floor, 8 round (half to even), 9 sign (NaN
  ;; stays NaN, ±0 -> +0). The switch is outside the loop: one loop per op.
  (func $unary (export "unary") (param $op i32) (param $x i32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128) (local $zero v128) (local $one v128) (local $mone v128)
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $mone (f32x4.splat (f32.const -1)))
    (if (i32.ge_u (local.get $o) (local.get $end)) (then (return)))
    (block $sign (block $round (block $floor (block $step (block $relu
    (block $recip (block $square (block $sqrt (block $abs (block $neg
      (br_table $neg $abs $sqrt $square $recip $relu $step $floor $round $sign (local.get $op)))
      (loop $l
        (v128.store (local.get $o) (f32x4.neg (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))
      (return))
      (loop $l
        (v128.store (local.get $o) (f32x4.abs (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))
      (return))
      (loop $l
        (v128.store (local.get $o) (f32x4.sqrt (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))
      (return))
      (loop $l
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $o) (f32x4.mul (local.get $v) (local.get $v)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))
      (return))
      (loop $l
        (v128.store (local.get $o) (f32x4.div (local.get $one) (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))
      (return))
      ;; pmax(x, 0) = x < 0 ? 0 : x
      (loop $l
        (v128.store (local.get $o) (f32x4.pmax (v128.load (local.get $x)) (local.get $zero)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))
      (return))
      (loop $l
        (v128.store (local.get $o)
          (v128.and (f32x4.gt (v128.load (local.get $x)) (local.get $zero)) (local.get $one)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))
      (return))
      (loop $l
        (v128.store (local.get $o) (f32x4.floor (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))
      (return))
      (loop $l
        (v128.store (local.get $o) (f32x4.nearest (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end))))
      (return))
    ;; sign: (x > 0 ? 1 : 0) | (x < 0 ? -1 : 0), then NaN lanes take x itself
    (loop $l
      (local.set $v (v128.load (local.get $x)))
      (v128.store (local.get $o)
        (v128.bitselect
          (local.get $v)
          (v128.or (v128.and (f32x4.gt (local.get $v) (local.get $zero)) (local.get $one))
                   (v128.and (f32x4.lt (local.get $v) (local.get $zero)) (local.get $mone)))
          (f32x4.ne (local.get $v) (local.get $v))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $l (i32.lt_u (local.get $o) (local.get $end)))))

  ;; clip: pmin(x, hi) = hi < x ? hi : x, then pmax(t, lo) = t < lo ? lo : t; NaN passes.
  ;; Matches the cpu kernel whenever lo <= hi (the caller checks).
  (func (export "clip") (param $x i32) (param $lo f32) (param $hi f32) (param $o i32) (param $n i32)
    (local $end i32) (local $vlo v128) (local $vhi v128)
    (local.set $vlo (f32x4.splat (local.get $lo)))
    (local.set $vhi (f32x4.splat (local.get $hi)))
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (loop $l
        (v128.store (local.get $o)
          (f32x4.pmax (f32x4.pmin (v128.load (local.get $x)) (local.get $vhi)) (local.get $vlo)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $l (i32.lt_u (local.get $o) (local.get $end)))))))
