  ;; ==== fused scaled-dot-product attention (src/backend/wasm/attention.ts) ====
  ;; One chunk is query rows [r0, r0 + nr) of one (batch, head) slice t: S = q·kᵀ through the
  ;; core GEMM into this instance's work area (the scores never leave wasm memory), optionally
  ;; · scale, masked positions replaced by -FLT_MAX, each row's softmax ($math_softmax_row, the
  ;; kernel the unfused softmax runs), optionally · mask (zeroes fully masked rows), then
  ;; out rows = S·v. Every step is the unfused kernels' own arithmetic on the same elements in
  ;; the same order, and a row's result does not depend on which rows share its chunk, so
  ;; results do not depend on the thread count.
  ;; S starts 64 bytes into the work area: $math_softmax_row uses its first vector.

  ;; row[j] = mask[j] ? row[j] : -FLT_MAX for j < n (u8 mask; whole vectors, then one by one,
  ;; so nothing past the row is read or written)
  (func $attn_mask_row (param $row i32) (param $mask i32) (param $n i32)
    (local $j i32) (local $end i32) (local $c v128)
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $j) (local.get $end)))
      (local.set $c (i32x4.ne
        (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
          (v128.load32_zero (i32.add (local.get $mask) (local.get $j)))))
        (v128.const i32x4 0 0 0 0)))
      (v128.store (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))
        (v128.bitselect
          (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
          (v128.const f32x4 -0x1.fffffep+127 -0x1.fffffep+127 -0x1.fffffep+127 -0x1.fffffep+127)
          (local.get $c)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $j) (local.get $n)))
      (if (i32.eqz (i32.load8_u (i32.add (local.get $mask) (local.get $j))))
        (then (f32.store (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))
          (f32.const -0x1.fffffep+127))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l))))

  ;; row[j] = row[j] · f32(mask[j]) for j < n (the unfused path's weights · cast(mask))
  (func $attn_zero_row (param $row i32) (param $mask i32) (param $n i32)
    (local $j i32) (local $end i32) (local $p i32)
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $j) (local.get $end)))
      (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
      (v128.store (local.get $p)
        (f32x4.mul (v128.load (local.get $p))
          (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
            (v128.load32_zero (i32.add (local.get $mask) (local.get $j))))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
      (f32.store (local.get $p)
        (f32.mul (f32.load (local.get $p))
          (f32.convert_i32_u (i32.load8_u (i32.add (local.get $mask) (local.get $j))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l))))

  ;; job record (i32 at byte offsets): 0 q, 4 k, 8 v, 12 out, 16 mask (u8; 0: none),
  ;; 20 qOffsets, 24 kOffsets, 28 vOffsets, 32 maskOffsets (i32 arrays, one per slice: float
  ;; offsets of q / k / v, byte offsets of the mask), 36 mask row stride (bytes; 0 broadcasts
  ;; one row over the queries), 40 Lq, 44 Lk, 48 dk, 52 dv, 56 scale (f32), 60 flags (1: scale
  ;; the scores, 2: multiply the weights by the mask), 64 rows per chunk, 68 chunks per slice.
  ;; q arrives already scaled when flag 1 is clear (one pass over q before the job).
  (func (export "attn_chunk") (param $job i32) (param $i i32)
    (local $t i32) (local $r0 i32) (local $nr i32) (local $Lq i32) (local $Lk i32) (local $dk i32) (local $dv i32)
    (local $flags i32) (local $S i32) (local $mask i32) (local $mrs i32) (local $r i32) (local $row i32)
    (local $mrow i32) (local $p i32) (local $end i32) (local $sc v128) (local $rpc i32) (local $cps i32)
    (local.set $Lq (i32.load offset=40 (local.get $job)))
    (local.set $Lk (i32.load offset=44 (local.get $job)))
    (local.set $dk (i32.load offset=48 (local.get $job)))
    (local.set $dv (i32.load offset=52 (local.get $job)))
    (local.set $flags (i32.load offset=60 (local.get $job)))
    (local.set $rpc (i32.load offset=64 (local.get $job)))
    (local.set $cps (i32.load offset=68 (local.get $job)))
    (local.set $t (i32.div_u (local.get $i) (local.get $cps)))
    (local.set $r0 (i32.mul (i32.rem_u (local.get $i) (local.get $cps)) (local.get $rpc)))
    (local.set $nr (call $min (local.get $rpc) (i32.sub (local.get $Lq) (local.get $r0))))
    (local.set $S (i32.add (global.get $work) (i32.const 64)))
    ;; S[nr, Lk] = q rows · kᵀ (k read transposed in place)
    (call $gemm
      (call $rnn_at (i32.load (local.get $job))
        (i32.add (i32.load (i32.add (i32.load offset=20 (local.get $job)) (i32.shl (local.get $t) (i32.const 2))))
          (i32.mul (local.get $r0) (local.get $dk))))
      (local.get $dk) (i32.const 1)
      (call $rnn_at (i32.load offset=4 (local.get $job))
        (i32.load (i32.add (i32.load offset=24 (local.get $job)) (i32.shl (local.get $t) (i32.const 2)))))
      (i32.const 1) (local.get $dk)
      (local.get $S) (local.get $Lk) (local.get $nr) (local.get $dk) (local.get $Lk) (i32.const 0))
    ;; · scale over the whole block (S is dense, so the vector overrun only reaches past its end)
    (if (i32.and (local.get $flags) (i32.const 1)) (then
      (local.set $sc (f32x4.splat (f32.load offset=56 (local.get $job))))
      (local.set $p (local.get $S))
      (local.set $end (call $rnn_at (local.get $S) (i32.mul (local.get $nr) (local.get $Lk))))
      (block $b (loop $l
        (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
        (v128.store (local.get $p) (f32x4.mul (v128.load (local.get $p)) (local.get $sc)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l)))))
    (local.set $mask (i32.load offset=16 (local.get $job)))
    (local.set $mrs (i32.load offset=36 (local.get $job)))
    (if (local.get $mask) (then
      (local.set $mask (i32.add (local.get $mask)
        (i32.add (i32.load (i32.add (i32.load offset=32 (local.get $job)) (i32.shl (local.get $t) (i32.const 2))))
          (i32.mul (local.get $r0) (local.get $mrs)))))))
    (local.set $r (i32.const 0))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $r) (local.get $nr)))
      (local.set $row (call $rnn_at (local.get $S) (i32.mul (local.get $r) (local.get $Lk))))
      (local.set $mrow (i32.add (local.get $mask) (i32.mul (local.get $r) (local.get $mrs))))
      (if (local.get $mask) (then (call $attn_mask_row (local.get $row) (local.get $mrow) (local.get $Lk))))
      (call $math_softmax_row (local.get $row) (local.get $row) (local.get $Lk) (i32.const 0))
      (if (i32.and (local.get $flags) (i32.const 2))
        (then (call $attn_zero_row (local.get $row) (local.get $mrow) (local.get $Lk))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $l)))
    ;; out rows = S · v
    (call $gemm (local.get $S) (local.get $Lk) (i32.const 1)
      (call $rnn_at (i32.load offset=8 (local.get $job))
        (i32.load (i32.add (i32.load offset=28 (local.get $job)) (i32.shl (local.get $t) (i32.const 2)))))
      (local.get $dv) (i32.const 1)
      (call $rnn_at (i32.load offset=12 (local.get $job))
        (i32.mul (i32.add (i32.mul (local.get $t) (local.get $Lq)) (local.get $r0)) (local.get $dv)))
      (local.get $dv) (local.get $nr) (local.get $Lk) (local.get $dv) (i32.const 0)))
