// RoPE on int8 q and k with an int16 fixed-point cos/sin table (built at load by
// bindings/ops/rope-table.ts). Integer arithmetic only. Scalar TypeScript reference:
// bindings/ops/rope.ref.ts (tests compare exactly, both builds).
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// Input:  x [rows, heads * headDim] int8 (row stride xStride), per-row (m, k, z) in inM/inK/inZ:
//         x_real = m / 2^k * (x - z) (the DI-MatMul epilogue's output format). A row is one token of
//         the q or k projection (all its heads); pos [rows] int32 gives each row's position.
//         layout 0: adjacent pairs (x[2i], x[2i+1]) as in llama2.c and GGUF;
//         layout 1: half-split pairs (x[i], x[i + headDim/2]) as in Hugging Face.
//         table: int16 [maxPos, headDim, 2]: for position t and element j the pair (C, S) with
//         C = round(cos(t w_i) 2^14), S = +-round(sin(t w_i) 2^14) signed for the element's role, so that
//         rotated[j] = x[j] * C + x[partner(j)] * S for both layouts (partner: the other half of j's pair).
// Output: the rotated rows in the same shape, mode 0: int8 with per-row (m_y, k_y, z_y) (assembly/ops/requant.ts);
//         mode 1: int32 p with per-row (m_a, k_a) = (m, k + 14) (|p| < 2^23). Positions outside
//         [0, maxPos) are clamped (the TypeScript wrapper rejects them first).
// Scratch: int32 [heads * headDim + 4] (16-byte aligned).
//
// Method: p[j] = (x[j] - z) C[j] + (x[partner(j)] - z) S[j] with i32x4.dot_i16x8_s on interleaved
// (x[j], x[partner(j)]) lanes against the interleaved table: 8 elements per pair of dot products.

import { quantize_row_i8, rq_m, rq_k, rq_z } from "./requant";
import { hmin_i32x4, hmax_i32x4 } from "../common/simd";

// @ts-ignore: decorator
@inline function rope_scalar(src: usize, z: i32, tab: usize, j: i32, partner: i32): i32 {
  const a = <i32>load<i8>(src + <usize>j) - z;
  const b = <i32>load<i8>(src + <usize>partner) - z;
  return a * <i32>load<i16>(tab + (<usize>j << 2)) + b * <i32>load<i16>(tab + (<usize>j << 2), 2);
}

/** Outputs 0..3 of eight x lanes (i16) and their partners (i16), against their four table pairs. */
// @ts-ignore: decorator
@inline function rope_lo(x: v128, partner: v128, tab: usize): v128 {
  return i32x4.dot_i16x8_s(i8x16.shuffle(x, partner, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), v128.load(tab));
}

/** Outputs 4..7. */
// @ts-ignore: decorator
@inline function rope_hi(x: v128, partner: v128, tab: usize): v128 {
  return i32x4.dot_i16x8_s(i8x16.shuffle(x, partner, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), v128.load(tab, 16));
}

export function di_rope_rows(
  x: usize, rows: i32, heads: i32, headDim: i32, xStride: i32,
  inM: usize, inK: usize, inZ: usize,
  layout: i32, table: usize, maxPos: i32, pos: usize,
  scratch: usize,
  mode: i32, out: usize, outStride: i32, outM: usize, outK: usize, outZ: usize,
): void {
  const pRow = scratch + 16;
  const width = heads * headDim;
  const halfDim = headDim >> 1;
  const simd = layout == 0 ? (headDim & 7) == 0 : (halfDim & 7) == 0;
  for (let r = 0; r < rows; r++) {
    const ri = <usize>r << 2;
    const src = x + <usize>r * <usize>xStride;
    const z = load<i32>(inZ + ri);
    const z16 = i16x8.splat(<i16>z);
    let t = load<i32>(pos + ri);
    if (t < 0) t = 0;
    if (t >= maxPos) t = maxPos - 1;
    const tab = table + (<usize>t * <usize>headDim << 2);
    let lo4 = i32x4.splat(0);
    let hi4 = i32x4.splat(0);
    for (let h = 0; h < heads; h++) {
      const hs = src + <usize>(h * headDim);
      const hp = pRow + (<usize>(h * headDim) << 2);
      if (simd && layout == 0) {
        for (let j = 0; j < headDim; j += 8) {
          const v = i16x8.sub(v128.load8x8_s(hs + <usize>j), z16);
          const swapped = i8x16.shuffle(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
          const t = tab + (<usize>j << 2);
          const r0 = rope_lo(v, swapped, t);
          const r1 = rope_hi(v, swapped, t);
          v128.store(hp + (<usize>j << 2), r0);
          v128.store(hp + (<usize>j << 2), r1, 16);
          lo4 = i32x4.min_s(lo4, i32x4.min_s(r0, r1));
          hi4 = i32x4.max_s(hi4, i32x4.max_s(r0, r1));
        }
      } else if (simd) {
        for (let j = 0; j < halfDim; j += 8) {
          const a = i16x8.sub(v128.load8x8_s(hs + <usize>j), z16);
          const b = i16x8.sub(v128.load8x8_s(hs + <usize>(j + halfDim)), z16);
          const ta = tab + (<usize>j << 2);
          const tb = tab + (<usize>(j + halfDim) << 2);
          const r0 = rope_lo(a, b, ta);
          const r1 = rope_hi(a, b, ta);
          const r2 = rope_lo(b, a, tb);
          const r3 = rope_hi(b, a, tb);
          v128.store(hp + (<usize>j << 2), r0);
          v128.store(hp + (<usize>j << 2), r1, 16);
          v128.store(hp + (<usize>(j + halfDim) << 2), r2);
          v128.store(hp + (<usize>(j + halfDim) << 2), r3, 16);
          lo4 = i32x4.min_s(lo4, i32x4.min_s(i32x4.min_s(r0, r1), i32x4.min_s(r2, r3)));
          hi4 = i32x4.max_s(hi4, i32x4.max_s(i32x4.max_s(r0, r1), i32x4.max_s(r2, r3)));
        }
      } else {
        for (let j = 0; j < headDim; j++) {
          const partner = layout == 0 ? j ^ 1 : (j < halfDim ? j + halfDim : j - halfDim);
          const p = rope_scalar(hs, z, tab, j, partner);
          store<i32>(hp + (<usize>j << 2), p);
          lo4 = i32x4.min_s(lo4, i32x4.splat(p));
          hi4 = i32x4.max_s(hi4, i32x4.splat(p));
        }
      }
    }

    if (mode == 1) {
      memory.copy(out + (<usize>r * <usize>outStride << 2), pRow, <usize>width << 2);
      store<i32>(outM + ri, load<i32>(inM + ri));
      store<i32>(outK + ri, load<i32>(inK + ri) + 14);
    } else {
      const lo = hmin_i32x4(lo4);
      const hi = hmax_i32x4(hi4);
      quantize_row_i8(pRow, width, lo, hi, load<i32>(inM + ri), load<i32>(inK + ri) + 14, out + <usize>r * <usize>outStride);
      store<i32>(outM + ri, rq_m);
      store<i32>(outK + ri, rq_k);
      store<i32>(outZ + ri, rq_z);
    }
  }
}
