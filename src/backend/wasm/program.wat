  ;; ---- fused element-wise programs (jit; program.ts) -----------------------------------
  ;; An interpreter of a program encoded in a job record, over one chunk of its output
  ;; elements, so a whole program is one call per chunk and chunks run on the worker threads.
  ;; Each instruction calls the very kernel the single-thread path (program.ts) calls from
  ;; JavaScript for it (add_vv, mul_vs, unary, math_map, clip...), with the same arguments,
  ;; so the bits are the same; only the block buffers differ (here: in this instance's work
  ;; area, $work).
  ;;
  ;; Job record (i32 words): 0 n, 1 chunk (elements per chunk, a multiple of 4), 2 block
  ;; (elements per block, a multiple of 4), 3 m (instructions), 4 instruction table, 5 outputs,
  ;; 6 output table, 7 bytes per value buffer (a multiple of 16, with a spare vector), 8 broadcast
  ;; inputs, 9 broadcast table: (byte address of the input's b floats, a, b, value buffer) each,
  ;; the buffer that takes the input's block, expanded (element i = input[floor(i / a) mod b]),
  ;; before the block's instructions run (the same floats the block path expands or reads per
  ;; row / run, and the same kernels over them).
  ;; Instruction (48 bytes): 0 op (0 add, 1 sub, 2 mul, 3 div, 4 unary, 5 math_map, 6 clip),
  ;; 4 kind of operand 0 (0 value buffer, 1 memory, 2 scalar), 8 its payload (buffer index,
  ;; byte address of element 0, f32 bits), 12 / 16 the same for operand 1, 20 result buffer,
  ;; 24 selector (unary, math_map), 28 lo f32, 32 hi f32 (clip), 40 alpha f64 (math_map).
  ;; Output table: pairs (value buffer, byte address of element 0 of the destination).
  ;;
  ;; A chunk walks its elements in blocks: every instruction runs over the block (value
  ;; buffers may be overrun by up to 3 floats: each has a spare vector), then each output's
  ;; block is copied to its destination, exactly len floats (memory.copy: no overrun). So a
  ;; destination that is also an input (a donated buffer written in place) has each element
  ;; read by its own block before it is written, and no chunk writes another's elements.
  ;; Operands in memory are read at their address + 4·(first element of the block); the
  ;; vector loops may read up to 3 floats past the block, into lanes that are discarded.

  ;; the byte address of an operand (kind 0: value buffer, 1: memory) for the block at $s
  (func $prog_at (param $kind i32) (param $pay i32) (param $s i32) (param $buf i32) (result i32)
    (if (result i32) (i32.eqz (local.get $kind))
      (then (i32.add (global.get $work) (i32.mul (local.get $pay) (local.get $buf))))
      (else (i32.add (local.get $pay) (i32.shl (local.get $s) (i32.const 2))))))

  ;; one instruction at $ins over the len elements of the block at $s
  (func $prog_instr (param $ins i32) (param $s i32) (param $len i32) (param $buf i32)
    (local $op i32) (local $k0 i32) (local $k1 i32) (local $a i32) (local $b i32) (local $o i32)
    (local.set $op (i32.load (local.get $ins)))
    (local.set $k0 (i32.load offset=4 (local.get $ins)))
    (local.set $k1 (i32.load offset=12 (local.get $ins)))
    (local.set $a (call $prog_at (local.get $k0) (i32.load offset=8 (local.get $ins)) (local.get $s) (local.get $buf)))
    (local.set $b (call $prog_at (local.get $k1) (i32.load offset=16 (local.get $ins)) (local.get $s) (local.get $buf)))
    (local.set $o (i32.add (global.get $work) (i32.mul (i32.load offset=20 (local.get $ins)) (local.get $buf))))
    (block $clip (block $math (block $unary (block $div (block $mul (block $sub (block $add
      (br_table $add $sub $mul $div $unary $math $clip (local.get $op)))
      ;; add: x + s, s + x (one kernel: IEEE addition commutes), x + y
      (if (i32.eq (local.get $k1) (i32.const 2))
        (then (call $add_vs (local.get $a) (f32.load offset=16 (local.get $ins)) (local.get $o) (local.get $len)) (return)))
      (if (i32.eq (local.get $k0) (i32.const 2))
        (then (call $add_vs (local.get $b) (f32.load offset=8 (local.get $ins)) (local.get $o) (local.get $len)) (return)))
      (call $add_vv (local.get $a) (local.get $b) (local.get $o) (local.get $len))
      (return))
      (if (i32.eq (local.get $k1) (i32.const 2))
        (then (call $sub_vs (local.get $a) (f32.load offset=16 (local.get $ins)) (local.get $o) (local.get $len)) (return)))
      (if (i32.eq (local.get $k0) (i32.const 2))
        (then (call $sub_sv (local.get $b) (f32.load offset=8 (local.get $ins)) (local.get $o) (local.get $len)) (return)))
      (call $sub_vv (local.get $a) (local.get $b) (local.get $o) (local.get $len))
      (return))
      (if (i32.eq (local.get $k1) (i32.const 2))
        (then (call $mul_vs (local.get $a) (f32.load offset=16 (local.get $ins)) (local.get $o) (local.get $len)) (return)))
      (if (i32.eq (local.get $k0) (i32.const 2))
        (then (call $mul_vs (local.get $b) (f32.load offset=8 (local.get $ins)) (local.get $o) (local.get $len)) (return)))
      (call $mul_vv (local.get $a) (local.get $b) (local.get $o) (local.get $len))
      (return))
      (if (i32.eq (local.get $k1) (i32.const 2))
        (then (call $div_vs (local.get $a) (f32.load offset=16 (local.get $ins)) (local.get $o) (local.get $len)) (return)))
      (if (i32.eq (local.get $k0) (i32.const 2))
        (then (call $div_sv (local.get $b) (f32.load offset=8 (local.get $ins)) (local.get $o) (local.get $len)) (return)))
      (call $div_vv (local.get $a) (local.get $b) (local.get $o) (local.get $len))
      (return))
      (call $unary (i32.load offset=24 (local.get $ins)) (local.get $a) (local.get $o) (local.get $len))
      (return))
      (call $math_map (i32.load offset=24 (local.get $ins)) (local.get $a) (local.get $o) (local.get $len)
        (f64.load offset=40 (local.get $ins)))
      (return))
    (call $clip (local.get $a) (f32.load offset=28 (local.get $ins)) (f32.load offset=32 (local.get $ins))
      (local.get $o) (local.get $len)))

  ;; broadcast input (src, a, b) expanded over elements [s, s + len) into $dst
  (func $prog_expand (param $src i32) (param $a i32) (param $b i32) (param $dst i32) (param $s i32) (param $len i32)
    (local $p i32) (local $end i32) (local $q i32) (local $l i32) (local $d i32) (local $v v128)
    (local.set $p (local.get $s))
    (local.set $end (i32.add (local.get $s) (local.get $len)))
    (if (i32.eq (local.get $a) (i32.const 1))
      (then
        ;; pieces of the row: [p mod b, b) of the source, at most up to the block's end
        (block $done (loop $rows
          (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $q (i32.rem_u (local.get $p) (local.get $b)))
          (local.set $l (call $min (i32.sub (local.get $end) (local.get $p)) (i32.sub (local.get $b) (local.get $q))))
          (memory.copy
            (i32.add (local.get $dst) (i32.shl (i32.sub (local.get $p) (local.get $s)) (i32.const 2)))
            (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2)))
            (i32.shl (local.get $l) (i32.const 2)))
          (local.set $p (i32.add (local.get $p) (local.get $l)))
          (br $rows)))
        (return)))
    ;; runs of a equal values, filled a vector at a time in increasing order: a run's overrun
    ;; (up to 3 floats) is rewritten by the next run, the last one's lands in the spare vector
    (block $done (loop $runs
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $q (i32.div_u (local.get $p) (local.get $a)))
      (local.set $v (v128.load32_splat (i32.add (local.get $src) (i32.shl (i32.rem_u (local.get $q) (local.get $b)) (i32.const 2)))))
      (local.set $l (i32.sub (call $min (local.get $end) (i32.mul (i32.add (local.get $q) (i32.const 1)) (local.get $a))) (local.get $p)))
      (local.set $d (i32.add (local.get $dst) (i32.shl (i32.sub (local.get $p) (local.get $s)) (i32.const 2))))
      (local.set $p (i32.add (local.get $p) (local.get $l)))
      (loop $fill
        (v128.store (local.get $d) (local.get $v))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $l (i32.sub (local.get $l) (i32.const 4)))
        (br_if $fill (i32.gt_s (local.get $l) (i32.const 0))))
      (br $runs))))

  ;; chunk $i of the program job at $job: elements [i·chunk, min(n, (i + 1)·chunk))
  (func (export "program_chunk") (param $job i32) (param $i i32)
    (local $s i32) (local $e i32) (local $len i32) (local $blk i32) (local $buf i32)
    (local $ins i32) (local $end i32) (local $out i32) (local $oend i32)
    (local.set $s (i32.mul (local.get $i) (i32.load offset=4 (local.get $job))))
    (local.set $e (call $min (i32.load (local.get $job)) (i32.add (local.get $s) (i32.load offset=4 (local.get $job)))))
    (local.set $blk (i32.load offset=8 (local.get $job)))
    (local.set $buf (i32.load offset=28 (local.get $job)))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $s) (local.get $e)))
      (local.set $len (call $min (local.get $blk) (i32.sub (local.get $e) (local.get $s))))
      ;; the block's broadcast inputs, expanded into their buffers
      (local.set $ins (i32.load offset=36 (local.get $job)))
      (local.set $end (i32.add (local.get $ins) (i32.shl (i32.load offset=32 (local.get $job)) (i32.const 4))))
      (block $expanded (loop $bcasts
        (br_if $expanded (i32.ge_u (local.get $ins) (local.get $end)))
        (call $prog_expand (i32.load (local.get $ins)) (i32.load offset=4 (local.get $ins)) (i32.load offset=8 (local.get $ins))
          (i32.add (global.get $work) (i32.mul (i32.load offset=12 (local.get $ins)) (local.get $buf)))
          (local.get $s) (local.get $len))
        (local.set $ins (i32.add (local.get $ins) (i32.const 16)))
        (br $bcasts)))
      (local.set $ins (i32.load offset=16 (local.get $job)))
      (local.set $end (i32.add (local.get $ins) (i32.mul (i32.load offset=12 (local.get $job)) (i32.const 48))))
      (block $ran (loop $instrs
        (br_if $ran (i32.ge_u (local.get $ins) (local.get $end)))
        (call $prog_instr (local.get $ins) (local.get $s) (local.get $len) (local.get $buf))
        (local.set $ins (i32.add (local.get $ins) (i32.const 48)))
        (br $instrs)))
      ;; the block's outputs, after all its instructions have read their inputs
      (local.set $out (i32.load offset=24 (local.get $job)))
      (local.set $oend (i32.add (local.get $out) (i32.shl (i32.load offset=20 (local.get $job)) (i32.const 3))))
      (block $stored (loop $outs
        (br_if $stored (i32.ge_u (local.get $out) (local.get $oend)))
        (memory.copy
          (i32.add (i32.load offset=4 (local.get $out)) (i32.shl (local.get $s) (i32.const 2)))
          (i32.add (global.get $work) (i32.mul (i32.load (local.get $out)) (local.get $buf)))
          (i32.shl (local.get $len) (i32.const 2)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (br $outs)))
      (local.set $s (i32.add (local.get $s) (local.get $len)))
      (br $blocks))))
