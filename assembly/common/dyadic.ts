// Dyadic arithmetic: a real scale s is carried as m / 2^k with integer m and k, so rescaling an integer
// x by s is one integer multiply and one rounding right shift. Every kernel rounds the same way:
// round half up, i.e. floor((x * m + 2^(k-1)) / 2^k). The TypeScript twin is bindings/common/dyadic.ts;
// both must agree bit for bit.

/** floor((x + 2^(k-1)) / 2^k) for k >= 1; x for k == 0. k in 0..62. */
// @ts-ignore: decorator
@inline export function rshift_round_i64(x: i64, k: i32): i64 {
  return k > 0 ? (x + (<i64>1 << (k - 1))) >> k : x;
}

/** Rescales x by the dyadic m / 2^k with round half up, in 64-bit: exact for |x|, |m| < 2^31. */
// @ts-ignore: decorator
@inline export function mul_dyadic(x: i32, m: i32, k: i32): i64 {
  return rshift_round_i64(<i64>x * <i64>m, k);
}

/** Clamps to a closed integer interval. */
// @ts-ignore: decorator
@inline export function clamp_i32(x: i64, lo: i32, hi: i32): i32 {
  return x < <i64>lo ? lo : x > <i64>hi ? hi : <i32>x;
}

/**
 * SIMD form of mul_dyadic for four lanes with per-lane mantissas and one shared exponent k (1..62),
 * returning the low 32 bits of each rounded product (callers keep results within i32 by construction).
 */
// @ts-ignore: decorator
@inline export function mul_dyadic_i32x4(x: v128, m: v128, k: i32): v128 {
  const round = i64x2.splat(<i64>1 << (k - 1));
  const lo = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(x, m), round), k);
  const hi = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(x, m), round), k);
  return i8x16.shuffle(lo, hi, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
}
