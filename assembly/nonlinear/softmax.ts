// DI-ClippedSoftmax over attention rows. Integer arithmetic only. Scalar TypeScript reference:
// bindings/ops/softmax-reference.ts (tests compare exactly, both builds).
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// Input:  scores [rows, n] int32 (row stride scoreStride), real score = x * m_r / 2^k_r; the scale arrays
//         scaleM/scaleK (int32) are read at r * scaleStep (0: one scale for every row).
//         Row r uses only its first len_r = clamp(valid0 + r * validStep, 0, n) columns (causal masking:
//         prefill of T new tokens after P cached ones is valid0 = P + 1, validStep = 1; no mask is
//         valid0 = n, validStep = 0). Columns >= len_r get probability 0; a row with len_r = 0 is all 0.
// Output: probabilities [rows, n] with a fixed scale, row stride outStride (elements):
//         outFormat 0: uint8,  p ~ q / 2^8,          q in 0..255   (p = 1 saturates at 255)
//         outFormat 1: int8,   p ~ (q + 128) / 2^8,  q in -128..127 (the uint8 code minus 128, i.e. an
//                      int8 activation with dyadic scale 1/2^8 and zero point -128 for the P x V matmul)
//         outFormat 2: uint16, p ~ q / 2^15,         q in 0..32767 (also a valid int16 for dot_i16x8)
// Scratch: int32 [n] (one row of exponentials), any 16-byte-aligned offset.
//
// ── Method ───────────────────────────────────────────────────────────────────────────────────────
// max over the valid columns; u = max - max(x, max - clip_u) >= 0 (clipping 16 nats below the max, which
// also keeps u within int32); e = DI-Exp(u) in Q30 (assembly/nonlinear/exp.ts); sum in 64-bit lanes
// (>= 2^30, the max element contributes exactly 2^30); one reciprocal per row
//   R = floor(2^60 / (sum >> (bitlength(sum) - 31)))        in (2^29, 2^30]
//   q = min( round_half_up(e * R / 2^(bitlength(sum) + 29 - B)), 2^B - 1 )     B = 8 or 15
// i.e. q ~ 2^B * e / sum with a relative error of the reciprocal below 2^-29.

import { mul_dyadic_i32x4, rshift_round_i64 } from "../dyadic";
import {
  exp_params, ep_pre, ep_mul, ep_half, ep_shift, ep_clip_u,
  exp_z_i32x4, exp_z, exp2_neg_q30_i32x4, exp2_neg_q30,
} from "./exp";

// @ts-ignore: decorator
@inline function bitlength_i64(x: i64): i32 {
  return 64 - <i32>clz<i64>(x);
}

// @ts-ignore: decorator
@inline function hmax_i32x4(v: v128): i32 {
  const a = max(i32x4.extract_lane(v, 0), i32x4.extract_lane(v, 1));
  const b = max(i32x4.extract_lane(v, 2), i32x4.extract_lane(v, 3));
  return max(a, b);
}

/** Writes `count` zero elements of `bytesPer` bytes at dst. */
// @ts-ignore: decorator
@inline function zero_fill(dst: usize, count: i32, bytesPer: i32): void {
  if (count > 0) memory.fill(dst, 0, <usize>count * <usize>bytesPer);
}

