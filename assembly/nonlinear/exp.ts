// DI-Exp: exp of non-positive integers with a dyadic input scale, by shifts and a short polynomial.
// Integer arithmetic only. Shared by softmax (assembly/nonlinear/softmax.ts) and the sigmoid of SiLU
// (assembly/nonlinear/silu.ts). The scalar TypeScript reference is bindings/ops/exp-reference.ts.
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// Input: u >= 0 (int32), the distance below zero, so the real input is  x = -u * s  with the dyadic
// scale s = m / 2^k (m >= 1, k any sign; accuracy is specified for s in [2^-30, 2^12]).
// Output: e (int32) ~ exp(-u * s) * 2^29 (Q29), e in [0, 2^29], e = 2^29 exactly at u = 0.
// Clipping: inputs below -EXP_CLIP_NATS (16) are clipped there (exp(-16) = 1.1e-7 of the maximum).
//
// ── Method ───────────────────────────────────────────────────────────────────────────────────────
// exp(-u s) = 2^(-z) with z = u * s * log2(e). Per row (scalar, once), exp_params turns (m, k) into an
// integer multiplier for z in Q15 (EXP_FRAC_BITS fraction bits):
//   z = min( ((u >> pre) * mul + half) >>> shift , EXP_CLIP_Z ),   u first clamped to u <= clip_u
// with (clip_u >> pre) < 2^16 and mul <= 2^15 (or a larger mul when clip_u is tiny), so
// (clip_u >> pre) * mul < 2^31 and every lane stays within 32 bits (i32x4.mul, no 64-bit lanes).
// Then z = q + f / 2^15 splits into an integer shift q (0..23) and a fraction f: a cubic in int16 lanes
// gives 2^(-f/2^15), and the shift by q is a multiply by a power of two built with byte swizzles (see
// exp_e16 .. exp_finish_high below).
// log2(e) enters as LOG2E_Q30 = round(log2(e) * 2^30) multiplied into m, so the scale never leaves
// integers. The derivation below is integer-only too, so dynamic per-row scales work inside wasm.

import { rshift_round_i64 } from "../dyadic";

/** Fraction bits of z (the exponent in octaves). */
export const EXP_FRAC_BITS: i32 = 15;
/** exp(0) in the output format (Q29). */
export const EXP_ONE: i32 = 1 << 29;
/** round(log2(e) * 2^30). */
const LOG2E_Q30: i64 = 1549082005;
/** The clip, 16 nats below the maximum, in z units: round(16 * log2(e) * 2^15). */
export const EXP_CLIP_Z: i32 = 756388;

// Per-row parameters written by exp_params (one thread; read right after the call).
export let ep_pre: i32 = 0;
export let ep_mul: i32 = 0;
export let ep_half: i32 = 0;
export let ep_shift: i32 = 0;
export let ep_clip_u: i32 = 0;

// @ts-ignore: decorator
@inline function bitlength_i64(x: i64): i32 {
  return 64 - <i32>clz<i64>(x);
}

/**
 * Integer parameters of z = u * (m / 2^k) * log2(e) in Q15 (see the contract). m < 1 is treated as 1.
 * Sets ep_pre, ep_mul, ep_half, ep_shift, ep_clip_u.
 */
export function exp_params(m: i32, k: i32): void {
  if (m < 1) m = 1;
  const product = <i64>m * LOG2E_Q30; // in [2^30, 2^62)
  let sh = bitlength_i64(product) - 15; // >= 16
  let tm = rshift_round_i64(product, sh); // 15-bit mantissa of the z multiplier, in [2^14, 2^15]
  if (tm == (<i64>1 << 15)) {
    tm = <i64>1 << 14;
    sh++;
  }
  // z per unit of u is T = tm / 2^te
  const te = k + EXP_FRAC_BITS - sh;
  // clip_u = ceil(EXP_CLIP_Z / T): larger u all clip to the same value
  let clip: i64;
  if (te >= 0) {
    if (te > 40) clip = 0x7fffffff;
    else {
      clip = ((<i64>EXP_CLIP_Z << te) + tm - 1) / tm;
      if (clip > 0x7fffffff) clip = 0x7fffffff;
    }
  } else if (te < -40) {
    clip = 1;
  } else {
    const den = tm << -te;
    clip = (<i64>EXP_CLIP_Z + den - 1) / den;
  }
  if (clip < 1) clip = 1;
  // pre-shift u so that (clip_u >> pre) < 2^16 and the product with a 15-bit multiplier fits 31 bits
  let pre = bitlength_i64(clip) - 16;
  if (pre < 0) pre = 0;
  let mul: i64;
  let shift: i32;
  if (te - pre >= 0) {
    mul = tm;
    shift = te - pre;
  } else {
    const up = pre - te;
    mul = up >= 16 ? <i64>1 << 30 : tm << up;
    if (mul > (<i64>1 << 30)) mul = <i64>1 << 30;
    shift = 0;
  }
  if (shift > 31) {
    // the scale is so fine that z rounds to 0 over the whole clip range
    mul = 0;
    shift = 0;
  }
  ep_pre = pre;
  ep_mul = <i32>mul;
  ep_shift = shift;
  ep_half = shift > 0 ? <i32>(<u32>1 << <u32>(shift - 1)) : 0;
  ep_clip_u = <i32>clip;
}

