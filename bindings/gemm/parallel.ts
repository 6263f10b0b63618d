// Running a dense GEMM/GEMV (assembly/gemm/) on every thread of a runtime: the output channels are cut
// into one contiguous run of 4-channel tiles per thread, so each thread reads its own slice of the
// packed weights and writes its own columns of p. Nothing a thread writes overlaps another's except
// two per-row side results, which each helper writes to its own scratch and the main thread merges:
//   rowRange [M] x (lo, hi): the epilogue's running min/max, merged by min/max (order-free, so exact);
//   rowCorr [M] (low-bit kernels): the same per-row sum on every thread, so a private copy suffices.
// The result is bit-identical to one call on one thread.

import type { DyadicRuntime } from '../runtime/instance.js';
import type { WeightBits } from './pack.js';
import { mergeRowRanges, runOnThreads } from '../runtime/split.js';

/** What a split needs to know of packed weights (PackedWeights satisfies it). */
export interface GemmWeights {
  readonly kernel: string;
  readonly bits: WeightBits;
  readonly Np: number;
  readonly Kp: number;
  readonly wAt: number;
  readonly wsumAt: number;
  readonly mantAt: number;
  readonly shift: number;
}

/** Byte offsets and sizes of one call; `range` [M] x 2 int32 must start at zeros, as for the kernel. */
export interface GemmCall {
  M: number;
  a: number;
  aStride: number;
  rowZero: number;
  /** int32 [M] scratch for the low-bit kernels (unused at 8 bits) */
  corr: number;
  out: number;
  outStride: number;
  range: number;
}

/** Wasm bytes a split needs for `rows` activation rows: per helper, a row range [rows, 2] and corrections [rows]. */
export function splitScratchBytes(runtime: DyadicRuntime, rows: number): number {
  return (runtime.pool?.helpers ?? 0) * rows * 12;
}

const tileBytes = (w: GemmWeights): number => (w.Kp * w.bits) / 2; // 4 channels x Kp x bits / 8

/**
 * One GEMM on all of the runtime's threads (or on the main thread alone when it has none or the call is
 * below pool.minSplitWork). `scratch`: splitScratchBytes(runtime, >= M) bytes of wasm memory, 4-aligned.
 */
export function runGemm(runtime: DyadicRuntime, w: GemmWeights, c: GemmCall, scratch: number): void {
  const pool = runtime.pool;
  const tiles = w.Np >> 2;
  const parts = pool ? Math.min(1 + pool.helpers, tiles) : 1;
  if (parts < 2 || c.M * w.Np * w.Kp < pool!.minSplitWork) {
    runtime.call(w.kernel, ...sliceArgs(w, c, 0, w.Np, c.corr, c.range));
    return;
  }
  const heap = runtime.heap32();
  const M = c.M;
  // Part 0 runs here; parts 1.. on helpers 0.. with their own range and correction rows.
  const cut = (p: number) => Math.round((tiles * p) / parts) * 4;
  const calls = [sliceArgs(w, c, 0, cut(1), c.corr, c.range)];
  for (let p = 1; p < parts; p++) {
    const range = scratch + (p - 1) * M * 12;
    heap.fill(0, range >> 2, (range >> 2) + 2 * M);
    calls.push(sliceArgs(w, c, cut(p), cut(p + 1), range + M * 8, range));
  }
  runOnThreads(runtime, w.kernel, calls);
  for (let p = 1; p < parts; p++) mergeRowRanges(heap, c.range, scratch + (p - 1) * M * 12, M);
}

/** Kernel arguments for output channels [n0, n1) (multiples of 4). */
function sliceArgs(w: GemmWeights, c: GemmCall, n0: number, n1: number, corr: number, range: number): number[] {
  const head = [c.M, n1 - n0, w.Kp, c.a, c.aStride, w.wAt + (n0 >> 2) * tileBytes(w), w.wsumAt + 4 * n0, w.mantAt + 4 * n0, w.shift, c.rowZero];
  const out = c.out + 4 * n0;
  return w.bits === 8 ? [...head, out, c.outStride, range] : [...head, corr, out, c.outStride, range];
}

