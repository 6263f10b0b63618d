// Block-sparse x dense product, blocks of 1 output channel x 16 along K (layout: bindings/sparse/format.ts).
// Same contract as spmm_4x16.ts (int32 accumulators through epilogue stage 1, range4 scratch of 32 bytes
// per row, rowZero read 4 rows at a time within M); the finer block
// prunes closer to unstructured sparsity at the price of more index bytes per weight and no sharing of
// activation loads across output channels. To compensate, four activation rows share each weight load.
//
// int8 blocks are 16 bytes; int4 blocks are 8 bytes, byte j holding k = j in its low nibble and
// k = j + 8 in its high nibble (two's complement).
// Register budget: 4 accumulators + 2 widened weight halves + activation loads folded into the dots.

import { hsum1, hsum4 } from "../common/simd";
import { chunkEnd, lowNibble16, highNibble16 } from "./reduce";
import { di_rescale_i32, di_rescale_i32x4 } from "../gemm/epilogue";

/** Activation rows per tile: four rows share every weight load. */
const M_TILE: i32 = 4;

// @ts-ignore: decorator
@inline function dot16(acc: v128, w: v128, x: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(w, x));
}

/**
 * Fused store of output column n for activation rows i..i+3 (lanes = rows): DI-MatMul stage 1
 * (assembly/gemm/epilogue.ts) and the running (min, max) of each row, kept in range4 as lo [Mp] then hi [Mp].
 */
// @ts-ignore: decorator
@inline function storeCol4(
  out: usize, outRow: usize, i: i32, n: i32, acc: v128, rowZero: usize, ws: i32, mt: i32, shift: i32, lo: usize, hi: usize,
): void {
  const r = <usize>i << 2;
  const p = di_rescale_i32x4(acc, v128.load(rowZero + r), i32x4.splat(ws), i32x4.splat(mt), shift);
  const at = out + <usize>i * outRow + (<usize>n << 2);
  store<i32>(at, i32x4.extract_lane(p, 0));
  store<i32>(at + outRow, i32x4.extract_lane(p, 1));
  store<i32>(at + 2 * outRow, i32x4.extract_lane(p, 2));
  store<i32>(at + 3 * outRow, i32x4.extract_lane(p, 3));
  v128.store(lo + r, i32x4.min_s(v128.load(lo + r), p));
  v128.store(hi + r, i32x4.max_s(v128.load(hi + r), p));
}

