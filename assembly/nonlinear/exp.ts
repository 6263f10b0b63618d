// DI-Exp: exp of non-positive integers with a dyadic input scale, by shifts and a short polynomial.
// Integer arithmetic only. Shared by softmax (assembly/nonlinear/softmax.ts) and the sigmoid of SiLU
// (assembly/nonlinear/silu.ts). The scalar TypeScript reference is bindings/ops/exp-reference.ts.
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// Input: u >= 0 (int32), the distance below zero, so the real input is  x = -u * s  with the dyadic
// scale s = m / 2^k (m >= 1, k any sign; accuracy is specified for s in [2^-30, 2^12]).
// Output: e (int32) ~ exp(-u * s) * 2^30 (Q30), e in [0, 2^30], e = 2^30 exactly at u = 0.
// Clipping: inputs below -EXP_CLIP_NATS (16) are clipped there (exp(-16) = 1.1e-7 of the maximum).
//
// ── Method ───────────────────────────────────────────────────────────────────────────────────────
// exp(-u s) = 2^(-z) with z = u * s * log2(e). Per row (scalar, once), exp_params turns (m, k) into an
// integer multiplier for z in Q15 (EXP_FRAC_BITS fraction bits):
//   z = min( ((u >> pre) * mul + half) >>> shift , EXP_CLIP_Z ),   u first clamped to u <= clip_u
// with (clip_u >> pre) < 2^16 and mul <= 2^15 (or a larger mul when clip_u is tiny), so
// (clip_u >> pre) * mul < 2^31 and every lane stays within 32 bits (i32x4.mul, no 64-bit lanes).
// Then z = q + f / 2^15 splits into an integer shift q (0..23) and a fraction f, and
//   2^(-f/2^15) ~ 1 + f (C1 + f (C2 + f C3))   (cubic, p(0) = 1 and p(1) ~ 1/2 so octaves join; Q15
//                                               Horner steps, result in Q30; max relative error 1.5e-4)
//   e = p >> q  (a per-lane shift: wasm SIMD has only a scalar shift count, so the five bits of q each
//                select between e and e >> 2^bit).
// log2(e) enters as LOG2E_Q30 = round(log2(e) * 2^30) multiplied into m, so the scale never leaves
// integers. The derivation below is integer-only too, so dynamic per-row scales work inside wasm.

import { rshift_round_i64 } from "../dyadic";

/** Fraction bits of z (the exponent in octaves). */
export const EXP_FRAC_BITS: i32 = 15;
/** exp(0) in the output format (Q30). */
export const EXP_ONE: i32 = 1 << 30;
/** round(log2(e) * 2^30). */
const LOG2E_Q30: i64 = 1549082005;
/** The clip, 16 nats below the maximum, in z units: round(16 * log2(e) * 2^15). */
export const EXP_CLIP_Z: i32 = 756388;
// Cubic for 2^-f on [0, 1), coefficients in Q15 (fitted for minimax relative error with p(1) = 1/2).
const C1: i32 = -22657;
const C2: i32 = 7555;
const C3: i32 = -1282;

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

/** 2^(-z / 2^15) in Q30 for z in [0, EXP_CLIP_Z], four lanes. */
// @ts-ignore: decorator
@inline export function exp2_neg_q30_i32x4(z: v128): v128 {
  const q = i32x4.shr_u(z, EXP_FRAC_BITS);
  const f = v128.and(z, i32x4.splat((1 << EXP_FRAC_BITS) - 1));
  const g = i32x4.add(i32x4.splat(C2), i32x4.shr_s(i32x4.mul(f, i32x4.splat(C3)), 15));
  const h = i32x4.add(i32x4.splat(C1), i32x4.shr_s(i32x4.mul(f, g), 15));
  let e = i32x4.add(i32x4.splat(EXP_ONE), i32x4.mul(f, h));
  // e >> q lane by lane, q in 0..23: one conditional shift per bit of q
  e = v128.bitselect(i32x4.shr_u(e, 1), e, i32x4.shr_s(i32x4.shl(q, 31), 31));
  e = v128.bitselect(i32x4.shr_u(e, 2), e, i32x4.shr_s(i32x4.shl(q, 30), 31));
  e = v128.bitselect(i32x4.shr_u(e, 4), e, i32x4.shr_s(i32x4.shl(q, 29), 31));
  e = v128.bitselect(i32x4.shr_u(e, 8), e, i32x4.shr_s(i32x4.shl(q, 28), 31));
  e = v128.bitselect(i32x4.shr_u(e, 16), e, i32x4.shr_s(i32x4.shl(q, 27), 31));
  return e;
}

/** Scalar twin of exp2_neg_q30_i32x4, bit-identical. */
// @ts-ignore: decorator
@inline export function exp2_neg_q30(z: i32): i32 {
  const q = z >>> EXP_FRAC_BITS;
  const f = z & ((1 << EXP_FRAC_BITS) - 1);
  const g = C2 + ((f * C3) >> 15);
  const h = C1 + ((f * g) >> 15);
  return <i32>(<u32>(EXP_ONE + f * h) >>> <u32>q);
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
 * DI-Exp over rows: x [rows, n] int32 (row stride xStride) -> e [rows, n] int32 Q30 (row stride
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
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      // u = -max(min(x, 0), -clip_u): no overflow at x = INT32_MIN
      const u = i32x4.sub(zero4, i32x4.max_s(i32x4.min_s(v128.load(src + o), zero4), negClip4));
      v128.store(dst + o, exp2_neg_q30_i32x4(exp_z_i32x4(u, pre, mul4, half4, shift, clip4)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const v = load<i32>(src + o);
      const u = -max(min(v, 0), -clipU);
      store<i32>(dst + o, exp2_neg_q30(exp_z(u, pre, mul, half, shift, clipU)));
    }
  }
}