/** Exported for tests: writes (pre, mul, half, shift, clip_u) as five int32 at `out`. */
export function exp_params_into(m: i32, k: i32, out: usize): void {
  exp_params(m, k);
  store<i32>(out, ep_pre);
  store<i32>(out, ep_mul, 4);
  store<i32>(out, ep_half, 8);
  store<i32>(out, ep_shift, 12);
  store<i32>(out, ep_clip_u, 16);
}

// ── 2^(-z / 2^15) in Q29, eight lanes at a time ─────────────────────────────────────────────────
// z (int32, two vectors of four lanes) splits into q = z >> 15 (0..23) and f = z & 0x7fff. The fraction
// runs in int16 lanes: e16 = 2^(-f/2^15) / 2 in Q15 by a cubic in Horner form with i16x8.q15mulr_sat_s
// (round((a b + 2^14) / 2^15); no operand is ever -32768, so it never saturates), e16 in [8192, 16384].
// The per-lane shift by q, which wasm SIMD lacks (shift counts are scalar), is a multiply: two byte
// swizzles build P = 2^(15 - (q & 15)) per 16-bit lane, i32x4.extmul_*_i16x8_u gives e16 * P (exact,
// <= 2^29), and lanes with q >= 16 take one more shift by 16. Result: e = 2^(29 - z/2^15) truncated,
// e = 2^29 exactly at z = 0.

// Q15 coefficients of p(f)/2 = 1/2 + f (C1 + f (C2 + f C3)) ~ 2^-f / 2, fitted for the integer Horner
// steps above (max relative error 2.2e-4 over all 32768 f).
const C1: i32 = -11329;
const C2: i32 = 3776;
const C3: i32 = -639;

/** e16 = 2^(-f / 2^15) / 2 in Q15 for eight int16 lanes f in 0..32767. */
// @ts-ignore: decorator
@inline export function exp2_frac_e16(f: v128): v128 {
  const g = i16x8.add(i16x8.splat(<i16>C2), i16x8.q15mulr_sat_s(f, i16x8.splat(<i16>C3)));
  const h = i16x8.add(i16x8.splat(<i16>C1), i16x8.q15mulr_sat_s(f, g));
  return i16x8.add(i16x8.splat(16384), i16x8.q15mulr_sat_s(f, h));
}

/** P = 2^(15 - (q & 15)) as unsigned 16-bit lanes, from two byte swizzles. */
// @ts-ignore: decorator
@inline export function pow2_p16(q: v128): v128 {
  const idx = i16x8.mul(v128.and(q, i16x8.splat(15)), i16x8.splat(0x0101)); // j in both bytes of a lane
  const lo = i8x16.swizzle(i8x16(0, 0, 0, 0, 0, 0, 0, 0, -128, 64, 32, 16, 8, 4, 2, 1), idx);
  const hi = i8x16.swizzle(i8x16(-128, 64, 32, 16, 8, 4, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0), idx);
  return v128.bitselect(hi, lo, i16x8.splat(<i16>0xff00));
}

/** The Q15 fraction mantissas e16 for eight z lanes (z0: lanes 0..3, z1: lanes 4..7). */
// @ts-ignore: decorator
@inline export function exp_e16(z0: v128, z1: v128): v128 {
  const fm = i32x4.splat((1 << EXP_FRAC_BITS) - 1);
  return exp2_frac_e16(i16x8.narrow_i32x4_s(v128.and(z0, fm), v128.and(z1, fm)));
}

/** The power-of-two factors P16 for eight z lanes. */
// @ts-ignore: decorator
@inline export function exp_p16(z0: v128, z1: v128): v128 {
  return pow2_p16(i16x8.narrow_i32x4_s(i32x4.shr_u(z0, EXP_FRAC_BITS), i32x4.shr_u(z1, EXP_FRAC_BITS)));
}

