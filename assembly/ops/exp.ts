// DI-Exp: exp of non-positive integers with a dyadic input scale, by shifts and a short polynomial.
// Integer arithmetic only. Shared by softmax (assembly/ops/softmax.ts) and the sigmoid of SiLU
// (assembly/ops/silu.ts). The scalar TypeScript reference is bindings/ops/exp.ref.ts.
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// Input: u >= 0 (int32), the distance below zero, so the real input is  x = -u * s  with the dyadic
// scale s = m / 2^k (m >= 1, k any sign; accuracy is specified for s in [2^-30, 2^12]).
// Output: e (int32) ~ exp(-u * s) * 2^29 (Q29), e in [0, 2^29], e = 2^29 exactly at u = 0.
// Clipping: inputs below -EXP_CLIP_NATS (16) are clipped there (exp(-16) = 1.1e-7 of the maximum); for
// scales coarser than 5.5 nats per integer step the clip is the last step below 32 octaves instead.
//
// ── Method ───────────────────────────────────────────────────────────────────────────────────────
// exp(-u s) = 2^(-z) with z = u * s * log2(e). Per row (scalar, once), exp_params turns (m, k) into an
// integer multiplier for z in Q15 (EXP_FRAC_BITS fraction bits):
//   z = ((min(u, clip_u) >> pre) * mul) >>> shift    (< 2^20 by construction, so q <= 31)
// with (clip_u >> pre) < 2^16 and mul <= 2^15 (or a larger mul when clip_u is tiny), so
// (clip_u >> pre) * mul < 2^31 and every lane stays within 32 bits (i32x4.mul, no 64-bit lanes).
// Then z = q + f / 2^15 splits into an integer shift q (0..31) and a fraction f: a cubic in int16 lanes
// gives 2^(-f/2^15), and the shift by q is a multiply by a power of two built with a byte swizzle (see
// exp_e16 .. exp_b below). Accuracy against float64 (bindings/ops/exp.ref.ts, checked in
// test/ops/softmax.test.ts): relative error <= EXP_MAX_REL_ERROR = 8e-4 (measured 6.6e-4).
// log2(e) enters as LOG2E_Q30 = round(log2(e) * 2^30) multiplied into m, so the scale never leaves
// integers. The derivation below is integer-only too, so dynamic per-row scales work inside wasm.

import { rshift_round_i64 } from "../common/dyadic";
import { bitlength_i64 } from "../common/intmath";

/** Fraction bits of z (the exponent in octaves). */
export const EXP_FRAC_BITS: i32 = 15;
/** exp(0) in the output format (Q29). */
export const EXP_ONE: i32 = 1 << 29;
/** round(log2(e) * 2^30). */
const LOG2E_Q30: i64 = 1549082005;
/** The clip, 16 nats below the maximum, in z units: round(16 * log2(e) * 2^15). */
export const EXP_CLIP_Z: i32 = 756388;
/** Largest z any u <= clip_u reaches (q <= 31). */
const Z_LIMIT: i64 = (<i64>1 << 20) - 1;

// Per-row parameters written by exp_params (one thread; read right after the call).
export let ep_pre: i32 = 0;
export let ep_mul: i32 = 0;
export let ep_shift: i32 = 0;
export let ep_clip_u: i32 = 0;

/**
 * Integer parameters of z = u * (m / 2^k) * log2(e) in Q15 (see the contract). m < 1 is treated as 1.
 * Sets ep_pre, ep_mul, ep_shift, ep_clip_u.
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
  // Keep z < 2^20 (q <= 31) for every u <= clip_u, so the kernels need no clamp on z. Only a very
  // coarse scale (over 8 octaves, 5.5 nats, per integer step; shift = 0) can pass it: the clip then moves
  // to the last step below 32 octaves, or, when one step already exceeds it, that step maps to 2^-32.
  if (shift == 0 && (clip >> pre) * mul > Z_LIMIT) {
    if (mul > Z_LIMIT) {
      mul = Z_LIMIT;
      clip = <i64>1 << pre;
    } else {
      clip = (Z_LIMIT / mul) << pre;
    }
  }
  ep_pre = pre;
  ep_mul = <i32>mul;
  ep_shift = shift;
  ep_clip_u = <i32>clip;
}

/** Exported for tests: writes (pre, mul, shift, clip_u) as four int32 at `out`. */
export function exp_params_into(m: i32, k: i32, out: usize): void {
  exp_params(m, k);
  store<i32>(out, ep_pre);
  store<i32>(out, ep_mul, 4);
  store<i32>(out, ep_shift, 8);
  store<i32>(out, ep_clip_u, 12);
}

