// Small integer helpers shared by the per-row (scalar) parts of the nonlinear operators. The TypeScript
// twins, bit for bit, are in bindings/common/intmath.ref.ts.

// @ts-ignore: decorator
@inline export function bitlength_i64(x: i64): i32 {
  return 64 - <i32>clz<i64>(x);
}

// @ts-ignore: decorator
@inline export function bitlength_u64(x: u64): i32 {
  return 64 - <i32>clz<u64>(x);
}

// @ts-ignore: decorator
@inline export function bitlength_u32(x: u32): i32 {
  return 32 - <i32>clz<u32>(x);
}

/** 2^62, the saturation value of the 64-bit helpers below. */
export const SAT62: i64 = <i64>1 << 62;

/**
 * floor(a * 2^e / d) for 0 <= a < 2^62, 1 <= d < 2^62 and any e, saturated at 2^62. Exact while the
 * shifted operands fit 62 bits; otherwise the excess shift is applied to the quotient (a few low bits
 * lost, deterministically, in cases far outside the accuracy domain).
 */
export function mul_pow2_div(a: i64, e: i32, d: i64): i64 {
  if (a <= 0) return 0;
  let q: i64;
  if (e >= 0) {
    let s = 62 - bitlength_i64(a);
    if (s > e) s = e;
    q = (a << s) / d;
    const rest = e - s;
    if (rest > 0) {
      if (q != 0 && bitlength_i64(q) + rest > 62) return SAT62;
      q <<= rest;
    }
  } else {
    const neg = -e;
    let s = 62 - bitlength_i64(d);
    if (s > neg) s = neg;
    const rest = neg - s;
    q = a / (d << s);
    q = rest >= 63 ? 0 : q >> rest;
  }
  return q > SAT62 ? SAT62 : q;
}

/** floor(sqrt(v)) for 0 <= v < 2^62, digit by digit. */
export function isqrt_i64(v: i64): i64 {
  let res: i64 = 0;
  let bit: i64 = <i64>1 << 62;
  while (bit > v) bit >>= 2;
  while (bit != 0) {
    if (v >= res + bit) {
      v -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  return res;
}

/**
 * The even shift t with bitlength(v * 2^t) in {61, 62} for 1 <= v < 2^62 (negative t: shift right),
 * so that isqrt(v * 2^t) has 31 bits and sqrt(v) = isqrt(..) * 2^(-t/2).
 */
// @ts-ignore: decorator
@inline export function even_norm_shift(v: i64): i32 {
  const t = 62 - bitlength_i64(v);
  return (t & 1) != 0 ? t - 1 : t;
}

// @ts-ignore: decorator
@inline export function shift_i64(v: i64, t: i32): i64 {
  return t >= 0 ? v << t : v >> -t;
}

/** Four int8 lanes (bytes lane*4.. of a 16-byte vector, picked by `part` 0..3) widened to i32x4. */
// @ts-ignore: decorator
@inline export function widen_i8_part(v: v128, part: i32): v128 {
  const w = part < 2 ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_high_i8x16_s(v);
  return (part & 1) == 0 ? i32x4.extend_low_i16x8_s(w) : i32x4.extend_high_i16x8_s(w);
}

/**
 * y ~ 2^60 / sqrt(v) for v in [2^60, 2^62), without division: Newton-Raphson for the inverse square root
 * in Q30 (V = v / 2^60 in [1, 4), y = 2^30 / sqrt(V) in (2^29, 2^30]) from a linear first guess
 * (error < 10%), five steps y <- y (3 - V y^2) / 2. Relative error below 2^-28.
 */
export function inv_sqrt_q30(v: i64): i64 {
  const x = v >> 30; // V in Q30, [2^30, 2^32)
  // first guess 1.04 - V / 6 in Q30 (chord of 1/sqrt on [1, 4], lowered to halve its error)
  let y: i64 = 1116691497 - x / 6;
  for (let i = 0; i < 5; i++) {
    const y2 = (y * y) >> 30;
    const vy2 = (x * y2) >> 30;
    y = (y * ((<i64>3 << 30) - vy2)) >> 31;
  }
  return y;
}
