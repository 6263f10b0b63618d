// The public block-sparse matmul, a drop-in for the dense one (bindings/gemm/matmul.ts): same options,
// same result types, same outputs bit for bit when both are packed from the same pruned weights and
// scales. Only the weights differ: block-CSR (./format.ts) loaded by packSparseWeights.

import type { DyadicRuntime } from '../runtime/instance.js';
import { activationRowArrays, type MatmulInt32Result, type MatmulInt8Result, type MatmulOptions } from '../gemm/matmul.js';
import type { BlockCsr } from './format.js';
import { SparseLinear } from './spmm.js';

/** Validates block-CSR weights and copies them into the runtime's memory (once, at load). */
export function packSparseWeights(runtime: DyadicRuntime, csr: BlockCsr, name = 'weights'): SparseLinear {
  return SparseLinear.load(runtime, csr, name);
}

function fail(message: string): never {
  throw new RangeError(`dyadic sparseMatmul: ${message}`);
}

export function sparseMatmul(runtime: DyadicRuntime, weights: SparseLinear, activations: Int8Array, options: MatmulOptions & { output: 'int32' }): MatmulInt32Result;
export function sparseMatmul(runtime: DyadicRuntime, weights: SparseLinear, activations: Int8Array, options: MatmulOptions & { output?: 'int8' }): MatmulInt8Result;
export function sparseMatmul(runtime: DyadicRuntime, weights: SparseLinear, activations: Int8Array, options: MatmulOptions): MatmulInt8Result | MatmulInt32Result;
/** a [M, K] int8 x block-sparse weights [N, K]^T -> [M, N], int32 (rescaled) or int8 (requantized per row). */
export function sparseMatmul(
  runtime: DyadicRuntime, weights: SparseLinear, activations: Int8Array, options: MatmulOptions,
): MatmulInt8Result | MatmulInt32Result {
  if (!(weights instanceof SparseLinear)) fail('weights must come from packSparseWeights()');
  if (weights.rt !== runtime) fail('sparse weights belong to another runtime (pack them with this one)');
  const { N, K, scaleK } = weights.csr;
  if (!(activations instanceof Int8Array)) {
    throw new TypeError(`dyadic sparseMatmul: activations must be an Int8Array [M, K = ${K}], got ${Object.prototype.toString.call(activations)}`);
  }
  const M = options?.M;
  if (!Number.isSafeInteger(M) || M < 1) fail(`M (rows) must be a positive integer, got ${M}`);
  if (activations.length !== M * K) fail(`activations has ${activations.length} elements, expected [M, K] = [${M}, ${K}] = ${M * K}`);
  const output = options.output ?? 'int8';
  if (output !== 'int8' && output !== 'int32') fail(`output must be 'int8' or 'int32', got '${String(output)}'`);
  const { zero, scaleM, scaleK: scaleKRows } = activationRowArrays('sparseMatmul', options, M);

  const arena = runtime.arena;
  const mark = arena.mark();
  try {
    const Kp = weights.Kp;
    const aAt = arena.alloc(M * Kp, `activations [${M}, ${Kp}]`); // [M][Kp] int8, zero-padded
    const zeroAt = arena.alloc(M * 4, 'row zero points'); // [M] int32
    const pAt = arena.alloc(M * N * 4, `int32 outputs [${M}, ${N}]`); // [M][N] int32
    const rangeAt = arena.alloc(M * 8, 'row ranges'); // [M] x (lo, hi) int32
    const qAt = arena.alloc(M * N, `int8 outputs [${M}, ${N}]`); // [M][N] int8
    const rowAt = arena.alloc(M * 20, 'row scales in and out'); // 5 x [M] int32: in m, in k, out m, k, z
    arena.ensure(arena.usedBytes + weights.scratchBytes(M)); // grow once, before any view is taken
    const a = arena.i8(aAt, M * Kp);
    a.fill(0);
    for (let i = 0; i < M; i++) a.set(activations.subarray(i * K, (i + 1) * K), i * Kp);
    arena.i32(zeroAt, M).set(zero);
    arena.i32(rangeAt, 2 * M).fill(0);
    weights.run({ a: aAt, aStride: Kp, M, rowZero: zeroAt, out: pAt, outStride: N, rowRange: rangeAt, mode: 'rescale', shift: weights.shift });
    const expAdjust = scaleK - weights.shift;
    if (output === 'int32') {
      return {
        output, data: arena.i32(pAt, M * N).slice(),
        scale: { m: scaleM.slice(), k: scaleKRows.map((v) => v + expAdjust), z: new Int32Array(M) },
      };
    }
    arena.i32(rowAt, M).set(scaleM);
    arena.i32(rowAt + 4 * M, M).set(scaleKRows);
    runtime.call('di_requant_rows', pAt, N, M, N, rangeAt, rowAt, rowAt + 4 * M, expAdjust, qAt, N, rowAt + 8 * M, rowAt + 12 * M, rowAt + 16 * M);
    const params = arena.i32(rowAt + 8 * M, 3 * M).slice();
    return {
      output,
      data: arena.i8(qAt, M * N).slice(),
      scale: { m: params.subarray(0, M), k: params.subarray(M, 2 * M), z: params.subarray(2 * M) },
    };
  } finally {
    arena.release(mark);
  }
}