// ── 2^(-z / 2^15) in Q29, eight lanes at a time ─────────────────────────────────────────────────
// z (int32, two vectors of four lanes) splits into q = z >> 15 (0..31) and f = z & 0x7fff. The fraction
// runs in int16 lanes: e16 = 2^(-f/2^15) / 2 in Q15 by a cubic in Horner form with i16x8.q15mulr_sat_s
// (round((a b + 2^14) / 2^15); no operand is ever -32768, so it never saturates), e16 in [8192, 16384].
// The per-lane shift by q, which wasm SIMD lacks (shift counts are scalar), is a multiply: one byte
// swizzle builds P = 2^(15 - (q & 15)) per 16-bit lane, i32x4.extmul_*_i16x8_u gives e16 * P (exact,
// <= 2^29), and lanes with q >= 16 first take 2^-16 in int16 (q15mulr). Result: e ~ 2^(29 - z/2^15),
// e = 2^29 exactly at z = 0.

// Q15 coefficients of p(f)/2 = 1/2 + f (C1 + f (C2 + f C3)) ~ 2^-f / 2, fitted for the integer Horner
// steps above (max relative error 2.2e-4 over all 32768 f).
const C1: i32 = -11329;
const C2: i32 = 3776;
const C3: i32 = -639;

// Relaxed SIMD only where its result is defined (DESIGN.md invariant 2), so both builds stay bit-identical:
// relaxed_q15mulr_s equals q15mulr_sat_s unless both operands are -32768, which no operand here can be
// (f >= 0, |coefficients| < 2^14, e16 >= 8192); relaxed_laneselect equals bitselect for masks whose lanes
// are all ones or all zeros (comparison results). On x64 they drop the saturation fix-up of pmulhrsw and
// turn three-instruction selects into one blend.
// @ts-ignore: decorator
@inline export function q15mul(a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.relaxed_q15mulr_s(a, b);
  return i16x8.q15mulr_sat_s(a, b);
}

// @ts-ignore: decorator
@inline export function select_mask(a: v128, b: v128, mask: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_laneselect(a, b, mask);
  return v128.bitselect(a, b, mask);
}

/** e16 = 2^(-f / 2^15) / 2 in Q15 for eight int16 lanes f in 0..32767. */
// @ts-ignore: decorator
@inline export function exp2_frac_e16(f: v128): v128 {
  const g = i16x8.add(i16x8.splat(<i16>C2), q15mul(f, i16x8.splat(<i16>C3)));
  const h = i16x8.add(i16x8.splat(<i16>C1), q15mul(f, g));
  return i16x8.add(i16x8.splat(16384), q15mul(f, h));
}

/**
 * P = 2^(15 - (q & 15)) as unsigned 16-bit lanes from one byte swizzle: with H = [128, 64, .., 1, 0 x8],
 * the high byte of P is H[j] and the low byte H[j ^ 8] (j = q & 15).
 */
// @ts-ignore: decorator
@inline export function pow2_p16(q: v128): v128 {
  const idx = v128.xor(i16x8.mul(v128.and(q, i16x8.splat(15)), i16x8.splat(0x0101)), i16x8.splat(8));
  return i8x16.swizzle(i8x16(-128, 64, 32, 16, 8, 4, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0), idx);
}

// Eight lanes of z (z0: lanes 0..3, z1: lanes 4..7) give two 16-bit factors with e = a * b (Q29):
//   q < 16:  a = e16,                                  b = 2^(15 - q)
//   q >= 16: a = round(e16 * 2^(14 - (q - 16)) / 2^15), b = 1   (the extra 2^-16 applied by q15mulr)
// and e = i32x4.extmul_{low,high}_i16x8_u(a, b). Callers write it out (an inlined helper cannot return
// two vectors):  e16 = exp_e16(z0, z1); q = exp_q16(z0, z1); p = pow2_p16(q); d = exp_deep(q);
//               a = exp_a(e16, p, d); b = exp_b(p, d).

