// RoPE on int8 q and k with an int16 fixed-point cos/sin table (built at load by
// bindings/ops/rope-table.ts). Integer arithmetic only. Scalar TypeScript reference:
// bindings/ops/rope-reference.ts (tests compare exactly, both builds).
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
// Output: the rotated rows in the same shape, mode 0: int8 with per-row (m_y, k_y, z_y) (assembly/nonlinear/requant.ts);
//         mode 1: int32 p with per-row (m_a, k_a) = (m, k + 14) (|p| < 2^23). Positions outside
//         [0, maxPos) are clamped (the TypeScript wrapper rejects them first).
// Scratch: int32 [heads * headDim + 4] (16-byte aligned).
//
// Method: p[j] = (x[j] - z) C[j] + (x[partner(j)] - z) S[j] with i32x4.dot_i16x8_s on interleaved
// (x[j], x[partner(j)]) lanes against the interleaved table: 8 elements per pair of dot products.

import { quantize_row_i8, rq_m, rq_k, rq_z } from "./requant";

// @ts-ignore: decorator
@inline function rope_scalar(src: usize, z: i32, tab: usize, j: i32, partner: i32): i32 {
  const a = <i32>load<i8>(src + <usize>j) - z;
  const b = <i32>load<i8>(src + <usize>partner) - z;
  return a * <i32>load<i16>(tab + (<usize>j << 2)) + b * <i32>load<i16>(tab + (<usize>j << 2), 2);
}

/** Eight outputs from eight x lanes (i16) and their partners (i16); table pairs for those eight. */
// @ts-ignore: decorator
@inline function rope8(x: v128, partner: v128, tab: usize, dst: usize): void {
  const lo = i8x16.shuffle(x, partner, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
  const hi = i8x16.shuffle(x, partner, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
  v128.store(dst, i32x4.dot_i16x8_s(lo, v128.load(tab)));
  v128.store(dst, i32x4.dot_i16x8_s(hi, v128.load(tab, 16)), 16);
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
    for (let h = 0; h < heads; h++) {
      const hs = src + <usize>(h * headDim);
      const hp = pRow + (<usize>(h * headDim) << 2);
      if (simd && layout == 0) {
        for (let j = 0; j < headDim; j += 8) {
          const v = i16x8.sub(v128.load8x8_s(hs + <usize>j), z16);
          const swapped = i8x16.shuffle(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
          rope8(v, swapped, tab + (<usize>j << 2), hp + (<usize>j << 2));
        }
      } else if (simd) {
        for (let j = 0; j < halfDim; j += 8) {
          const a = i16x8.sub(v128.load8x8_s(hs + <usize>j), z16);
          const b = i16x8.sub(v128.load8x8_s(hs + <usize>(j + halfDim)), z16);
          rope8(a, b, tab + (<usize>j << 2), hp + (<usize>j << 2));
          rope8(b, a, tab + (<usize>(j + halfDim) << 2), hp + (<usize>(j + halfDim) << 2));
        }
      } else {
        for (let j = 0; j < headDim; j++) {
          const partner = layout == 0 ? j ^ 1 : (j < halfDim ? j + halfDim : j - halfDim);
          store<i32>(hp + (<usize>j << 2), rope_scalar(hs, z, tab, j, partner));
        }
      }
    }

    if (mode == 1) {
      memory.copy(out + (<usize>r * <usize>outStride << 2), pRow, <usize>width << 2);
      store<i32>(outM + ri, load<i32>(inM + ri));
      store<i32>(outK + ri, load<i32>(inK + ri) + 14);
    } else {
      let lo4 = i32x4.splat(0);
      let hi4 = i32x4.splat(0);
      let j = 0;
      for (; j + 4 <= width; j += 4) {
        const p = v128.load(pRow + (<usize>j << 2));
        lo4 = i32x4.min_s(lo4, p);
        hi4 = i32x4.max_s(hi4, p);
      }
      let lo = min(min(i32x4.extract_lane(lo4, 0), i32x4.extract_lane(lo4, 1)), min(i32x4.extract_lane(lo4, 2), i32x4.extract_lane(lo4, 3)));
      let hi = max(max(i32x4.extract_lane(hi4, 0), i32x4.extract_lane(hi4, 1)), max(i32x4.extract_lane(hi4, 2), i32x4.extract_lane(hi4, 3)));
      for (; j < width; j++) {
        const p = load<i32>(pRow + (<usize>j << 2));
        lo = min(lo, p);
        hi = max(hi, p);
      }
      quantize_row_i8(pRow, width, lo, hi, load<i32>(inM + ri), load<i32>(inK + ri) + 14, out + <usize>r * <usize>outStride);
      store<i32>(outM + ri, rq_m);
      store<i32>(outK + ri, rq_k);
      store<i32>(outZ + ri, rq_z);
    }
  }
}
