// Integer causal attention over an int8 KV cache: scores, DI-ClippedSoftmax, P x V, and the per-row
// requantization of the heads' outputs for the o projection. Integer arithmetic only. Scalar TypeScript
// reference: bindings/model/integer/attention-reference.ts (tests compare exactly, both builds).
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// q    [rows, nHeads * headDim] int8 (row stride qStride), per-row (m, k, z) in qM/qK/qZ (int32 [rows]):
//      q_real = m / 2^k * (q - z)   -- RoPE's output format (assembly/nonlinear/rope.ts).
// pos  [rows] int32: row r attends to cache positions 0..pos[r] (causal; the caller has already written
//      positions up to pos[r] into the cache).
// kc, vc [maxPos, nKvHeads * headDim] int8 (row stride kvStride), per-position (m, k, z) in
//      kM/kK/kZ and vM/vK/vZ (int32 [maxPos]): the K and V projections' per-token format, RoPE applied to K.
//      Query head h reads KV head h / (nHeads / nKvHeads) (grouped-query attention).
// 1/sqrt(headDim) = cM / 2^cK (cM <= 2^15).
// out  [rows, nHeads * headDim] int8 (row stride outStride) with per-row (m, k, z) in outM/outK/outZ.
// Scratch (16-byte aligned): int32 [3 * (maxLen + 4)] + int64 [maxLen + 2] + int64 [nHeads * headDim]
//      + int32 [nHeads * headDim + 8], maxLen = max(pos) + 1 (attentionScratchBytes() in
//      bindings/model/integer/attention.ts computes it).
//
// ── Method, per row r and head h, over the len = pos[r] + 1 visible positions s ──────────────────
// acc_s = sum_d (q_d - z_q) (k_s,d - z_k,s)                                 exact int32
// t_s   = round(acc_s * m_k,s / 2^(k_k,s - Kr)),  Kr = min_s k_k,s          int64, one exponent per row
// x_s   = round(t_s / 2^sh)  (sh may be negative: a left shift) so that max|x| lands in [2^29, 2^30)
// real score = x_s * M_row / 2^K_row with M_row = round((m_q * cM) / 2^u) < 2^31 and
//      K_row = k_q + cK + Kr - sh - u; then di_softmax_rows gives P_s in Q15 (uint16 format).
// c_s   = round(P_s * m_v,s / 2^(k_v,s - Vr)),  Vr = min_s k_v,s            int64
// o_d   = sum_s c_s (v_s,d - z_v,s)                                        int64, real o_d * 2^-(15 + Vr)
// The row's heads share that scale (Vr depends only on the row's positions), so the row [nHeads*headDim]
// is brought to |p| < 2^30 by one shift and quantized with quantize_row_i8.

import { rshift_round_i64 } from "./dyadic";
import { di_softmax_rows } from "./nonlinear/softmax";
import { quantize_row_i8, rq_m, rq_k, rq_z } from "./nonlinear/requant";

const P_BITS: i32 = 30; // row values are normalised into [2^(P_BITS-1), 2^P_BITS)

// @ts-ignore: decorator
@inline function bitlength_u64(x: u64): i32 {
  return 64 - <i32>clz<u64>(x);
}

/** round(x / 2^s) for any s: a left shift when s < 0 (callers keep the result within 2^62). */
// @ts-ignore: decorator
@inline function shift_round(x: i64, s: i32): i64 {
  if (s <= 0) return x << (-s);
  if (s > 62) return 0;
  return rshift_round_i64(x, s);
}

/** The shift that brings max |x| = mx into [2^(bits-1), 2^bits) (0 when mx = 0). */
// @ts-ignore: decorator
@inline function normalising_shift(mx: u64, bits: i32): i32 {
  return mx == 0 ? 0 : bitlength_u64(mx) - bits;
}

// @ts-ignore: decorator
@inline function abs_i64(x: i64): u64 {
  return <u64>(x < 0 ? -x : x);
}