/** e = 2^(29 - z / 2^15) for lanes 0..3 (z0) of an eight-lane group with its e16 and P16. */
// @ts-ignore: decorator
@inline export function exp_finish_low(e16: v128, p16: v128, z0: v128): v128 {
  const a = i32x4.extmul_low_i16x8_u(e16, p16);
  return v128.bitselect(i32x4.shr_u(a, 16), a, i32x4.gt_s(z0, i32x4.splat((16 << EXP_FRAC_BITS) - 1)));
}

/** e = 2^(29 - z / 2^15) for lanes 4..7 (z1). */
// @ts-ignore: decorator
@inline export function exp_finish_high(e16: v128, p16: v128, z1: v128): v128 {
  const a = i32x4.extmul_high_i16x8_u(e16, p16);
  return v128.bitselect(i32x4.shr_u(a, 16), a, i32x4.gt_s(z1, i32x4.splat((16 << EXP_FRAC_BITS) - 1)));
}

/** Scalar twin of exp_e16 / exp_p16 / exp_finish_*, one lane, bit-identical. */
// @ts-ignore: decorator
@inline export function exp2_neg_q29(z: i32): i32 {
  const q = z >>> EXP_FRAC_BITS;
  const f = z & ((1 << EXP_FRAC_BITS) - 1);
  const g = C2 + ((f * C3 + 0x4000) >> 15);
  const h = C1 + ((f * g + 0x4000) >> 15);
  const e16 = 16384 + ((f * h + 0x4000) >> 15);
  const e = e16 << (15 - (q & 15));
  return q > 15 ? e >>> 16 : e;
}

/** z for four lanes of u >= 0 with the parameters of exp_params (splatted where vectors). */
// @ts-ignore: decorator
@inline export function exp_z_i32x4(u: v128, pre: i32, mul: v128, half: v128, shift: i32, clipU: v128): v128 {
  const v = i32x4.shr_u(i32x4.min_s(u, clipU), pre);
  const z = i32x4.shr_u(i32x4.add(i32x4.mul(v, mul), half), shift);
  return i32x4.min_u(z, i32x4.splat(EXP_CLIP_Z));
}

/** Scalar twin of exp_z_i32x4. */
// @ts-ignore: decorator
@inline export function exp_z(u: i32, pre: i32, mul: i32, half: i32, shift: i32, clipU: i32): i32 {
  const v = (u < clipU ? u : clipU) >>> pre;
  const z = <i32>(<u32>(v * mul + half) >>> <u32>shift);
  return <i32>min<u32>(<u32>z, <u32>EXP_CLIP_Z);
}

/**
 * DI-Exp over rows: x [rows, n] int32 (row stride xStride) -> e [rows, n] int32 Q29 (row stride
 * outStride). Real input x * m_r / 2^k_r, with x > 0 treated as 0. scaleM/scaleK are int32 arrays; row r
 * reads entry r * scaleStep (0: one scale for all rows).
 */
export function di_exp_rows(
  x: usize, rows: i32, n: i32, xStride: i32,
  scaleM: usize, scaleK: usize, scaleStep: i32,
  out: usize, outStride: i32,
): void {
  for (let r = 0; r < rows; r++) {
    const si = <usize>(r * scaleStep) << 2;
    exp_params(load<i32>(scaleM + si), load<i32>(scaleK + si));
    const pre = ep_pre, mul = ep_mul, half = ep_half, shift = ep_shift, clipU = ep_clip_u;
    const mul4 = i32x4.splat(mul), half4 = i32x4.splat(half), clip4 = i32x4.splat(clipU);
    const negClip4 = i32x4.splat(-clipU);
    const zero4 = i32x4.splat(0);
    const src = x + (<usize>r * <usize>xStride << 2);
    const dst = out + (<usize>r * <usize>outStride << 2);
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const o = <usize>j << 2;
      // u = -max(min(x, 0), -clip_u): no overflow at x = INT32_MIN
      const u0 = i32x4.sub(zero4, i32x4.max_s(i32x4.min_s(v128.load(src + o), zero4), negClip4));
      const u1 = i32x4.sub(zero4, i32x4.max_s(i32x4.min_s(v128.load(src + o, 16), zero4), negClip4));
      const z0 = exp_z_i32x4(u0, pre, mul4, half4, shift, clip4);
      const z1 = exp_z_i32x4(u1, pre, mul4, half4, shift, clip4);
      const e16 = exp_e16(z0, z1);
      const p16 = exp_p16(z0, z1);
      v128.store(dst + o, exp_finish_low(e16, p16, z0));
      v128.store(dst + o, exp_finish_high(e16, p16, z1), 16);
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const v = load<i32>(src + o);
      const u = -max(min(v, 0), -clipU);
      store<i32>(dst + o, exp2_neg_q29(exp_z(u, pre, mul, half, shift, clipU)));
    }
  }
}