// @ts-ignore: decorator
@inline function spmm1x16Dot16(
  a: usize, aStride: i32, M: i32, rowptr: usize, colidx: usize, values: usize, N: i32,
  rowZero: usize, wsum: usize, mant: usize, shift: i32, out: usize, outStride: i32, rowRange: usize, range4: usize, int4: bool,
): void {
  const blockBytes: usize = int4 ? 8 : 16;
  const aRow = <usize>aStride; // int8 elements
  const outRow = <usize>outStride << 2;
  // Row ranges: lo [Mp] and hi [Mp] int32 in range4 (Mp = M rounded up to 4, so 4-row tiles load whole
  // vectors; the caller sizes range4 at 32 bytes a row like the 4x16 kernels).
  const Mp = (M + 3) & ~3;
  const lo = range4, hi = range4 + (<usize>Mp << 2);
  memory.fill(range4, 0, <usize>Mp << 3);
  for (let c0 = 0; c0 < N; ) {
    const c1 = chunkEnd(rowptr, c0, N, blockBytes);
    for (let m0 = 0; m0 < M; m0 += M_TILE) {
      const m1 = min(m0 + M_TILE, M);
      for (let n = c0; n < c1; n++) {
        const p0 = load<i32>(rowptr + (<usize>n << 2));
        const p1 = load<i32>(rowptr + (<usize>n << 2), 4);
        const ws = load<i32>(wsum + (<usize>n << 2)), mt = load<i32>(mant + (<usize>n << 2));
        let i = m0;
        for (; i + 4 <= m1; i += 4) {
          const ar0 = a + <usize>i * aRow;
          const ar1 = ar0 + aRow, ar2 = ar1 + aRow, ar3 = ar2 + aRow;
          let c0 = i32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
          for (let p = p0; p < p1; p++) {
            const col = <usize>load<u16>(colidx + (<usize>p << 1)) << 4;
            const wp = values + <usize>p * blockBytes;
            let wl: v128, wh: v128;
            if (int4) {
              const b = v128.load8x8_s(wp); // byte j: k = j (low nibble), k = j + 8 (high)
              wl = lowNibble16(b);
              wh = highNibble16(b);
            } else {
              wl = v128.load8x8_s(wp);
              wh = v128.load8x8_s(wp, 8);
            }
            c0 = dot16(dot16(c0, wl, v128.load8x8_s(ar0 + col)), wh, v128.load8x8_s(ar0 + col, 8));
            c1 = dot16(dot16(c1, wl, v128.load8x8_s(ar1 + col)), wh, v128.load8x8_s(ar1 + col, 8));
            c2 = dot16(dot16(c2, wl, v128.load8x8_s(ar2 + col)), wh, v128.load8x8_s(ar2 + col, 8));
            c3 = dot16(dot16(c3, wl, v128.load8x8_s(ar3 + col)), wh, v128.load8x8_s(ar3 + col, 8));
          }
          storeCol4(out, outRow, i, n, hsum4(c0, c1, c2, c3), rowZero, ws, mt, shift, lo, hi);
        }
        for (; i < m1; i++) {
          const ar0 = a + <usize>i * aRow;
          let c0 = i32x4.splat(0);
          for (let p = p0; p < p1; p++) {
            const col = <usize>load<u16>(colidx + (<usize>p << 1)) << 4;
            const wp = values + <usize>p * blockBytes;
            let wl: v128, wh: v128;
            if (int4) {
              const b = v128.load8x8_s(wp); // byte j: k = j (low nibble), k = j + 8 (high)
              wl = lowNibble16(b);
              wh = highNibble16(b);
            } else {
              wl = v128.load8x8_s(wp);
              wh = v128.load8x8_s(wp, 8);
            }
            c0 = dot16(dot16(c0, wl, v128.load8x8_s(ar0 + col)), wh, v128.load8x8_s(ar0 + col, 8));
          }
          const r = <usize>i << 2;
          const p = di_rescale_i32(hsum1(c0), load<i32>(rowZero + r), ws, mt, shift);
          store<i32>(out + <usize>i * outRow + (<usize>n << 2), p);
          store<i32>(lo + r, min(load<i32>(lo + r), p));
          store<i32>(hi + r, max(load<i32>(hi + r), p));
        }
      }
    }
    c0 = c1;
  }
  for (let i = 0; i < M; i++) {
    const r = <usize>i << 2, at = rowRange + (<usize>i << 3);
    store<i32>(at, min(load<i32>(at), load<i32>(lo + r)));
    store<i32>(at, max(load<i32>(at, 4), load<i32>(hi + r)), 4);
  }
}

/** int8 weights, 1x16 blocks (both builds). */
export function spmm_w8_1x16_dot16(
  a: usize, aStride: i32, M: i32, rowptr: usize, colidx: usize, values: usize, N: i32,
  rowZero: usize, wsum: usize, mant: usize, shift: i32, out: usize, outStride: i32, rowRange: usize, range4: usize,
): void {
  spmm1x16Dot16(a, aStride, M, rowptr, colidx, values, N, rowZero, wsum, mant, shift, out, outStride, rowRange, range4, false);
}

/** int4 weights, 1x16 blocks (both builds). */
export function spmm_w4_1x16_dot16(
  a: usize, aStride: i32, M: i32, rowptr: usize, colidx: usize, values: usize, N: i32,
  rowZero: usize, wsum: usize, mant: usize, shift: i32, out: usize, outStride: i32, rowRange: usize, range4: usize,
): void {
  spmm1x16Dot16(a, aStride, M, rowptr, colidx, values, N, rowZero, wsum, mant, shift, out, outStride, rowRange, range4, true);
}
