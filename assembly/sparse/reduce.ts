// Small SIMD helpers shared by the block-sparse kernels: int4 nibble decoding and the
// fused store of one output tile through the shared DI-MatMul epilogue (stage 1).

import { di_rescale_i32x4, di_range_merge } from "../gemm/epilogue";

/**
 * Low nibble of each i16 lane, sign-extended (two's complement int4): the lane holds a byte sign-extended
 * by v128.load8x8_s, so shifting its low 4 bits to the top and back is the whole decode.
 */
// @ts-ignore: decorator
@inline export function lowNibble16(b: v128): v128 {
  return i16x8.shr_s(i16x8.shl(b, 12), 12);
}

/** High nibble of each sign-extended byte in an i16 lane: floor(b / 16) is the signed high nibble. */
// @ts-ignore: decorator
@inline export function highNibble16(b: v128): v128 {
  return i16x8.shr_s(b, 4);
}

/**
 * The fused store of one 4-channel tile of one activation row: DI-MatMul stage 1 (assembly/gemm/epilogue.ts:
 * p = round_half_up((acc - za * wsum) * mant / 2^shift)) on channels n0..n0+3, clipped at N (the last block
 * row of a 4-row block shape may hold fewer than 4 real channels; its padding channels have acc = wsum =
 * mant = 0, so p = 0 there, inside every row range), and the row's running (min, max) in range4 [lo4, hi4].
 */
// @ts-ignore: decorator
@inline export function storeRow4(
  outRow: usize, n0: i32, N: i32, acc: v128, za: i32, wsum4: v128, mant4: v128, shift: i32, range4Row: usize,
): void {
  const p = di_rescale_i32x4(acc, i32x4.splat(za), wsum4, mant4, shift);
  const at = outRow + (<usize>n0 << 2);
  if (n0 + 4 <= N) {
    v128.store(at, p);
  } else {
    store<i32>(at, i32x4.extract_lane(p, 0));
    if (n0 + 1 < N) store<i32>(at, i32x4.extract_lane(p, 1), 4);
    if (n0 + 2 < N) store<i32>(at, i32x4.extract_lane(p, 2), 8);
  }
  v128.store(range4Row, i32x4.min_s(v128.load(range4Row), p));
  v128.store(range4Row, i32x4.max_s(v128.load(range4Row, 16), p), 16);
}

/** Zeroes the per-row 4-lane range scratch range4 [M] x (lo4, hi4): 32 bytes a row (0 is in every range). */
// @ts-ignore: decorator
@inline export function rangeBegin(range4: usize, M: i32): void {
  memory.fill(range4, 0, <usize>M << 5);
}

/** Folds range4 [M] x (lo4, hi4) into the epilogue's rowRange [M] x (lo, hi) (assembly/gemm/epilogue.ts). */
// @ts-ignore: decorator
@inline export function rangeEnd(range4: usize, M: i32, rowRange: usize): void {
  for (let i = 0; i < M; i++) {
    const r = range4 + (<usize>i << 5);
    di_range_merge(rowRange + (<usize>i << 3), v128.load(r), v128.load(r, 16));
  }
}

/** Bytes of stored blocks per cache chunk: they stay in L2 while every activation row pair streams past. */
const CHUNK_BYTES: i32 = 256 * 1024;

/**
 * End of the chunk of block rows that starts at b0: as many block rows as fit CHUNK_BYTES of stored blocks
 * (at least one). rowptr is trusted (validated at load).
 */
// @ts-ignore: decorator
@inline export function chunkEnd(rowptr: usize, b0: i32, nb: i32, blockBytes: usize): i32 {
  const limit = load<i32>(rowptr + (<usize>b0 << 2)) + <i32>(<usize>CHUNK_BYTES / blockBytes);
  let b1 = b0 + 1;
  while (b1 < nb && load<i32>(rowptr + (<usize>b1 << 2), 4) <= limit) b1++;
  return b1;
}
