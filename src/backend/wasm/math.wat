  ;; ---- math.wat (fragment): f32x4 exp family, log, gelu, softmax / logSoftmax, layerNorm ----
  ;;
  ;; Vector helpers, also called by other fragments: $v_exp, $v_sigmoid, $v_tanh (v128 → v128).
  ;; Accuracy (measured against float64 references, see test/backend-wasm-math.test.ts): a few
  ;; float32 ulp over the whole range, exact at ±0 / ±∞, NaN in → NaN out, no traps. Each body
  ;; is written once, as a macro below, and pasted into the helpers and the hot loops at build
  ;; time (build/macros.ts expands every `;;@name args` line): V8 does not inline wasm calls.
  ;;
  ;; ---- inline bodies ----
  ;; exp_reduce p: ${p}n = round(${p}x·log2 e), ${p}i its integer, ${p}r = ${p}x − n·ln2,
  ;; ${p}q = r², ${p}w = r⁴ (shared by exp and expm1)
  ;;@define exp_reduce p
    (local.set ${p}n
      (f32x4.add (f32x4.mul (local.get ${p}x) (v128.const f32x4 1.442695 1.442695 1.442695 1.442695))
        (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set ${p}i
      (i32x4.sub (local.get ${p}n) (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
    (local.set ${p}n (f32x4.sub (local.get ${p}n) (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set ${p}r
      (f32x4.sub
        (f32x4.sub (local.get ${p}x)
          (f32x4.mul (local.get ${p}n) (v128.const f32x4 0.6933594 0.6933594 0.6933594 0.6933594)))
        (f32x4.mul (local.get ${p}n)
          (v128.const f32x4 -0.00021219444 -0.00021219444 -0.00021219444 -0.00021219444))))
    (local.set ${p}q (f32x4.mul (local.get ${p}r) (local.get ${p}r)))
    (local.set ${p}w (f32x4.mul (local.get ${p}q) (local.get ${p}q)))
  ;;@end
  ;; exp_poly p: ${p}p = e^r = 1 + r + r²·Q(r)
  ;;@define exp_poly p
    (local.set ${p}p
      (f32x4.add (v128.const f32x4 1 1 1 1)
        (f32x4.add (local.get ${p}r)
          (f32x4.mul (local.get ${p}q)
            (f32x4.add
              (f32x4.add
                (f32x4.add (v128.const f32x4 0.49999988 0.49999988 0.49999988 0.49999988)
                  (f32x4.mul (v128.const f32x4 0.16666518 0.16666518 0.16666518 0.16666518)
                    (local.get ${p}r)))
                (f32x4.mul
                  (f32x4.add (v128.const f32x4 0.041669533 0.041669533 0.041669533 0.041669533)
                    (f32x4.mul (v128.const f32x4 0.008368916 0.008368916 0.008368916 0.008368916)
                      (local.get ${p}r)))
                  (local.get ${p}q)))
              (f32x4.mul (v128.const f32x4 0.0013751407 0.0013751407 0.0013751407 0.0013751407)
                (local.get ${p}w)))))))
  ;;@end
  ;; exp_scale p out: out = ${p}p·2^n (two exact power-of-two factors; ${p}x is reused)
  ;;@define exp_scale p out
    (local.set ${p}x (i32x4.shr_s (local.get ${p}i) (i32.const 1)))
    (local.set {out}
      (f32x4.mul
        (f32x4.mul (local.get ${p}p)
          (i32x4.shl (i32x4.add (local.get ${p}x) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
        (i32x4.shl
          (i32x4.add (i32x4.sub (local.get ${p}i) (local.get ${p}x)) (v128.const i32x4 127 127 127 127))
          (i32.const 23))))
  ;;@end
  ;; exp p out: out = e^${p}x, ${p}x already clamped
  ;;@define exp p out
    ;;@exp_reduce {p}
    ;;@exp_poly {p}
    ;;@exp_scale {p} {out}
  ;;@end
  ;; expm1_poly p: ${p}p = expm1(r), the Taylor series to r⁷
  ;;@define expm1_poly p
    (local.set ${p}p
      (f32x4.add (local.get ${p}r)
        (f32x4.mul (local.get ${p}q)
          (f32x4.add
            (f32x4.add
              (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5)
                (f32x4.mul (v128.const f32x4 0.16666667 0.16666667 0.16666667 0.16666667)
                  (local.get ${p}r)))
              (f32x4.mul
                (f32x4.add (v128.const f32x4 0.041666668 0.041666668 0.041666668 0.041666668)
                  (f32x4.mul (v128.const f32x4 0.008333334 0.008333334 0.008333334 0.008333334)
                    (local.get ${p}r)))
                (local.get ${p}q)))
            (f32x4.mul
              (f32x4.add (v128.const f32x4 0.0013888889 0.0013888889 0.0013888889 0.0013888889)
                (f32x4.mul (v128.const f32x4 0.0001984127 0.0001984127 0.0001984127 0.0001984127)
                  (local.get ${p}r)))
              (local.get ${p}w))))))
  ;;@end
  ;; expm1_scale p out: out = 2^n·expm1(r) + (2^n − 1) (${p}x is reused)
  ;;@define expm1_scale p out
    (local.set ${p}x
      (i32x4.shl (i32x4.add (local.get ${p}i) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
    (local.set {out}
      (f32x4.add (f32x4.mul (local.get ${p}p) (local.get ${p}x))
        (f32x4.sub (local.get ${p}x) (v128.const f32x4 1 1 1 1))))
  ;;@end
  ;; expm1 p out: out = expm1(${p}x), ${p}x already clamped
  ;;@define expm1 p out
    ;;@exp_reduce {p}
    ;;@expm1_poly {p}
    ;;@expm1_scale {p} {out}
  ;;@end
  ;; sigmoid p in out: out = sigmoid(in) (locals ${p}x ${p}n ${p}i ${p}r ${p}p ${p}q ${p}w ${p}e)
  ;;@define sigmoid p in out
    (local.set ${p}x
      (f32x4.pmax
        (f32x4.pmin
          (v128.or (local.get {in}) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
          (v128.const f32x4 89 89 89 89))
        (v128.const f32x4 -104 -104 -104 -104)))
    ;;@exp {p} ${p}e
    (local.set {out}
      (f32x4.div
        (v128.bitselect (v128.const f32x4 1 1 1 1) (local.get ${p}e)
          (f32x4.ge (local.get {in}) (v128.const f32x4 0 0 0 0)))
        (f32x4.add (local.get ${p}e) (v128.const f32x4 1 1 1 1))))
  ;;@end
  ;; tanh p in out: out = tanh(in) (locals ${p}x ${p}n ${p}i ${p}r ${p}p ${p}q ${p}w ${p}e)
  ;;@define tanh p in out
    (local.set ${p}e (f32x4.abs (local.get {in})))
    (local.set ${p}x
      (f32x4.pmin (f32x4.add (local.get ${p}e) (local.get ${p}e)) (v128.const f32x4 20 20 20 20)))
    ;;@expm1 {p} ${p}e
    (local.set {out}
      (v128.or (f32x4.div (local.get ${p}e) (f32x4.add (local.get ${p}e) (v128.const f32x4 2 2 2 2)))
        (v128.and (local.get {in}) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))
  ;;@end
  ;; atanh_series p: ${p}s2 = s2·(1 + t/3 + … + t⁸/17), t = (s2/2)² (locals ${p}t ${p}t2 ${p}t4)
  ;;@define atanh_series p
    (local.set ${p}t
      (f32x4.mul (f32x4.mul (local.get ${p}s2) (local.get ${p}s2)) (v128.const f32x4 0.25 0.25 0.25 0.25)))
    (local.set ${p}t2 (f32x4.mul (local.get ${p}t) (local.get ${p}t)))
    (local.set ${p}t4 (f32x4.mul (local.get ${p}t2) (local.get ${p}t2)))
    (local.set ${p}s2
      (f32x4.add (local.get ${p}s2)
        (f32x4.mul (local.get ${p}s2)
          (f32x4.mul (local.get ${p}t)
            (f32x4.add
              (f32x4.add
                (f32x4.add (v128.const f32x4 0.33333334 0.33333334 0.33333334 0.33333334)
                  (f32x4.mul (v128.const f32x4 0.2 0.2 0.2 0.2) (local.get ${p}t)))
                (f32x4.mul
                  (f32x4.add (v128.const f32x4 0.14285715 0.14285715 0.14285715 0.14285715)
                    (f32x4.mul (v128.const f32x4 0.11111111 0.11111111 0.11111111 0.11111111)
                      (local.get ${p}t)))
                  (local.get ${p}t2)))
              (f32x4.mul
                (f32x4.add
                  (f32x4.add (v128.const f32x4 0.09090909 0.09090909 0.09090909 0.09090909)
                    (f32x4.mul (v128.const f32x4 0.07692308 0.07692308 0.07692308 0.07692308)
                      (local.get ${p}t)))
                  (f32x4.mul
                    (f32x4.add (v128.const f32x4 0.06666667 0.06666667 0.06666667 0.06666667)
                      (f32x4.mul (v128.const f32x4 0.05882353 0.05882353 0.05882353 0.05882353)
                        (local.get ${p}t)))
                    (local.get ${p}t2)))
                (local.get ${p}t4)))))))
  ;;@end
  ;; log p in out: out = log(in) (locals ${p}b ${p}big ${p}e ${p}m ${p}s2 ${p}sub ${p}t ${p}t2 ${p}t4)
  ;;@define log p in out
    (local.set ${p}sub
      (f32x4.lt (local.get {in})
        (v128.const f32x4 1.1754944e-38 1.1754944e-38 1.1754944e-38 1.1754944e-38)))
    (local.set ${p}b
      (v128.bitselect (f32x4.mul (local.get {in}) (v128.const f32x4 8388608 8388608 8388608 8388608))
        (local.get {in})
        (local.get ${p}sub)))
    (local.set ${p}e
      (i32x4.sub (i32x4.shr_u (local.get ${p}b) (i32.const 23))
        (v128.bitselect (v128.const i32x4 150 150 150 150) (v128.const i32x4 127 127 127 127)
          (local.get ${p}sub))))
    (local.set ${p}m
      (v128.or (v128.and (local.get ${p}b) (v128.const i32x4 0x007fffff 0x007fffff 0x007fffff 0x007fffff))
        (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000)))
    (local.set ${p}big
      (f32x4.gt (local.get ${p}m) (v128.const f32x4 1.4142135 1.4142135 1.4142135 1.4142135)))
    (local.set ${p}m
      (v128.bitselect (f32x4.mul (local.get ${p}m) (v128.const f32x4 0.5 0.5 0.5 0.5)) (local.get ${p}m)
        (local.get ${p}big)))
    (local.set ${p}e (f32x4.convert_i32x4_s (i32x4.sub (local.get ${p}e) (local.get ${p}big))))
    (local.set ${p}m (f32x4.sub (local.get ${p}m) (v128.const f32x4 1 1 1 1)))
    (local.set ${p}s2
      (f32x4.div (f32x4.add (local.get ${p}m) (local.get ${p}m))
        (f32x4.add (local.get ${p}m) (v128.const f32x4 2 2 2 2))))
    ;;@atanh_series {p}
    (local.set ${p}s2
      (f32x4.add (f32x4.mul (local.get ${p}e) (v128.const f32x4 0.6933594 0.6933594 0.6933594 0.6933594))
        (f32x4.add
          (f32x4.mul (local.get ${p}e)
            (v128.const f32x4 -0.00021219444 -0.00021219444 -0.00021219444 -0.00021219444))
          (local.get ${p}s2))))
    (local.set ${p}s2
      (v128.bitselect (local.get ${p}s2) (v128.const f32x4 nan nan nan nan)
        (f32x4.gt (local.get {in}) (v128.const f32x4 0 0 0 0))))
    (local.set ${p}s2
      (v128.bitselect (v128.const f32x4 -inf -inf -inf -inf) (local.get ${p}s2)
        (f32x4.eq (local.get {in}) (v128.const f32x4 0 0 0 0))))
    (local.set {out}
      (v128.bitselect (v128.const f32x4 inf inf inf inf) (local.get ${p}s2)
        (f32x4.eq (local.get {in}) (v128.const f32x4 inf inf inf inf))))
  ;;@end
  ;; gelu_half: $ggy = gelu($ggx) for one f64x2 half, given $gge = exp(−w_hi) and $ggd = w − w_hi
  ;;@define gelu_half
      (local.set $gz
        (f64x2.mul (local.get $ggx) (v128.const f64x2 0.7071067811865476 0.7071067811865476)))
      (local.set $ga (f64x2.abs (local.get $gz)))
      (local.set $gs (f64x2.mul (local.get $gz) (local.get $gz)))
      (local.set $gu
        (f64x2.add
          (f64x2.mul (v128.const f64x2 3.095238095238095 3.095238095238095)
            (f64x2.div (v128.const f64x2 1 1)
              (f64x2.add (v128.const f64x2 1 1)
                (f64x2.mul (f64x2.pmin (local.get $ga) (v128.const f64x2 11 11))
                  (v128.const f64x2 0.5 0.5)))))
          (v128.const f64x2 -1.4761904761904763 -1.4761904761904763)))
      (local.set $gs2 (f64x2.mul (local.get $gs) (local.get $gs)))
      (local.set $gs4 (f64x2.mul (local.get $gs2) (local.get $gs2)))
      (local.set $gu2 (f64x2.mul (local.get $gu) (local.get $gu)))
      (local.set $gu4 (f64x2.mul (local.get $gu2) (local.get $gu2)))
      (local.set $gu8 (f64x2.mul (local.get $gu4) (local.get $gu4)))
      (local.set $gp
        (f64x2.add
          (f64x2.add
            (f64x2.add (v128.const f64x2 1.1283791670955126 1.1283791670955126)
              (f64x2.mul (v128.const f64x2 -0.37612638903183754 -0.37612638903183754) (local.get $gs)))
            (f64x2.mul
              (f64x2.add (v128.const f64x2 0.11283791670955126 0.11283791670955126)
                (f64x2.mul (v128.const f64x2 -0.026866170645131252 -0.026866170645131252)
                  (local.get $gs)))
              (local.get $gs2)))
          (f64x2.mul
            (f64x2.add
              (f64x2.add (v128.const f64x2 0.005223977625442188 0.005223977625442188)
                (f64x2.mul (v128.const f64x2 -0.0008548327023450852 -0.0008548327023450852)
                  (local.get $gs)))
              (f64x2.mul
                (f64x2.add (v128.const f64x2 0.00012055332981789664 0.00012055332981789664)
                  (f64x2.mul (v128.const f64x2 -1.492565035840625e-05 -1.492565035840625e-05)
                    (local.get $gs)))
                (local.get $gs2)))
            (local.get $gs4))))
      (local.set $gf
        (f64x2.add
          (f64x2.add
            (f64x2.add
              (f64x2.add (v128.const f64x2 0.23618643510148843 0.23618643510148843)
                (f64x2.mul (v128.const f64x2 0.2619391570891676 0.2619391570891676) (local.get $gu)))
              (f64x2.mul
                (f64x2.add (v128.const f64x2 0.09635289109073744 0.09635289109073744)
                  (f64x2.mul (v128.const f64x2 0.02108107100691252 0.02108107100691252) (local.get $gu)))
                (local.get $gu2)))
            (f64x2.mul
              (f64x2.add
                (f64x2.add (v128.const f64x2 0.0009270251892398439 0.0009270251892398439)
                  (f64x2.mul (v128.const f64x2 -0.0007566017006984371 -0.0007566017006984371)
                    (local.get $gu)))
                (f64x2.mul
                  (f64x2.add (v128.const f64x2 -8.484089243655481e-05 -8.484089243655481e-05)
                    (f64x2.mul (v128.const f64x2 4.417296854559453e-05 4.417296854559453e-05)
                      (local.get $gu)))
                  (local.get $gu2)))
              (local.get $gu4)))
          (f64x2.mul
            (f64x2.add
              (f64x2.add (v128.const f64x2 4.108543586620552e-06 4.108543586620552e-06)
                (f64x2.mul (v128.const f64x2 -2.9250250978255275e-06 -2.9250250978255275e-06)
                  (local.get $gu)))
              (f64x2.mul (v128.const f64x2 -1.498722099641702e-07 -1.498722099641702e-07)
                (local.get $gu2)))
            (local.get $gu8))))
      (local.set $gp
        (f64x2.mul (f64x2.mul (local.get $ggx) (v128.const f64x2 0.5 0.5))
          (f64x2.add (v128.const f64x2 1 1) (f64x2.mul (local.get $gz) (local.get $gp)))))
      (local.set $gf
        (f64x2.mul
          (f64x2.mul
            (f64x2.pmax (f64x2.pmin (local.get $ggx) (v128.const f64x2 30 30))
              (v128.const f64x2 -30 -30))
            (v128.const f64x2 0.5 0.5))
          (f64x2.mul (f64x2.mul (local.get $gge) (f64x2.sub (v128.const f64x2 1 1) (local.get $ggd)))
            (local.get $gf))))
      (local.set $ggy
        (v128.bitselect (local.get $gp)
          (v128.bitselect (f64x2.sub (local.get $ggx) (local.get $gf)) (local.get $gf)
            (f64x2.gt (local.get $ggx) (v128.const f64x2 0 0)))
          (f64x2.lt (local.get $ga) (v128.const f64x2 0.5 0.5))))
      
  ;;@end
  ;; softmax_exp k: $n{k} = 2^32·e^$d{k} for $d{k} = x − max clamped at −108, $s{k} = 2^(n+32) (see softmax below)
  ;;@define softmax_exp k
        (local.set $n{k}
          (f32x4.add
            (f32x4.mul (local.get $d{k}) (v128.const f32x4 1.442695 1.442695 1.442695 1.442695))
            (v128.const f32x4 12583071 12583071 12583071 12583071)))
        (local.set $s{k} (i32x4.shl (local.get $n{k}) (i32.const 23)))
        (local.set $n{k}
          (f32x4.sub (local.get $n{k}) (v128.const f32x4 12583071 12583071 12583071 12583071)))
        (local.set $d{k}
          (f32x4.add
            (f32x4.add (local.get $d{k})
              (f32x4.mul (local.get $n{k})
                (v128.const f32x4 -0.6933594 -0.6933594 -0.6933594 -0.6933594)))
            (f32x4.mul (local.get $n{k})
              (v128.const f32x4 0.00021219444 0.00021219444 0.00021219444 0.00021219444))))
        (local.set $n{k}
          (f32x4.add
            (f32x4.mul (local.get $d{k})
              (v128.const f32x4 0.008288587 0.008288587 0.008288587 0.008288587))
            (v128.const f32x4 0.04190727 0.04190727 0.04190727 0.04190727)))
        (local.set $n{k}
          (f32x4.add (f32x4.mul (local.get $n{k}) (local.get $d{k}))
            (v128.const f32x4 0.16667716 0.16667716 0.16667716 0.16667716)))
        (local.set $n{k}
          (f32x4.add (f32x4.mul (local.get $n{k}) (local.get $d{k}))
            (v128.const f32x4 0.4999908 0.4999908 0.4999908 0.4999908)))
        (local.set $n{k}
          (f32x4.add (f32x4.mul (local.get $n{k}) (local.get $d{k}))
            (v128.const f32x4 0.99999964 0.99999964 0.99999964 0.99999964)))
        (local.set $n{k}
          (f32x4.add (local.get $s{k})
            (f32x4.mul (f32x4.mul (local.get $d{k}) (local.get $s{k})) (local.get $n{k}))))
  ;;@end

  ;; exp: clamp x to [-104, 89] (beyond, the result rounds to 0 / +∞ anyway; pmin / pmax with x
  ;; first keep NaN), n = round(x·log2 e) by adding 1.5·2^23 (its low bits are then n, read off
  ;; as an integer), r = x − n·ln2 with ln2 in two parts (n·ln2_hi exact), e^r = 1 + r + r²·Q(r),
  ;; Q a degree-4 least-squares fit on |r| ≤ ln2/2 (e^r within 3.6e-9; evaluated in Estrin's
  ;; scheme, shorter dependency chains than Horner), then ·2^n applied as two exact power-of-two
  ;; factors 2^(n>>1)·2^(n−(n>>1)), both normal for n in [-150, 128], so
  ;; subnormal and overflowing results are rounded once.
  (func $v_exp (param $x v128) (result v128)
    (local $ex v128) (local $en v128) (local $ei v128) (local $er v128) (local $ep v128)
    (local $eq v128) (local $ew v128)
    (local.set $ex
      (f32x4.pmax (f32x4.pmin (local.get $x) (v128.const f32x4 89 89 89 89))
        (v128.const f32x4 -104 -104 -104 -104)))
    ;;@exp e $x
    (local.get $x))

  ;; sigmoid with e = exp(−|x|) (never overflows): 1/(1+e) for x ≥ 0, e/(1+e) for x < 0 (the
  ;; numerator is selected: one division); exactly 1 at +∞ and 0 at −∞.
  (func $v_sigmoid (param $x v128) (result v128)
    (local $sx v128) (local $sn v128) (local $si v128) (local $sr v128) (local $sp v128)
    (local $sq v128) (local $sw v128) (local $se v128)
    ;;@sigmoid s $x $x
    (local.get $x))

  ;; tanh|x| = u/(u+2) with u = expm1(2|x|) (no 1 − 2/(e^2x+1) cancellation near 0), the sign
  ;; of x put back (±0 → ±0); 2|x| capped at 20, where u/(u+2) already rounds to 1.
  ;; expm1(y) (here and in elu; y in [-30, 20] or NaN) = 2^n·expm1(r) + (2^n − 1), expm1(r) by its
  ;; Taylor series to r⁷; at n = 0 that is the polynomial itself, so small |y| keep full relative
  ;; accuracy, and 2^n − 1 is exact for |n| ≤ 24 (beyond, the result is ±1-dominated anyway).
  (func $v_tanh (param $x v128) (result v128)
    (local $tx v128) (local $tn v128) (local $ti v128) (local $tr v128) (local $tp v128)
    (local $tq v128) (local $tw v128) (local $te v128)
    ;;@tanh t $x $x
    (local.get $x))

  ;; log x (used once per row by logSoftmax; the unary loop inlines the same macro): subnormals
  ;; scaled by 2^23 first; x = 2^e·m with m in [√½, √2), log m = 2·atanh((m−1)/(m+1)) by its
  ;; series s2·(1 + t/3 + … + t⁸/17) in t = s², result e·ln2_hi + (e·ln2_lo + log m);
  ;; x ≤ 0 or NaN → NaN, 0 → −∞, +∞ → +∞ fixed per lane
  (func $v_log (param $x v128) (result v128)
    (local $lb v128) (local $lbig v128) (local $le v128) (local $lm v128) (local $ls2 v128)
    (local $lsub v128) (local $lt v128) (local $lt2 v128) (local $lt4 v128)
    ;;@log l $x $x
    (local.get $x))
  ;; o[0..n) = op(x[0..n)), whole vectors (reads and writes up to 3 floats past n; o may be x),
  ;; one loop per op with its body inline: op 0 exp, 1 sigmoid, 2 tanh (as the helpers above),
  ;; 3 softplus = log1p(e) + (x > 0 ? x : 0) with e = exp(−|x|) ≤ 1, log1p(e) = 2·atanh(e/(2+e))
  ;;   (the series of $v_log; no overflow, no cancellation);
  ;; 4 log (as $v_log);
  ;; 5 gelu, the exact 0.5·x·(1 + erf(x/√2)), each f32x4 as two f64x2 halves: w = x²/2 is exact
  ;;   in float64; exp(−w) = exp(−w_hi)·(1 − (w − w_hi)) with w_hi = w rounded to float32, so the
  ;;   argument of exp is not rounded (its error would be amplified by w in the tail).
  ;;   |x/√2| < 0.5: 0.5·x·(1 + z·S(z²)), S the Taylor series of erf(z)/z to degree 7 in z²;
  ;;   beyond: c = erfc|z| = exp(−z²)·erfcx|z|, erfcx fitted (least squares, relative error 1.3e-9
  ;;   on [0.5, 11]) as a degree-10 polynomial in u = 3.0952·t − 1.4762, t = 1/(1 + |z|/2);
  ;;   x > 0: x − 0.5·x·c, x < 0: 0.5·x·c (no cancellation on either side). In 0.5·x·c, x is
  ;;   capped at ±30 (c = 0 there anyway), so gelu(+∞) = +∞ and gelu(−∞) = −0;
  ;; 6 rsqrt = 1/√x in float64, rounded once: the CPU kernel's exact operations (bit-identical);
  ;; 7 leakyRelu = x < 0 ? alpha·x : x, the product in float64 (bit-identical);
  ;; 8 elu = x > 0 ? x : alpha·expm1(x) (alpha in float32; expm1's argument capped at −30).
  (func $math_map (param $op i32) (param $x i32) (param $o i32) (param $n i32) (param $alpha f64)
    (local $end i32) (local $v v128)
    (local $ex v128) (local $en v128) (local $ei v128) (local $er v128) (local $ep v128)
    (local $eq v128) (local $ew v128) (local $sx v128) (local $sn v128) (local $si v128)
    (local $sr v128) (local $sp v128) (local $sq v128) (local $sw v128) (local $se v128)
    (local $tx v128) (local $tn v128) (local $ti v128) (local $tr v128) (local $tp v128)
    (local $tq v128) (local $tw v128) (local $te v128)
    (local $pex v128) (local $ps2 v128) (local $pt v128) (local $pt2 v128) (local $pt4 v128)
    (local $lb v128) (local $lbig v128) (local $le v128) (local $lm v128) (local $ls2 v128)
    (local $lsub v128) (local $lt v128) (local $lt2 v128) (local $lt4 v128) (local $ga v128)
    (local $gex v128) (local $gf v128) (local $ggd v128) (local $gge v128) (local $ggx v128)
    (local $ggy v128) (local $glo v128) (local $gp v128) (local $gs v128) (local $gs2 v128)
    (local $gs4 v128) (local $gu v128) (local $gu2 v128) (local $gu4 v128) (local $gu8 v128)
    (local $gw v128) (local $gwh v128) (local $gwl v128) (local $gxh v128) (local $gxl v128)
    (local $gz v128) (local $uy v128) (local $af v128) (local $as v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $af (f64x2.splat (local.get $alpha)))
    (local.set $as (f32x4.splat (f32.demote_f64 (local.get $alpha))))
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (block $b8 (block $b7 (block $b6 (block $b5 (block $b4 (block $b3 (block $b2 (block $b1 (block $b0
      (br_table $b0 $b1 $b2 $b3 $b4 $b5 $b6 $b7 $b8 $b0 (local.get $op)))
    (loop $l0
      (local.set $v (v128.load (local.get $x)))
      (local.set $ex
        (f32x4.pmax (f32x4.pmin (local.get $v) (v128.const f32x4 89 89 89 89))
          (v128.const f32x4 -104 -104 -104 -104)))
      ;;@exp e $v
      (v128.store (local.get $o) (local.get $v))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $l0 (i32.lt_u (local.get $x) (local.get $end))))
    (return))
    (loop $l1
      (local.set $v (v128.load (local.get $x)))
      ;;@sigmoid s $v $v
      (v128.store (local.get $o) (local.get $v))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $l1 (i32.lt_u (local.get $x) (local.get $end))))
    (return))
    (loop $l2
      (local.set $v (v128.load (local.get $x)))
      ;;@tanh t $v $v
      (v128.store (local.get $o) (local.get $v))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $l2 (i32.lt_u (local.get $x) (local.get $end))))
    (return))
    (loop $l3
      (local.set $v (v128.load (local.get $x)))
      (local.set $ex
        (f32x4.pmax
          (f32x4.pmin
            (v128.or (local.get $v) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
            (v128.const f32x4 89 89 89 89))
          (v128.const f32x4 -104 -104 -104 -104)))
      ;;@exp e $pex
      (local.set $ps2
        (f32x4.div (f32x4.add (local.get $pex) (local.get $pex))
          (f32x4.add (local.get $pex) (v128.const f32x4 2 2 2 2))))
      
      ;;@atanh_series p
      
      (local.set $v
        (f32x4.add (local.get $ps2)
          (v128.and (local.get $v) (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)))))
      (v128.store (local.get $o) (local.get $v))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $l3 (i32.lt_u (local.get $x) (local.get $end))))
    (return))
    (loop $l4
      (local.set $v (v128.load (local.get $x)))
      ;;@log l $v $v
      (v128.store (local.get $o) (local.get $v))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $l4 (i32.lt_u (local.get $x) (local.get $end))))
    (return))
    (loop $l5
      (local.set $v (v128.load (local.get $x)))
      (local.set $gxl (f64x2.promote_low_f32x4 (local.get $v)))
      (local.set $gxh
        (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
      (local.set $gwl
        (f64x2.pmin (f64x2.mul (f64x2.mul (local.get $gxl) (local.get $gxl)) (v128.const f64x2 0.5 0.5))
          (v128.const f64x2 200 200)))
      (local.set $gwh
        (f64x2.pmin (f64x2.mul (f64x2.mul (local.get $gxh) (local.get $gxh)) (v128.const f64x2 0.5 0.5))
          (v128.const f64x2 200 200)))
      (local.set $gw
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $gwl))
          (f32x4.demote_f64x2_zero (local.get $gwh))))
      (local.set $ex
        (f32x4.pmax (f32x4.pmin (f32x4.neg (local.get $gw)) (v128.const f32x4 89 89 89 89))
          (v128.const f32x4 -104 -104 -104 -104)))
      ;;@exp e $gex
      (local.set $ggx (local.get $gxl))
      (local.set $gge (f64x2.promote_low_f32x4 (local.get $gex)))
      (local.set $ggd (f64x2.sub (local.get $gwl) (f64x2.promote_low_f32x4 (local.get $gw))))
      
      ;;@gelu_half
      (local.set $glo (local.get $ggy))
      (local.set $ggx (local.get $gxh))
      (local.set $gge
        (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gex) (local.get $gex))))
      (local.set $ggd
        (f64x2.sub (local.get $gwh)
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gw) (local.get $gw)))))
      
      ;;@gelu_half
      (local.set $v
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (local.get $glo))
          (f32x4.demote_f64x2_zero (local.get $ggy))))
      (v128.store (local.get $o) (local.get $v))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $l5 (i32.lt_u (local.get $x) (local.get $end))))
    (return))
    (loop $l6
      (local.set $v (v128.load (local.get $x)))
      (local.set $v
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero
            (f64x2.div (v128.const f64x2 1 1) (f64x2.sqrt (f64x2.promote_low_f32x4 (local.get $v)))))
          (f32x4.demote_f64x2_zero
            (f64x2.div (v128.const f64x2 1 1)
              (f64x2.sqrt
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))))
      (v128.store (local.get $o) (local.get $v))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $l6 (i32.lt_u (local.get $x) (local.get $end))))
    (return))
    (loop $l7
      (local.set $v (v128.load (local.get $x)))
      (local.set $v
        (v128.bitselect
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero
              (f64x2.mul (local.get $af) (f64x2.promote_low_f32x4 (local.get $v))))
            (f32x4.demote_f64x2_zero
              (f64x2.mul (local.get $af)
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))
          (local.get $v)
          (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0))))
      (v128.store (local.get $o) (local.get $v))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $l7 (i32.lt_u (local.get $x) (local.get $end))))
    (return))
    (loop $l8
      (local.set $v (v128.load (local.get $x)))
      (local.set $ex
        (f32x4.pmax (f32x4.pmin (local.get $v) (v128.const f32x4 0 0 0 0))
          (v128.const f32x4 -30 -30 -30 -30)))
      ;;@expm1 e $uy
      (local.set $v
        (v128.bitselect (local.get $v) (f32x4.mul (local.get $as) (local.get $uy))
          (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))
      (v128.store (local.get $o) (local.get $v))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $l8 (i32.lt_u (local.get $x) (local.get $end))))
    (return))
  (func (export "math_unary") (param $op i32) (param $x i32) (param $o i32) (param $n i32) (param $alpha f64)
    (call $math_map (local.get $op) (local.get $x) (local.get $o) (local.get $n) (local.get $alpha)))

  ;; job record (bytes): 0 op, 4 x, 8 o, 12 n, 16 elements per chunk (a multiple of 4), 24 alpha f64
  (func (export "math_unary_chunk") (param $job i32) (param $i i32)
    (local $start i32)
    (local.set $start (i32.mul (local.get $i) (i32.load offset=16 (local.get $job))))
    (call $math_map (i32.load (local.get $job))
      (i32.add (i32.load offset=4 (local.get $job)) (i32.shl (local.get $start) (i32.const 2)))
      (i32.add (i32.load offset=8 (local.get $job)) (i32.shl (local.get $start) (i32.const 2)))
      (call $min (i32.load offset=16 (local.get $job))
        (i32.sub (i32.load offset=12 (local.get $job)) (local.get $start)))
      (f64.load offset=24 (local.get $job))))

  ;; o[0..n) = helper(x[0..n)) through the callable helpers (op 0 $v_exp, 1 $v_sigmoid, 2 $v_tanh),
  ;; so tests check the functions other fragments call, not only the inlined copies above
  (func (export "math_vmap") (param $op i32) (param $x i32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load (local.get $x)))
      (local.set $v
        (if (result v128) (i32.eqz (local.get $op)) (then (call $v_exp (local.get $v)))
          (else
            (if (result v128) (i32.eq (local.get $op) (i32.const 1))
              (then (call $v_sigmoid (local.get $v)))
              (else (call $v_tanh (local.get $v)))))))
      (v128.store (local.get $o) (local.get $v))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $l))))

  ;; ---- softmax / logSoftmax over rows: float32 throughout, as XNNPACK ----
  ;; Three passes per row: (1) max, f32x4.pmax in four accumulators (a NaN is skipped here but
  ;; reaches the sum); (2) e = exp(x − max), stored (softmax) and summed; (3) softmax e·(1/sum),
  ;; logSoftmax (x − max) − log(sum). o may be x (each element is read before it is written).
  ;; exp(d), d = x − max rounded to float32 (|d|·2^-24 relative; no TwoSum, as XNNPACK), d ≤ 0:
  ;; clamped below at −108 (pmax keeps NaN); n = round(d·log2 e) by adding 1.5·2^23 + 159, whose
  ;; low bits shifted left by 23 are s = 2^(n+32) (exponent field n + 159 in [3, 159]: normal);
  ;; r = d − n·ln2 (ln2 in two parts, n·ln2_hi exact); e^r ≈ 1 + r·P(r), P of degree 4 fitted to
  ;; the relative error on |r| ≤ 0.354 (1.03e-7); e' = s + (r·s)·P(r) = 2^32·e^d is always normal,
  ;; so subnormal shares are rounded once, in e'·(1/Σe'), and d ≤ −108 (−∞ logits) give shares
  ;; below 2^-150: exactly 0. logSoftmax takes log(2^-32·Σe').
  ;; Sums: 16 float32 partial sums (4 accumulators × 4 lanes; each holds at most cols/16 + 1
  ;; terms: the last whole vectors rotate over three accumulators, the padded tail goes to the
  ;; fourth), combined pairwise, so |Σ error| ≤ (cols/16 + 4)·2^-24·Σ.
  ;; Special rows come out as in the CPU kernel: a NaN makes the sum NaN, a +∞ gives ∞ − ∞ and
  ;; an all −∞ row −∞ − (−∞): NaN rows. The row's last cols mod 4 floats go through a vector in
  ;; $work padded with −∞ (adds nothing to max or sum) and are written back with memory.copy,
  ;; so nothing outside the row is read or written. The order of the operations depends only on
  ;; cols: results do not depend on the chunking.
  (func $math_softmax_row (param $x i32) (param $o i32) (param $cols i32) (param $log i32)
    (local $p i32) (local $q i32) (local $endu i32) (local $end i32) (local $tail i32) (local $s f32)
    (local $m v128) (local $tx v128) (local $te v128) (local $k v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $d0 v128) (local $n0 v128) (local $s0 v128)
    (local $d1 v128) (local $n1 v128) (local $s1 v128)
    (local $d2 v128) (local $n2 v128) (local $s2 v128)
    (local $d3 v128) (local $n3 v128) (local $s3 v128)
    (local.set $end
      (i32.add (local.get $x) (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2))))
    (local.set $endu
      (i32.add (local.get $x) (i32.shl (i32.and (local.get $cols) (i32.const -16)) (i32.const 2))))
    (local.set $tail (i32.shl (i32.and (local.get $cols) (i32.const 3)) (i32.const 2)))
    (local.set $tx (v128.const f32x4 -inf -inf -inf -inf))
    (if (local.get $tail) (then
      (v128.store (global.get $work) (local.get $tx))
      (memory.copy (global.get $work) (local.get $end) (local.get $tail))
      (local.set $tx (v128.load (global.get $work)))))
    ;; (1) max
    (local.set $a0 (local.get $tx))
    (local.set $a1 (local.get $tx))
    (local.set $a2 (local.get $tx))
    (local.set $a3 (local.get $tx))
    (local.set $p (local.get $x))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $p) (local.get $endu)))
      (local.set $a0 (f32x4.pmax (local.get $a0) (v128.load (local.get $p))))
      (local.set $a1 (f32x4.pmax (local.get $a1) (v128.load offset=16 (local.get $p))))
      (local.set $a2 (f32x4.pmax (local.get $a2) (v128.load offset=32 (local.get $p))))
      (local.set $a3 (f32x4.pmax (local.get $a3) (v128.load offset=48 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 64)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $a0 (f32x4.pmax (local.get $a0) (v128.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l)))
    (local.set $m
      (f32x4.pmax (f32x4.pmax (local.get $a0) (local.get $a1))
        (f32x4.pmax (local.get $a2) (local.get $a3))))
    (local.set $m
      (f32x4.pmax (local.get $m)
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $m) (local.get $m))))
    (local.set $m
      (f32x4.pmax (local.get $m)
        (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $m) (local.get $m))))
    ;; one value in all lanes (lanes may differ in the sign of a zero max)
    (local.set $m (f32x4.splat (f32x4.extract_lane 0 (local.get $m))))
    ;; (2) e = 2^32·exp(x − max) and its sum (softmax: stored; logSoftmax: summed only)
    (local.set $a0 (v128.const i64x2 0 0))
    (local.set $a1 (v128.const i64x2 0 0))
    (local.set $a2 (v128.const i64x2 0 0))
    (local.set $a3 (v128.const i64x2 0 0))
    (local.set $p (local.get $x))
    (local.set $q (local.get $o))
    (if (i32.eqz (local.get $log)) (then
      (block $b (loop $l
        (br_if $b (i32.ge_u (local.get $p) (local.get $endu)))
        (local.set $d0
          (f32x4.pmax (f32x4.sub (v128.load (local.get $p)) (local.get $m))
            (v128.const f32x4 -108 -108 -108 -108)))
        ;;@softmax_exp 0
        (v128.store (local.get $q) (local.get $n0))
        (local.set $a0 (f32x4.add (local.get $a0) (local.get $n0)))
        (local.set $d1
          (f32x4.pmax (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $m))
            (v128.const f32x4 -108 -108 -108 -108)))
        ;;@softmax_exp 1
        (v128.store offset=16 (local.get $q) (local.get $n1))
        (local.set $a1 (f32x4.add (local.get $a1) (local.get $n1)))
        (local.set $d2
          (f32x4.pmax (f32x4.sub (v128.load offset=32 (local.get $p)) (local.get $m))
            (v128.const f32x4 -108 -108 -108 -108)))
        ;;@softmax_exp 2
        (v128.store offset=32 (local.get $q) (local.get $n2))
        (local.set $a2 (f32x4.add (local.get $a2) (local.get $n2)))
        (local.set $d3
          (f32x4.pmax (f32x4.sub (v128.load offset=48 (local.get $p)) (local.get $m))
            (v128.const f32x4 -108 -108 -108 -108)))
        ;;@softmax_exp 3
        (v128.store offset=48 (local.get $q) (local.get $n3))
        (local.set $a3 (f32x4.add (local.get $a3) (local.get $n3)))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (local.set $q (i32.add (local.get $q) (i32.const 64)))
        (br $l)))
      ;; the last whole vectors: accumulators a0, a1, a2 rotate, one term per lane each
      (block $b (loop $l
        (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $d0
          (f32x4.pmax (f32x4.sub (v128.load (local.get $p)) (local.get $m))
            (v128.const f32x4 -108 -108 -108 -108)))
        ;;@softmax_exp 0
        (v128.store (local.get $q) (local.get $n0))
        (local.set $n0 (f32x4.add (local.get $a0) (local.get $n0)))
        (local.set $a0 (local.get $a1))
        (local.set $a1 (local.get $a2))
        (local.set $a2 (local.get $n0))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $l)))))
    (if (local.get $log) (then
      (block $b (loop $l
        (br_if $b (i32.ge_u (local.get $p) (local.get $endu)))
        (local.set $d0
          (f32x4.pmax (f32x4.sub (v128.load (local.get $p)) (local.get $m))
            (v128.const f32x4 -108 -108 -108 -108)))
        ;;@softmax_exp 0
        (local.set $a0 (f32x4.add (local.get $a0) (local.get $n0)))
        (local.set $d1
          (f32x4.pmax (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $m))
            (v128.const f32x4 -108 -108 -108 -108)))
        ;;@softmax_exp 1
        (local.set $a1 (f32x4.add (local.get $a1) (local.get $n1)))
        (local.set $d2
          (f32x4.pmax (f32x4.sub (v128.load offset=32 (local.get $p)) (local.get $m))
            (v128.const f32x4 -108 -108 -108 -108)))
        ;;@softmax_exp 2
        (local.set $a2 (f32x4.add (local.get $a2) (local.get $n2)))
        (local.set $d3
          (f32x4.pmax (f32x4.sub (v128.load offset=48 (local.get $p)) (local.get $m))
            (v128.const f32x4 -108 -108 -108 -108)))
        ;;@softmax_exp 3
        (local.set $a3 (f32x4.add (local.get $a3) (local.get $n3)))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (local.set $q (i32.add (local.get $q) (i32.const 64)))
        (br $l)))
      ;; the last whole vectors: accumulators a0, a1, a2 rotate, one term per lane each
      (block $b (loop $l
        (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $d0
          (f32x4.pmax (f32x4.sub (v128.load (local.get $p)) (local.get $m))
            (v128.const f32x4 -108 -108 -108 -108)))
        ;;@softmax_exp 0
        (local.set $n0 (f32x4.add (local.get $a0) (local.get $n0)))
        (local.set $a0 (local.get $a1))
        (local.set $a1 (local.get $a2))
        (local.set $a2 (local.get $n0))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $l)))))
    (if (local.get $tail) (then
      (local.set $d0
        (f32x4.pmax (f32x4.sub (local.get $tx) (local.get $m))
          (v128.const f32x4 -108 -108 -108 -108)))
      ;;@softmax_exp 0
      (local.set $a3 (f32x4.add (local.get $a3) (local.get $n0)))
      (local.set $te (local.get $n0))))
    (local.set $a0
      (f32x4.add (f32x4.add (local.get $a0) (local.get $a1))
        (f32x4.add (local.get $a2) (local.get $a3))))
    (local.set $a0
      (f32x4.add (local.get $a0)
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a0) (local.get $a0))))
    (local.set $s
      (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0))))
    ;; (3)
    (if (local.get $log) (then
      (local.set $k (call $v_log (f32x4.splat (f32.mul (local.get $s) (f32.const 0x1p-32)))))
      (local.set $p (local.get $x))
      (local.set $q (local.get $o))
      (block $b (loop $l
        (br_if $b (i32.ge_u (local.get $p) (local.get $endu)))
        (v128.store (local.get $q)
          (f32x4.sub (f32x4.sub (v128.load (local.get $p)) (local.get $m)) (local.get $k)))
        (v128.store offset=16 (local.get $q)
          (f32x4.sub (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $m)) (local.get $k)))
        (v128.store offset=32 (local.get $q)
          (f32x4.sub (f32x4.sub (v128.load offset=32 (local.get $p)) (local.get $m)) (local.get $k)))
        (v128.store offset=48 (local.get $q)
          (f32x4.sub (f32x4.sub (v128.load offset=48 (local.get $p)) (local.get $m)) (local.get $k)))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (local.set $q (i32.add (local.get $q) (i32.const 64)))
        (br $l)))
      (block $b (loop $l
        (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
        (v128.store (local.get $q)
          (f32x4.sub (f32x4.sub (v128.load (local.get $p)) (local.get $m)) (local.get $k)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $l)))
      (local.set $te (f32x4.sub (f32x4.sub (local.get $tx) (local.get $m)) (local.get $k))))
    (else
      ;; 1/Σe' = 2^-32/sum: normal for any cols < 2^94
      (local.set $k (f32x4.splat (f32.div (f32.const 1) (local.get $s))))
      (local.set $q (local.get $o))
      (local.set $endu (i32.add (local.get $o) (i32.sub (local.get $endu) (local.get $x))))
      (local.set $end (i32.add (local.get $o) (i32.sub (local.get $end) (local.get $x))))
      (block $b (loop $l
        (br_if $b (i32.ge_u (local.get $q) (local.get $endu)))
        (v128.store (local.get $q) (f32x4.mul (v128.load (local.get $q)) (local.get $k)))
        (v128.store offset=16 (local.get $q)
          (f32x4.mul (v128.load offset=16 (local.get $q)) (local.get $k)))
        (v128.store offset=32 (local.get $q)
          (f32x4.mul (v128.load offset=32 (local.get $q)) (local.get $k)))
        (v128.store offset=48 (local.get $q)
          (f32x4.mul (v128.load offset=48 (local.get $q)) (local.get $k)))
        (local.set $q (i32.add (local.get $q) (i32.const 64)))
        (br $l)))
      (block $b (loop $l
        (br_if $b (i32.ge_u (local.get $q) (local.get $end)))
        (v128.store (local.get $q) (f32x4.mul (v128.load (local.get $q)) (local.get $k)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $l)))
      (local.set $te (f32x4.mul (local.get $te) (local.get $k)))))
    (if (local.get $tail) (then
      (v128.store (global.get $work) (local.get $te))
      (memory.copy
        (i32.add (local.get $o) (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2)))
        (global.get $work)
        (local.get $tail)))))

  ;; job record (bytes): 0 x, 4 o, 8 rows, 12 cols, 16 rows per chunk, 20 log (0 softmax, 1 logSoftmax)
  (func (export "math_softmax_chunk") (param $job i32) (param $i i32)
    (local $r i32) (local $end i32) (local $cols i32) (local $stride i32)
    (local.set $cols (i32.load offset=12 (local.get $job)))
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $r (i32.mul (local.get $i) (i32.load offset=16 (local.get $job))))
    (local.set $end
      (call $min (i32.add (local.get $r) (i32.load offset=16 (local.get $job)))
        (i32.load offset=8 (local.get $job))))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $r) (local.get $end)))
      (call $math_softmax_row
        (i32.add (i32.load offset=0 (local.get $job)) (i32.mul (local.get $r) (local.get $stride)))
        (i32.add (i32.load offset=4 (local.get $job)) (i32.mul (local.get $r) (local.get $stride)))
        (local.get $cols) (i32.load offset=20 (local.get $job)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $l))))

  ;; ---- layerNorm over rows, in float64 like the CPU kernel ----
  ;; mean = Σx / cols, var = Σ(x − mean)² / cols (two passes), rstd = 1/√(var + eps),
  ;; y = (x − mean)·rstd rounded once. Sums: two f64x2 accumulators over whole vectors, then
  ;; the row's last cols mod 4 floats in order, so the result does not depend on the chunking.
  ;; y may be x (each element is read before it is written). Affine ($g ≠ 0): y = ((x − mean)·rstd)
  ;; ·g[j] + b[j] in float64, rounded once, as the CPU kernel; the caller passes both vectors
  ;; (ones / −0 for an absent one: exact identities).
  (func $math_layernorm_row (param $x i32) (param $y i32) (param $cols i32) (param $eps f64)
                            (param $pm i32) (param $pr i32) (param $g i32) (param $b i32)
    (local $end i32) (local $p i32) (local $q i32) (local $v v128) (local $a0 v128) (local $a1 v128)
    (local $gv v128) (local $bv v128)
    (local $d v128) (local $mu v128) (local $rs v128) (local $s f64) (local $t f64) (local $n f64)
    (local.set $end
      (i32.add (local.get $x) (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2))))
    (local.set $n (f64.convert_i32_u (local.get $cols)))
    (local.set $p (local.get $x))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $a1
        (f64x2.add (local.get $a1)
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l)))
    (local.set $a0 (f64x2.add (local.get $a0) (local.get $a1)))
    (local.set $s
      (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
    (block $b (loop $l
      (br_if $b
        (i32.ge_u (local.get $p) (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 2)))))
      (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (local.get $p)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l)))
    (local.set $s (f64.div (local.get $s) (local.get $n)))
    (local.set $mu (f64x2.splat (local.get $s)))
    (local.set $a0 (v128.const f64x2 0 0))
    (local.set $a1 (v128.const f64x2 0 0))
    (local.set $p (local.get $x))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mu)))
      (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $d) (local.get $d))))
      (local.set $d
        (f64x2.sub
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
          (local.get $mu)))
      (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $d) (local.get $d))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l)))
    (local.set $a0 (f64x2.add (local.get $a0) (local.get $a1)))
    (local.set $t
      (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
    (block $b (loop $l
      (br_if $b
        (i32.ge_u (local.get $p) (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 2)))))
      (local.set $n (f64.sub (f64.promote_f32 (f32.load (local.get $p))) (local.get $s)))
      (local.set $t (f64.add (local.get $t) (f64.mul (local.get $n) (local.get $n))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $l)))
    (local.set $t
      (f64.div (f64.const 1)
        (f64.sqrt
          (f64.add (f64.div (local.get $t) (f64.convert_i32_u (local.get $cols))) (local.get $eps)))))
    (f32.store (local.get $pm) (f32.demote_f64 (local.get $s)))
    (f32.store (local.get $pr) (f32.demote_f64 (local.get $t)))
    (local.set $rs (f64x2.splat (local.get $t)))
    (local.set $p (local.get $x))
    (local.set $q (local.get $y))
    (if (local.get $g) (then
      (block $b (loop $l
        (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $gv (v128.load (local.get $g)))
        (local.set $bv (v128.load (local.get $b)))
        (v128.store (local.get $q)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero
              (f64x2.add
                (f64x2.mul
                  (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mu))
                    (local.get $rs))
                  (f64x2.promote_low_f32x4 (local.get $gv)))
                (f64x2.promote_low_f32x4 (local.get $bv))))
            (f32x4.demote_f64x2_zero
              (f64x2.add
                (f64x2.mul
                  (f64x2.mul
                    (f64x2.sub
                      (f64x2.promote_low_f32x4
                        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
                      (local.get $mu))
                    (local.get $rs))
                  (f64x2.promote_low_f32x4
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gv) (local.get $gv))))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $bv) (local.get $bv)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $l)))
      (block $b (loop $l
        (br_if $b
          (i32.ge_u (local.get $p) (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 2)))))
        (f32.store (local.get $q)
          (f32.demote_f64
            (f64.add
              (f64.mul
                (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $p))) (local.get $s)) (local.get $t))
                (f64.promote_f32 (f32.load (local.get $g))))
              (f64.promote_f32 (f32.load (local.get $b))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $l)))
      (return)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (v128.store (local.get $q)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero
            (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mu))
              (local.get $rs)))
          (f32x4.demote_f64x2_zero
            (f64x2.mul
              (f64x2.sub
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
                (local.get $mu))
              (local.get $rs)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br $l)))
    (block $b (loop $l
      (br_if $b
        (i32.ge_u (local.get $p) (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 2)))))
      (f32.store (local.get $q)
        (f32.demote_f64
          (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $p))) (local.get $s)) (local.get $t))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $q (i32.add (local.get $q) (i32.const 4)))
      (br $l))))

  ;; job record (bytes): 0 x, 4 y, 8 mean, 12 rstd, 16 rows, 20 cols, 24 rows per chunk, 32 eps f64,
  ;; 40 gamma, 44 beta (0 = no affine step; else both point at cols floats)
  (func (export "math_layernorm_chunk") (param $job i32) (param $i i32)
    (local $r i32) (local $end i32) (local $cols i32) (local $stride i32)
    (local.set $cols (i32.load offset=20 (local.get $job)))
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $r (i32.mul (local.get $i) (i32.load offset=24 (local.get $job))))
    (local.set $end
      (call $min (i32.add (local.get $r) (i32.load offset=24 (local.get $job)))
        (i32.load offset=16 (local.get $job))))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $r) (local.get $end)))
      (call $math_layernorm_row
        (i32.add (i32.load offset=0 (local.get $job)) (i32.mul (local.get $r) (local.get $stride)))
        (i32.add (i32.load offset=4 (local.get $job)) (i32.mul (local.get $r) (local.get $stride)))
        (local.get $cols) (f64.load offset=32 (local.get $job))
        (i32.add (i32.load offset=8 (local.get $job)) (i32.shl (local.get $r) (i32.const 2)))
        (i32.add (i32.load offset=12 (local.get $job)) (i32.shl (local.get $r) (i32.const 2)))
        (i32.load offset=40 (local.get $job)) (i32.load offset=44 (local.get $job)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $l))))