export function di_attention_rows(
  q: usize, rows: i32, qStride: i32, qM: usize, qK: usize, qZ: usize,
  pos: usize,
  kc: usize, vc: usize, kvStride: i32,
  kM: usize, kK: usize, kZ: usize, vM: usize, vK: usize, vZ: usize,
  nHeads: i32, nKvHeads: i32, headDim: i32,
  cM: i32, cK: i32,
  scratch: usize, maxLen: i32,
  out: usize, outStride: i32, outM: usize, outK: usize, outZ: usize,
): void {
  const width = nHeads * headDim;
  const group = nHeads / nKvHeads;
  const lenCap = <usize>((maxLen + 7) & ~3) << 2; // keeps each scratch part 16-byte aligned
  const scores = scratch; // int32 [maxLen]
  const probs = scores + lenCap; // uint16 [maxLen]
  const expScratch = probs + lenCap; // int32 [maxLen]
  const tBuf = expScratch + lenCap; // int64 [maxLen] rescaled scores before normalisation
  const rowAcc = tBuf + (<usize>(maxLen + 2) << 3); // int64 [width] P x V of every head of the row
  const rowP = rowAcc + (<usize>width << 3); // int32 [width]
  const rowScale = rowP + (<usize>(width + 4) << 2); // int32 [2]: the row's score scale (m, k)

  for (let r = 0; r < rows; r++) {
    const ri = <usize>r << 2;
    const len = load<i32>(pos + ri) + 1;
    const qRow = q + <usize>r * <usize>qStride;
    const zq = load<i32>(qZ + ri);
    const mq = <i64>load<i32>(qM + ri);
    const kq = load<i32>(qK + ri);

    // Row-wide reference exponents over the visible positions.
    let kr = load<i32>(kK);
    let vr = load<i32>(vK);
    for (let s = 1; s < len; s++) {
      kr = min(kr, load<i32>(kK + (<usize>s << 2)));
      vr = min(vr, load<i32>(vK + (<usize>s << 2)));
    }
    const prod = mq * <i64>cM;
    const u = max(0, bitlength_u64(<u64>prod) - 31);
    const mRow = <i32>rshift_round_i64(prod, u);

    for (let h = 0; h < nHeads; h++) {
      const qh = qRow + <usize>(h * headDim);
      const kvOff = <usize>((h / group) * headDim);

      // scores: exact dot products, then one exponent for the row
      let mx: u64 = 0;
      for (let s = 0; s < len; s++) {
        const si = <usize>s << 2;
        const kRow = kc + <usize>s * <usize>kvStride + kvOff;
        const zk = load<i32>(kZ + si);
        let acc: i32 = 0;
        for (let d = 0; d < headDim; d++) {
          acc += (<i32>load<i8>(qh + <usize>d) - zq) * (<i32>load<i8>(kRow + <usize>d) - zk);
        }
        const t = shift_round(<i64>acc * <i64>load<i32>(kM + si), load<i32>(kK + si) - kr);
        store<i64>(tBuf + (<usize>s << 3), t);
        mx = max(mx, abs_i64(t));
      }
      const sh = normalising_shift(mx, P_BITS);
      for (let s = 0; s < len; s++) {
        store<i32>(scores + (<usize>s << 2), <i32>shift_round(load<i64>(tBuf + (<usize>s << 3)), sh));
      }
      store<i32>(rowScale, mRow);
      store<i32>(rowScale, kq + cK + kr - sh - u, 4);
      di_softmax_rows(scores, 1, len, len, rowScale, rowScale + 4, 0, len, 0, probs, len, 2, expScratch);

      // P x V for this head, into rowAcc [h * headDim, (h + 1) * headDim)
      const accH = rowAcc + (<usize>(h * headDim) << 3);
      for (let d = 0; d < headDim; d++) store<i64>(accH + (<usize>d << 3), 0);
      for (let s = 0; s < len; s++) {
        const si = <usize>s << 2;
        const p = <i64>load<u16>(probs + (<usize>s << 1));
        if (p == 0) continue;
        const c = shift_round(p * <i64>load<i32>(vM + si), load<i32>(vK + si) - vr);
        const vRow = vc + <usize>s * <usize>kvStride + kvOff;
        const zv = load<i32>(vZ + si);
        for (let d = 0; d < headDim; d++) {
          const at = accH + (<usize>d << 3);
          store<i64>(at, load<i64>(at) + c * <i64>(<i32>load<i8>(vRow + <usize>d) - zv));
        }
      }
    }
    // The row's heads -> int32 p with |p| < 2^30 -> int8 with (m, k, z).
    let omx: u64 = 0;
    for (let j = 0; j < width; j++) omx = max(omx, abs_i64(load<i64>(rowAcc + (<usize>j << 3))));
    const sh2 = normalising_shift(omx, P_BITS - 1);
    let lo: i32 = 0;
    let hi: i32 = 0;
    for (let j = 0; j < width; j++) {
      const p = <i32>shift_round(load<i64>(rowAcc + (<usize>j << 3)), sh2);
      store<i32>(rowP + (<usize>j << 2), p);
      lo = min(lo, p);
      hi = max(hi, p);
    }
    quantize_row_i8(rowP, width, lo, hi, 1, 15 + vr - sh2, out + <usize>r * <usize>outStride);
    store<i32>(outM + ri, rq_m);
    store<i32>(outK + ri, rq_k);
    store<i32>(outZ + ri, rq_z);
  }
}
