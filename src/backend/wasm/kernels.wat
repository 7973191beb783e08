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
;; GEMM: Goto-style blocking. B is packed in KC x NC blocks of NR-column panels (p-major,
;; NR floats per p), A in MC x KC blocks of MR-row panels (p-major, MR floats per p), rows
;; and columns past the matrix zero-filled; build/gemm-tile.ts writes the core for each
;; build's MR x NR block (TILES there: 4x8 in both). The 4x8 micro-kernel keeps C in 8 v128
;; accumulators; per p it loads two B vectors and splats four A values. V8 (TurboFan) issues
;; all of a step's loads before its multiply-adds, so accumulators + B vectors + A splats
;; must fit the 15 allocatable xmm registers: 4x8 uses 14; 6x8 (20) and 4x12 (19) spill.
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

  ;; $micro, $packB, $packA and $gemm for this build's register block, written out by
  ;; build/gemm-tile.ts (the micro-kernel is MR·NR/4 ;;@madd steps per k)
  ;;@gemm_core

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

  ;; The loops below go four vectors per iteration while four whole vectors start before the
  ;; end, then one at a time: the same stores (every vector starting before n floats) in the
  ;; same order as one vector per iteration, with a quarter of the loop overhead (8192 floats:
  ;; mul_vs 0.97 -> 0.33 us, add_vv 0.97 -> 0.62). {step} is a macro of one vector's work at
  ;; byte offset {off} from the operands' addresses + $i; the function declares $i, $end, $end4.
  ;;@define ew_loop step
  (local.set $end (i32.shl (local.get $n) (i32.const 2)))
  (local.set $i (i32.const 0))
  (if (i32.gt_u (local.get $end) (i32.const 48))
    (then
      (local.set $end4 (i32.sub (local.get $end) (i32.const 48)))
      (loop $l4
        ;;@{step} 0
        ;;@{step} 16
        ;;@{step} 32
        ;;@{step} 48
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br_if $l4 (i32.lt_u (local.get $i) (local.get $end4))))))
  (block $done (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
    (loop $l
      ;;@{step} 0
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $end)))))
  ;;@end
  ;;@define step_add_vv off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.add (v128.load offset={off} (i32.add (local.get $a) (local.get $i))) (v128.load offset={off} (i32.add (local.get $b) (local.get $i)))))
  ;;@end
  ;;@define step_sub_vv off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.sub (v128.load offset={off} (i32.add (local.get $a) (local.get $i))) (v128.load offset={off} (i32.add (local.get $b) (local.get $i)))))
  ;;@end
  ;;@define step_mul_vv off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.mul (v128.load offset={off} (i32.add (local.get $a) (local.get $i))) (v128.load offset={off} (i32.add (local.get $b) (local.get $i)))))
  ;;@end
  ;;@define step_div_vv off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.div (v128.load offset={off} (i32.add (local.get $a) (local.get $i))) (v128.load offset={off} (i32.add (local.get $b) (local.get $i)))))
  ;;@end
  ;;@define step_add_vs off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.add (v128.load offset={off} (i32.add (local.get $a) (local.get $i))) (local.get $v)))
  ;;@end
  ;;@define step_sub_vs off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.sub (v128.load offset={off} (i32.add (local.get $a) (local.get $i))) (local.get $v)))
  ;;@end
  ;;@define step_mul_vs off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.mul (v128.load offset={off} (i32.add (local.get $a) (local.get $i))) (local.get $v)))
  ;;@end
  ;;@define step_div_vs off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.div (v128.load offset={off} (i32.add (local.get $a) (local.get $i))) (local.get $v)))
  ;;@end
  ;;@define step_sub_sv off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.sub (local.get $v) (v128.load offset={off} (i32.add (local.get $b) (local.get $i)))))
  ;;@end
  ;;@define step_div_sv off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.div (local.get $v) (v128.load offset={off} (i32.add (local.get $b) (local.get $i)))))
  ;;@end
  ;;@define step_un_neg off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.neg (v128.load offset={off} (i32.add (local.get $x) (local.get $i)))))
  ;;@end
  ;;@define step_un_abs off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.abs (v128.load offset={off} (i32.add (local.get $x) (local.get $i)))))
  ;;@end
  ;;@define step_un_sqrt off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.sqrt (v128.load offset={off} (i32.add (local.get $x) (local.get $i)))))
  ;;@end
  ;;@define step_un_square off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.mul (v128.load offset={off} (i32.add (local.get $x) (local.get $i))) (v128.load offset={off} (i32.add (local.get $x) (local.get $i)))))
  ;;@end
  ;;@define step_un_recip off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.div (local.get $one) (v128.load offset={off} (i32.add (local.get $x) (local.get $i)))))
  ;;@end
  ;;@define step_un_relu off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.pmax (v128.load offset={off} (i32.add (local.get $x) (local.get $i))) (local.get $zero)))
  ;;@end
  ;;@define step_un_step off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (v128.and (f32x4.gt (v128.load offset={off} (i32.add (local.get $x) (local.get $i))) (local.get $zero)) (local.get $one)))
  ;;@end
  ;;@define step_un_floor off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.floor (v128.load offset={off} (i32.add (local.get $x) (local.get $i)))))
  ;;@end
  ;;@define step_un_round off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.nearest (v128.load offset={off} (i32.add (local.get $x) (local.get $i)))))
  ;;@end
  ;;@define step_un_sign off
  (local.set $v (v128.load offset={off} (i32.add (local.get $x) (local.get $i))))
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i))
    (v128.bitselect
      (local.get $v)
      (v128.or (v128.and (f32x4.gt (local.get $v) (local.get $zero)) (local.get $one))
               (v128.and (f32x4.lt (local.get $v) (local.get $zero)) (local.get $mone)))
      (f32x4.ne (local.get $v) (local.get $v))))
  ;;@end
  ;;@define step_clip off
  (v128.store offset={off} (i32.add (local.get $o) (local.get $i)) (f32x4.pmax (f32x4.pmin (v128.load offset={off} (i32.add (local.get $x) (local.get $i))) (local.get $vhi)) (local.get $vlo)))
  ;;@end

  (func $add_vv (export "add_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32)
    ;;@ew_loop step_add_vv
    )
  (func $sub_vv (export "sub_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32)
    ;;@ew_loop step_sub_vv
    )
  (func $mul_vv (export "mul_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32)
    ;;@ew_loop step_mul_vv
    )
  (func $div_vv (export "div_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32)
    ;;@ew_loop step_div_vv
    )

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
  (func $add_vs (export "add_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    ;;@ew_loop step_add_vs
    )
  (func $sub_vs (export "sub_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    ;;@ew_loop step_sub_vs
    )
  (func $mul_vs (export "mul_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    ;;@ew_loop step_mul_vs
    )
  (func $div_vs (export "div_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    ;;@ew_loop step_div_vs
    )
  ;; s op b
  (func $sub_sv (export "sub_sv") (param $b i32) (param $s f32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    ;;@ew_loop step_sub_sv
    )
  (func $div_sv (export "div_sv") (param $b i32) (param $s f32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    ;;@ew_loop step_div_sv
    )

  ;; unary ops whose f32x4 instruction gives exactly what the cpu kernel gives per lane:
  ;; selector 0 neg, 1 abs, 2 sqrt, 3 square, 4 reciprocal, 5 relu (x < 0 ? 0 : x, so NaN
  ;; and -0 pass; pmax(x, 0) = x < 0 ? 0 : x), 6 step (x > 0 ? 1 : 0), 7 floor, 8 round (half
  ;; to even), 9 sign ((x > 0 ? 1 : 0) | (x < 0 ? -1 : 0), then NaN lanes take x itself; ±0 -> +0).
  ;; The switch is outside the loop: one loop per op.
  (func $unary (export "unary") (param $op i32) (param $x i32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32) (local $v v128) (local $zero v128) (local $one v128) (local $mone v128)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $mone (f32x4.splat (f32.const -1)))
    (block $sign (block $round (block $floor (block $step (block $relu (block $recip (block $square (block $sqrt (block $abs (block $neg
      (br_table $neg $abs $sqrt $square $recip $relu $step $floor $round $sign (local.get $op)))
      ;;@ew_loop step_un_neg
      (return))
      ;;@ew_loop step_un_abs
      (return))
      ;;@ew_loop step_un_sqrt
      (return))
      ;;@ew_loop step_un_square
      (return))
      ;;@ew_loop step_un_recip
      (return))
      ;;@ew_loop step_un_relu
      (return))
      ;;@ew_loop step_un_step
      (return))
      ;;@ew_loop step_un_floor
      (return))
      ;;@ew_loop step_un_round
      (return))
    ;;@ew_loop step_un_sign
    )

  ;; clip: pmin(x, hi) = hi < x ? hi : x, then pmax(t, lo) = t < lo ? lo : t; NaN passes.
  ;; Matches the cpu kernel whenever lo <= hi (the caller checks).
  (func $clip (export "clip") (param $x i32) (param $lo f32) (param $hi f32) (param $o i32) (param $n i32)
    (local $i i32) (local $end i32) (local $end4 i32) (local $vlo v128) (local $vhi v128)
    (local.set $vlo (f32x4.splat (local.get $lo)))
    (local.set $vhi (f32x4.splat (local.get $hi)))
    ;;@ew_loop step_clip
    ))
