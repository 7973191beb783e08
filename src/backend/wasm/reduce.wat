  ;; Column sums of a row-major [rows, cols] block (the reduce of leading axes: bias gradients):
  ;; out[j] = f32(Σ_r x[r·cols + j]), each column summed in float64 from +0 over r = 0, 1, … in
  ;; order — exactly the cpu kernel's accumulator row (backend/cpu/reduce.ts), so the bits agree.
  ;; Columns in blocks of 8 (4 f64x2 sums in registers), then 4; cols must be a multiple of 4.
  (func (export "colsum_f64") (param $x i32) (param $rows i32) (param $cols i32) (param $o i32)
    (local $rs i32) (local $c i32) (local $c8 i32) (local $p i32) (local $pe i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $v v128) (local $w v128)
    (local.set $rs (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $c8 (i32.sub (local.get $cols) (i32.const 8)))
    (local.set $c (i32.const 0))
    (block $d8
      (loop $l8
        (br_if $d8 (i32.gt_s (local.get $c) (local.get $c8)))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $pe (i32.add (local.get $p) (i32.mul (local.get $rows) (local.get $rs))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (block $e8 (br_if $e8 (i32.ge_u (local.get $p) (local.get $pe)))
          (loop $r8
            (local.set $v (v128.load (local.get $p)))
            (local.set $w (v128.load offset=16 (local.get $p)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
            (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
            (local.set $s2 (f64x2.add (local.get $s2) (f64x2.promote_low_f32x4 (local.get $w))))
            (local.set $s3 (f64x2.add (local.get $s3) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $w) (local.get $w)))))
            (local.set $p (i32.add (local.get $p) (local.get $rs)))
            (br_if $r8 (i32.lt_u (local.get $p) (local.get $pe)))))
        (local.set $p (i32.add (local.get $o) (i32.shl (local.get $c) (i32.const 2))))
        (v128.store (local.get $p) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $s0)) (f32x4.demote_f64x2_zero (local.get $s1))))
        (v128.store offset=16 (local.get $p) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $s2)) (f32x4.demote_f64x2_zero (local.get $s3))))
        (local.set $c (i32.add (local.get $c) (i32.const 8)))
        (br $l8)))
    (block $d4
      (loop $l4
        (br_if $d4 (i32.ge_s (local.get $c) (local.get $cols)))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $pe (i32.add (local.get $p) (i32.mul (local.get $rows) (local.get $rs))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (block $e4 (br_if $e4 (i32.ge_u (local.get $p) (local.get $pe)))
          (loop $r4
            (local.set $v (v128.load (local.get $p)))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
            (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
            (local.set $p (i32.add (local.get $p) (local.get $rs)))
            (br_if $r4 (i32.lt_u (local.get $p) (local.get $pe)))))
        (v128.store (i32.add (local.get $o) (i32.shl (local.get $c) (i32.const 2)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $s0)) (f32x4.demote_f64x2_zero (local.get $s1))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $l4))))