/** e16 = 2^(-f / 2^15) / 2 in Q15 of the fractions of eight z lanes. */
// @ts-ignore: decorator
@inline export function exp_e16(z0: v128, z1: v128): v128 {
  const fm = i32x4.splat((1 << EXP_FRAC_BITS) - 1);
  return exp2_frac_e16(i16x8.narrow_i32x4_s(v128.and(z0, fm), v128.and(z1, fm)));
}

/** q = z >> 15 (0..31) of eight z lanes, as int16 lanes. */
// @ts-ignore: decorator
@inline export function exp_q16(z0: v128, z1: v128): v128 {
  return i16x8.narrow_i32x4_s(i32x4.shr_u(z0, EXP_FRAC_BITS), i32x4.shr_u(z1, EXP_FRAC_BITS));
}

/** Lanes with q >= 16. */
// @ts-ignore: decorator
@inline export function exp_deep(q: v128): v128 {
  return i16x8.gt_s(q, i16x8.splat(15));
}

// @ts-ignore: decorator
@inline export function exp_a(e16: v128, p16: v128, deep: v128): v128 {
  return select_mask(q15mul(e16, i16x8.shr_u(p16, 1)), e16, deep);
}

// @ts-ignore: decorator
@inline export function exp_b(p16: v128, deep: v128): v128 {
  return select_mask(i16x8.splat(1), p16, deep);
}

/** Scalar twin of the eight-lane exp (exp_e16 .. exp_b, extmul), one lane, bit-identical. */
// @ts-ignore: decorator
@inline export function exp2_neg_q29(z: i32): i32 {
  const q = z >>> EXP_FRAC_BITS;
  const f = z & ((1 << EXP_FRAC_BITS) - 1);
  const g = C2 + ((f * C3 + 0x4000) >> 15);
  const h = C1 + ((f * g + 0x4000) >> 15);
  const e16 = 16384 + ((f * h + 0x4000) >> 15);
  const p = 1 << (15 - (q & 15));
  return q > 15 ? (e16 * (p >> 1) + 0x4000) >> 15 : e16 * p;
}

/** z for four lanes of 0 <= u <= clip_u (callers clamp u where it can exceed clip_u). */
// @ts-ignore: decorator
@inline export function exp_z_i32x4(u: v128, pre: i32, mul: v128, shift: i32): v128 {
  return i32x4.shr_u(i32x4.mul(i32x4.shr_u(u, pre), mul), shift);
}

/** Scalar twin of exp_z_i32x4. */
// @ts-ignore: decorator
@inline export function exp_z(u: i32, pre: i32, mul: i32, shift: i32): i32 {
  return <i32>(<u32>((u >>> pre) * mul) >>> <u32>shift);
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
    const pre = ep_pre, mul = ep_mul, shift = ep_shift, clipU = ep_clip_u;
    const mul4 = i32x4.splat(mul);
    const negClip4 = i32x4.splat(-clipU);
    const zero4 = i32x4.splat(0);
    const src = x + (<usize>r * <usize>xStride << 2);
    const dst = out + (<usize>r * <usize>outStride << 2);
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const o = <usize>j << 2;
      // u = -max(min(x, 0), -clip_u) in 0..clip_u: no overflow at x = INT32_MIN
      const u0 = i32x4.sub(zero4, i32x4.max_s(i32x4.min_s(v128.load(src + o), zero4), negClip4));
      const u1 = i32x4.sub(zero4, i32x4.max_s(i32x4.min_s(v128.load(src + o, 16), zero4), negClip4));
      const z0 = exp_z_i32x4(u0, pre, mul4, shift);
      const z1 = exp_z_i32x4(u1, pre, mul4, shift);
      const e16 = exp_e16(z0, z1);
      const q = exp_q16(z0, z1);
      const p16 = pow2_p16(q);
      const deep = exp_deep(q);
      const a = exp_a(e16, p16, deep);
      const b = exp_b(p16, deep);
      v128.store(dst + o, i32x4.extmul_low_i16x8_u(a, b));
      v128.store(dst + o, i32x4.extmul_high_i16x8_u(a, b), 16);
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const v = load<i32>(src + o);
      const u = -max(min(v, 0), -clipU);
      store<i32>(dst + o, exp2_neg_q29(exp_z(u, pre, mul, shift)));
    }
  }
}
