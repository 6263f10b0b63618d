// Running a group-wise GEMM/GEMV (assembly/gemm/groupwise.ts) on a runtime's threads, and a validating
// public wrapper for one call on Int8Array activations. The per-row preparation (group sums of the
// activations, the offset lanes) runs once on the main thread; the output channels are then cut into one
// run of 4-channel tiles per thread exactly as for the dense kernels (bindings/gemm/parallel.ts), each
// helper widening its own row ranges, merged after. Identical integers for any thread count.
import type { DyadicRuntime } from '../runtime/instance.js';
import { mergeRowRanges, runOnThreads } from '../runtime/split.js';
import type { GroupwiseWeights } from './groupwise-pack.js';
import { activationRowArrays } from './matmul.js';

/** Byte offsets of one call; `range` [M] x 2 int32 must start at zeros. */
export interface GroupwiseCall {
  M: number;
  a: number;
  aStride: number;
  rowZero: number;
  out: number;
  outStride: number;
  range: number;
}

/** Scratch bytes a call needs for M rows: prepared rows (asum, corr) and the helpers' row ranges. */
export function groupwiseScratchBytes(runtime: DyadicRuntime, w: GroupwiseWeights, M: number): number {
  return M * (w.ngp * 4 + w.ng * 16) + (runtime.pool?.helpers ?? 0) * M * 8 + 16;
}

/** One group-wise product into int32 p (epilogue stage 1 semantics; scale in w.scale). `scratch`: groupwiseScratchBytes, 16-aligned. */
export function runGroupwise(runtime: DyadicRuntime, w: GroupwiseWeights, c: GroupwiseCall, scratch: number): void {
  const M = c.M;
  const asum = scratch;
  const corr = asum + M * w.ngp * 4;
  const ranges = corr + M * w.ng * 16;
  runtime.call('gw_prepare_rows', M, w.Kp, c.a, c.aStride, w.format.G, w.format.off, asum, w.ngp, corr);
  const pool = runtime.pool;
  const tiles = w.Np >> 2;
  const parts = pool ? Math.min(1 + pool.helpers, tiles) : 1;
  const args = (n0: number, n1: number, range: number): number[] => [
    M, n1 - n0, w.Kp, c.a, c.aStride, w.wAt + (n0 >> 2) * (w.Kp / 32) * (w.format.kind === 'q4' ? 64 : 128),
    w.sAt + (n0 >> 2) * w.ng * 8, w.mxAt === 0 ? 0 : w.mxAt + n0 * w.ngp * 4, w.ngp, w.wsumAt + 8 * n0, w.shiftAt + 4 * n0,
    c.rowZero, asum, corr, w.window, c.out + 4 * n0, c.outStride, range,
  ];
  if (parts < 2 || M * w.Np * w.Kp < pool!.minSplitWork) {
    runtime.call(w.kernel, ...args(0, w.Np, c.range));
    return;
  }
  const heap = runtime.heap32();
  const cut = (p: number) => Math.round((tiles * p) / parts) * 4;
  const calls = [args(0, cut(1), c.range)];
  for (let p = 1; p < parts; p++) {
    const range = ranges + (p - 1) * M * 8;
    heap.fill(0, range >> 2, (range >> 2) + 2 * M);
    calls.push(args(cut(p), cut(p + 1), range));
  }
  runOnThreads(runtime, w.kernel, calls);
  for (let p = 1; p < parts; p++) mergeRowRanges(heap, c.range, ranges + (p - 1) * M * 8, M);
}

/**
 * a [M, K] int8 (per-row zero points) x group-wise weights -> p [M, N] int32, y = p * s_a * 2^-w.scale.k.
 * Validates its arguments; scratch comes from the arena and is released before returning.
 */
export function groupwiseMatmul(runtime: DyadicRuntime, w: GroupwiseWeights, activations: Int8Array, o: { M: number; zero?: Int32Array }): Int32Array {
  if (w.runtime !== runtime) throw new RangeError('dyadic group-wise matmul: the weights belong to another runtime');
  const { M } = o;
  if (!Number.isSafeInteger(M) || M < 1) throw new RangeError(`dyadic group-wise matmul: M must be a positive integer, got ${M}`);
  if (!(activations instanceof Int8Array) || activations.length !== M * w.K) {
    throw new RangeError(`dyadic group-wise matmul: activations must be an Int8Array [M, K] = [${M}, ${w.K}]`);
  }
  const { zero } = activationRowArrays('group-wise matmul', o, M);
  const arena = runtime.arena;
  const mark = arena.mark();
  try {
    const aAt = arena.alloc(M * w.Kp, 'activations', 16);
    const zAt = arena.alloc(M * 4, 'row zero points', 16);
    const pAt = arena.alloc(M * w.Np * 4, 'int32 outputs', 16);
    const rAt = arena.alloc(M * 8, 'row ranges', 16);
    const sAt = arena.alloc(groupwiseScratchBytes(runtime, w, M), 'group-wise scratch', 16);
    arena.i8(aAt, M * w.Kp).set(activations);
    arena.i32(zAt, M).set(zero);
    arena.i32(rAt, 2 * M).fill(0);
    runGroupwise(runtime, w, { M, a: aAt, aStride: w.Kp, rowZero: zAt, out: pAt, outStride: w.Np, range: rAt }, sAt);
    const p = arena.i32(pAt, M * w.Np);
    const out = new Int32Array(M * w.N); // [M, N]
    for (let i = 0; i < M; i++) out.set(p.subarray(i * w.Np, i * w.Np + w.N), i * w.N);
    return out;
  } finally {
    arena.release(mark);
  }
}
