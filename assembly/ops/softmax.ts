// DI-ClippedSoftmax over attention rows. Integer arithmetic only. Scalar TypeScript reference:
// bindings/ops/softmax.ref.ts (tests compare exactly, both builds).
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
// also keeps u within int32); e = DI-Exp(u) in Q29 (assembly/ops/exp.ts); sum in 64-bit lanes
// (>= 2^29, the max element contributes exactly 2^29); one reciprocal per row, nb = bitlength(sum):
//   R = floor(2^(nb + 15) / sum)  in (2^15, 2^16],   a = max(14, nb - B - 16),   K = nb + 15 - a - B
//   q = min( floor((round(e / 2^a) * R + 2^(K-1)) / 2^K), 2^B - 1 )          B = 8 or 15
// i.e. q ~ 2^B * e / sum in 32-bit lanes (the product stays below 2^32): the reciprocal's 16 bits and the
// rounding of e to 15 bits cost at most about one unit of 2^-15.

import {
  exp_params, ep_pre, ep_mul, ep_shift, ep_clip_u,
  exp_z_i32x4, exp_z, exp_e16, exp_q16, pow2_p16, exp_deep, exp_a, exp_b, exp2_neg_q29,
} from "./exp";
import { bitlength_i64 } from "../common/intmath";
import { hmax_i32x4 } from "../common/simd";

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
    let mxa = i32x4.splat(i32.MIN_VALUE);
    let mxb = i32x4.splat(i32.MIN_VALUE);
    let j = 0;
    for (; j + 8 <= len; j += 8) {
      mxa = i32x4.max_s(mxa, v128.load(src + (<usize>j << 2)));
      mxb = i32x4.max_s(mxb, v128.load(src + (<usize>j << 2), 16));
    }
    let mx = hmax_i32x4(i32x4.max_s(mxa, mxb));
    for (; j < len; j++) mx = max(mx, load<i32>(src + (<usize>j << 2)));

    // 2. exponentials (Q29) into scratch, and their sum
    const si = <usize>(r * scaleStep) << 2;
    exp_params(load<i32>(scaleM + si), load<i32>(scaleK + si));
    const pre = ep_pre, mul = ep_mul, shift = ep_shift, clipU = ep_clip_u;
    const mul4 = i32x4.splat(mul);
    let lo64 = <i64>mx - <i64>clipU;
    if (lo64 < <i64>i32.MIN_VALUE) lo64 = <i64>i32.MIN_VALUE;
    const lo = <i32>lo64;
    const lo4 = i32x4.splat(lo);
    const mxv = i32x4.splat(mx);
    let acc0 = i64x2.splat(0);
    let acc1 = i64x2.splat(0);
    // pointer-stepped loop (fewer scalar ops per iteration than indexing)
    const vecEnd = <usize>(len & ~7) << 2;
    for (let o: usize = 0; o < vecEnd; o += 32) {
      // u = max - max(x, max - clip_u) is within 0..clip_u
      const z0 = exp_z_i32x4(i32x4.sub(mxv, i32x4.max_s(v128.load(src + o), lo4)), pre, mul4, shift);
      const z1 = exp_z_i32x4(i32x4.sub(mxv, i32x4.max_s(v128.load(src + o, 16), lo4)), pre, mul4, shift);
      const e16 = exp_e16(z0, z1);
      const q = exp_q16(z0, z1);
      const p16 = pow2_p16(q);
      const deep = exp_deep(q);
      const ea = exp_a(e16, p16, deep);
      const eb = exp_b(p16, deep);
      const e0 = i32x4.extmul_low_i16x8_u(ea, eb);
      const e1 = i32x4.extmul_high_i16x8_u(ea, eb);
      v128.store(scratch + o, e0);
      v128.store(scratch + o, e1, 16);
      const pair = i32x4.add(e0, e1); // <= 2^30
      acc0 = i64x2.add(acc0, i64x2.extend_low_i32x4_u(pair));
      acc1 = i64x2.add(acc1, i64x2.extend_high_i32x4_u(pair));
    }
    j = len & ~7;
    const accs = i64x2.add(acc0, acc1);
    let sum = i64x2.extract_lane(accs, 0) + i64x2.extract_lane(accs, 1);
    for (; j < len; j++) {
      const o = <usize>j << 2;
      const u = mx - max(load<i32>(src + o), lo);
      const e = exp2_neg_q29(exp_z(u, pre, mul, shift));
      store<i32>(scratch + o, e);
      sum += <i64>e;
    }

    // 3. one reciprocal per row, then q = min(round(e * 2^B / sum), 2^B - 1) in 32-bit lanes:
    //    R = floor(2^(nb + 15) / sum) in (2^15, 2^16], q = ((e >> a) * R + 2^(K-1)) >> K
    const nb = bitlength_i64(sum); // >= 30
    const recip = <i32>((<i64>1 << (nb + 15)) / sum);
    let a = nb - bits - 16;
    if (a < 14) a = 14;
    const k = nb + 15 - a - bits; // 16..31
    const recip4 = i32x4.splat(recip);
    const round4 = i32x4.splat(1 << (k - 1));
    const ehalf4 = i32x4.splat(1 << (a - 1));
    j = 0;
    if (bytesPer == 1) {
      for (; j + 16 <= len; j += 16) {
        const o = scratch + (<usize>j << 2);
        const q0 = i32x4.sub(i32x4.shr_u(i32x4.add(i32x4.mul(i32x4.shr_u(i32x4.add(v128.load(o), ehalf4), a), recip4), round4), k), bias4);
        const q1 = i32x4.sub(i32x4.shr_u(i32x4.add(i32x4.mul(i32x4.shr_u(i32x4.add(v128.load(o, 16), ehalf4), a), recip4), round4), k), bias4);
        const q2 = i32x4.sub(i32x4.shr_u(i32x4.add(i32x4.mul(i32x4.shr_u(i32x4.add(v128.load(o, 32), ehalf4), a), recip4), round4), k), bias4);
        const q3 = i32x4.sub(i32x4.shr_u(i32x4.add(i32x4.mul(i32x4.shr_u(i32x4.add(v128.load(o, 48), ehalf4), a), recip4), round4), k), bias4);
        const w0 = i16x8.narrow_i32x4_s(q0, q1);
        const w1 = i16x8.narrow_i32x4_s(q2, q3);
        v128.store(dst + <usize>j, bias != 0 ? i8x16.narrow_i16x8_s(w0, w1) : i8x16.narrow_i16x8_u(w0, w1));
      }
    } else {
      const vecEnd16 = <usize>(len & ~7) << 2;
      for (let o: usize = 0; o < vecEnd16; o += 32) {
        const q0 = i32x4.shr_u(i32x4.add(i32x4.mul(i32x4.shr_u(i32x4.add(v128.load(scratch + o), ehalf4), a), recip4), round4), k);
        const q1 = i32x4.shr_u(i32x4.add(i32x4.mul(i32x4.shr_u(i32x4.add(v128.load(scratch + o, 16), ehalf4), a), recip4), round4), k);
        v128.store(dst + (o >> 1), i16x8.narrow_i32x4_s(q0, q1));
      }
      j = len & ~7;
    }
    for (; j < len; j++) {
      const e = <u32>load<i32>(scratch + (<usize>j << 2));
      let q = <i32>((((e + (<u32>1 << <u32>(a - 1))) >> <u32>a) * <u32>recip + (<u32>1 << <u32>(k - 1))) >> <u32>k);
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
