// Pieces every dense GEMM/GEMV tile shares: folding per-(row, channel) dot accumulators into one vector
// of four channels, and handing that vector to the DI-MatMul epilogue's stage 1 (assembly/gemm/epilogue.ts).

import { di_rescale_i32x4, di_range_merge } from "./epilogue";

/** Channel tile width: every packed weight layout groups output channels by 4 (one i32x4 of outputs). */
export const NR: i32 = 4;

/**
 * Finishes one row of one channel tile: subtracts the row's weight-offset correction `corr` (low-bit
 * formats store w + 2^(bits-1); see bindings/gemm/pack.ts), runs epilogue stage 1 with the row zero
 * point and the tile's wsum/mant (int32 x 4 at `wsum`/`mant`), stores p [4] at `dst` and widens the
 * row's (lo, hi) at `rangeAt`.
 */
// @ts-ignore: decorator
@inline export function finish_row(
  acc: v128, corr: i32, za: i32, wsum: usize, mant: usize, shift: i32, dst: usize, rangeAt: usize,
): void {
  const p = di_rescale_i32x4(i32x4.sub(acc, i32x4.splat(corr)), i32x4.splat(za), v128.load(wsum), v128.load(mant), shift);
  v128.store(dst, p);
  di_range_merge(rangeAt, p, p);
}

/**
 * Channels per cache block: the packed weights of one block (channels x bytesPerChannel) stay in L2
 * while every row tile streams past them. Always a multiple of NR, at least NR.
 * This is also the GEMV path for M = 1..4 (decode): the weights are streamed from memory once per call
 * (M = 1 and 2 read each weight once; for M = 3 and 4 the second row tile finds the block in L2).
 */
// @ts-ignore: decorator
@inline export function channel_block(bytesPerChannel: i32, np: i32): i32 {
  const L2_BUDGET = 384 * 1024;
  let nc = (L2_BUDGET / max(bytesPerChannel, 1)) & ~(NR - 1);
  if (nc < NR) nc = NR;
  return min(nc, np);
}
