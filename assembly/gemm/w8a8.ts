// W8A8 dense GEMM/GEMV: int8 activations (per-row zero point) x int8 per-output-channel weights, int32
// accumulation through i32x4.dot_i16x8_s (identical in both builds: a full int8 x int8 product is not
// exact in the relaxed dot), DI-MatMul epilogue stage 1 fused into the tile store.
//
// Packed weights (bindings/gemm/pack.ts documents and writes them): "4c8",
//   w [Np/4][Kp/8][4][8] int8: for each tile of 4 output channels, for each step of 8 k, 8 bytes of
//   each channel. One v128.load8x8_s per channel and step yields the i16x8 operand of the dot directly.
// Activations a [M][aStride] int8 with zero bytes in [K, Kp) (Kp multiple of 8, Np multiple of 4).

import { NR, finish_row, channel_block } from "./tile";
import { hsum4 } from "../common/simd";

/** Rows x channels of one 8-k step: two activation rows against four channels (8 accumulators). */
// @ts-ignore: decorator
@inline function tile_2x4c8(
  a0: usize, a1: usize, wt: usize, kp: i32, i: i32, n: i32,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  let c00 = i32x4.splat(0), c01 = c00, c02 = c00, c03 = c00;
  let c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  let wp = wt;
  for (let k = 0; k < kp; k += 8) {
    const x0 = v128.load8x8_s(a0 + <usize>k);
    const x1 = v128.load8x8_s(a1 + <usize>k);
    const w0 = v128.load8x8_s(wp);
    const w1 = v128.load8x8_s(wp, 8);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, w0));
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, w0));
    c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, w1));
    c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, w1));
    const w2 = v128.load8x8_s(wp, 16);
    const w3 = v128.load8x8_s(wp, 24);
    c02 = i32x4.add(c02, i32x4.dot_i16x8_s(x0, w2));
    c12 = i32x4.add(c12, i32x4.dot_i16x8_s(x1, w2));
    c03 = i32x4.add(c03, i32x4.dot_i16x8_s(x0, w3));
    c13 = i32x4.add(c13, i32x4.dot_i16x8_s(x1, w3));
    wp += 32;
  }
  const cw = wsum + (<usize>n << 2);
  const cm = mant + (<usize>n << 2);
  const d0 = out + ((<usize>i * <usize>outStride + <usize>n) << 2);
  finish_row(hsum4(c00, c01, c02, c03), 0, load<i32>(rowZero + (<usize>i << 2)), cw, cm, shift, d0, rowRange + (<usize>i << 3));
  finish_row(hsum4(c10, c11, c12, c13), 0, load<i32>(rowZero + (<usize>i << 2), 4), cw, cm, shift,
    d0 + (<usize>outStride << 2), rowRange + (<usize>i << 3) + 8);
}

/** One activation row against four channels (the odd last row, and M = 1 decode). */
// @ts-ignore: decorator
@inline function tile_1x4c8(
  a0: usize, wt: usize, kp: i32, i: i32, n: i32,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  let c0 = i32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  let wp = wt;
  for (let k = 0; k < kp; k += 8) {
    const x0 = v128.load8x8_s(a0 + <usize>k);
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(x0, v128.load8x8_s(wp)));
    c1 = i32x4.add(c1, i32x4.dot_i16x8_s(x0, v128.load8x8_s(wp, 8)));
    c2 = i32x4.add(c2, i32x4.dot_i16x8_s(x0, v128.load8x8_s(wp, 16)));
    c3 = i32x4.add(c3, i32x4.dot_i16x8_s(x0, v128.load8x8_s(wp, 24)));
    wp += 32;
  }
  finish_row(hsum4(c0, c1, c2, c3), 0, load<i32>(rowZero + (<usize>i << 2)), wsum + (<usize>n << 2), mant + (<usize>n << 2),
    shift, out + ((<usize>i * <usize>outStride + <usize>n) << 2), rowRange + (<usize>i << 3));
}

/**
 * p [m][outStride] int32 = epilogue stage 1 of a [m][aStride] x packed w (see above); rowRange [m] x
 * (lo, hi) int32 is widened (start it at zeros). wsum/mant [np], rowZero [m] int32.
 */
export function gemm_w8a8_2x4c8(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  const nc = channel_block(kp, np);
  const tileBytes = <usize>kp * NR;
  for (let n0 = 0; n0 < np; n0 += nc) {
    const n1 = min(n0 + nc, np);
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      const a0 = a + <usize>i * <usize>aStride;
      for (let n = n0; n < n1; n += NR) {
        tile_2x4c8(a0, a0 + <usize>aStride, w + <usize>(n >> 2) * tileBytes, kp, i, n,
          wsum, mant, shift, rowZero, out, outStride, rowRange);
      }
    }
    if (i < m) {
      const a0 = a + <usize>i * <usize>aStride;
      for (let n = n0; n < n1; n += NR) {
        tile_1x4c8(a0, w + <usize>(n >> 2) * tileBytes, kp, i, n, wsum, mant, shift, rowZero, out, outStride, rowRange);
      }
    }
  }
}