export function di_softmax_rows(
  scores: usize, rows: i32, n: i32, scoreStride: i32,
  scaleM: usize, scaleK: usize, scaleStep: i32,
  valid0: i32, validStep: i32,
  out: usize, outStride: i32, outFormat: i32,
  scratch: usize,
): void {
  const bits = outFormat == 2 ? 15 : 8;
  const bytesPer = outFormat == 2 ? 2 : 1;
  const qmax = (1 << bits) - 1;
  const qmax4 = i32x4.splat(qmax);
  const bias = outFormat == 1 ? 128 : 0;
  const bias4 = i32x4.splat(bias);
  for (let r = 0; r < rows; r++) {
    const src = scores + (<usize>r * <usize>scoreStride << 2);
    const dst = out + <usize>r * <usize>outStride * <usize>bytesPer;
    let len64 = <i64>valid0 + <i64>r * <i64>validStep;
    if (len64 > <i64>n) len64 = <i64>n;
    if (len64 <= 0) {
      if (outFormat == 1) memory.fill(dst, 0x80, <usize>n);
      else zero_fill(dst, n, bytesPer);
      continue;
    }
    const len = <i32>len64;

    // 1. the row max over the valid columns
    let mx4 = i32x4.splat(i32.MIN_VALUE);
    let j = 0;
    for (; j + 4 <= len; j += 4) mx4 = i32x4.max_s(mx4, v128.load(src + (<usize>j << 2)));
    let mx = hmax_i32x4(mx4);
    for (; j < len; j++) mx = max(mx, load<i32>(src + (<usize>j << 2)));

    // 2. exponentials into scratch, and their sum
    const si = <usize>(r * scaleStep) << 2;
    exp_params(load<i32>(scaleM + si), load<i32>(scaleK + si));
    const pre = ep_pre, mul = ep_mul, half = ep_half, shift = ep_shift, clipU = ep_clip_u;
    const mul4 = i32x4.splat(mul), half4 = i32x4.splat(half), clip4 = i32x4.splat(clipU);
    let lo64 = <i64>mx - <i64>clipU;
    if (lo64 < <i64>i32.MIN_VALUE) lo64 = <i64>i32.MIN_VALUE;
    const lo = <i32>lo64;
    const lo4 = i32x4.splat(lo);
    const mxv = i32x4.splat(mx);
    let acc0 = i64x2.splat(0);
    let acc1 = i64x2.splat(0);
    j = 0;
    for (; j + 4 <= len; j += 4) {
      const o = <usize>j << 2;
      const u = i32x4.sub(mxv, i32x4.max_s(v128.load(src + o), lo4));
      const e = exp2_neg_q30_i32x4(exp_z_i32x4(u, pre, mul4, half4, shift, clip4));
      v128.store(scratch + o, e);
      acc0 = i64x2.add(acc0, i64x2.extend_low_i32x4_u(e));
      acc1 = i64x2.add(acc1, i64x2.extend_high_i32x4_u(e));
    }
    const accs = i64x2.add(acc0, acc1);
    let sum = i64x2.extract_lane(accs, 0) + i64x2.extract_lane(accs, 1);
    for (; j < len; j++) {
      const o = <usize>j << 2;
      const u = mx - max(load<i32>(src + o), lo);
      const e = exp2_neg_q30(exp_z(u, pre, mul, half, shift, clipU));
      store<i32>(scratch + o, e);
      sum += <i64>e;
    }

    // 3. one reciprocal per row, then q = round(e * 2^B / sum)
    const nb = bitlength_i64(sum); // >= 31
    const recip = (<i64>1 << 60) / (sum >> (nb - 31));
    const k = nb + 29 - bits;
    const recip4 = i32x4.splat(<i32>recip);
    j = 0;
    if (bytesPer == 1) {
      for (; j + 16 <= len; j += 16) {
        const o = scratch + (<usize>j << 2);
        const q0 = i32x4.sub(i32x4.min_s(mul_dyadic_i32x4(v128.load(o), recip4, k), qmax4), bias4);
        const q1 = i32x4.sub(i32x4.min_s(mul_dyadic_i32x4(v128.load(o, 16), recip4, k), qmax4), bias4);
        const q2 = i32x4.sub(i32x4.min_s(mul_dyadic_i32x4(v128.load(o, 32), recip4, k), qmax4), bias4);
        const q3 = i32x4.sub(i32x4.min_s(mul_dyadic_i32x4(v128.load(o, 48), recip4, k), qmax4), bias4);
        const w0 = i16x8.narrow_i32x4_s(q0, q1);
        const w1 = i16x8.narrow_i32x4_s(q2, q3);
        v128.store(dst + <usize>j, bias != 0 ? i8x16.narrow_i16x8_s(w0, w1) : i8x16.narrow_i16x8_u(w0, w1));
      }
    } else {
      for (; j + 8 <= len; j += 8) {
        const o = scratch + (<usize>j << 2);
        const q0 = i32x4.min_s(mul_dyadic_i32x4(v128.load(o), recip4, k), qmax4);
        const q1 = i32x4.min_s(mul_dyadic_i32x4(v128.load(o, 16), recip4, k), qmax4);
        v128.store(dst + (<usize>j << 1), i16x8.narrow_i32x4_u(q0, q1));
      }
    }
    for (; j < len; j++) {
      let q = <i32>rshift_round_i64(<i64>load<i32>(scratch + (<usize>j << 2)) * recip, k);
      if (q > qmax) q = qmax;
      q -= bias;
      if (bytesPer == 1) store<u8>(dst + <usize>j, <u8>q);
      else store<u16>(dst + (<usize>j << 1), <u16>q);
    }
    // 4. masked columns
    if (outFormat == 1) {
      if (n > len) memory.fill(dst + <usize>len, 0x80, <usize>(n - len));
    } else {
      zero_fill(dst + <usize>len * <usize>bytesPer, n - len, bytesPer);
    }
  }
}
