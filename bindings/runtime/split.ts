// Running one kernel as several disjoint calls, one per thread, for the splitting drivers
// (bindings/gemm/parallel.ts for dense GEMM, bindings/sparse/spmm.ts for block-CSR layers,
// bindings/attention/attention.ts for attention heads). Each caller decides the cut; this file owns
// the dispatch and the row-range merge the matmuls share.

import type { DyadicRuntime } from './instance.js';

/**
 * Runs one kernel call per part: part 0 on this thread, part p on helper p - 1 (at most 1 + helpers
 * parts), and returns when all are done. A trap on any thread is rethrown after every part finished.
 */
export function runOnThreads(runtime: DyadicRuntime, kernel: string, calls: number[][]): void {
  const pool = runtime.pool;
  if (calls.length > 1 + (pool?.helpers ?? 0)) throw new RangeError(`dyadic: ${calls.length} parts for ${1 + (pool?.helpers ?? 0)} thread(s)`);
  for (let p = 1; p < calls.length; p++) pool!.assign(p - 1, kernel, calls[p]);
  if (calls.length > 1) pool!.dispatch();
  let failure: unknown;
  try {
    runtime.call(kernel, ...calls[0]);
  } catch (e) {
    failure = e;
  }
  if (calls.length > 1) pool!.finish();
  if (failure) throw failure;
}

/** rowRange [M] x (lo, hi) int32 at `into` widened by the one at `from` (min of lows, max of highs). */
export function mergeRowRanges(heap: Int32Array, into: number, from: number, M: number): void {
  const a = into >> 2;
  const b = from >> 2;
  for (let i = 0; i < 2 * M; i += 2) {
    if (heap[b + i] < heap[a + i]) heap[a + i] = heap[b + i];
    if (heap[b + i + 1] > heap[a + i + 1]) heap[a + i + 1] = heap[b + i + 1];
  }
}
