// The public dense matmul: activations a [M, K] int8 (per-row zero point and dyadic scale) times packed
// weights (bindings/gemm/pack.ts), with the DI-MatMul epilogue (assembly/gemm/epilogue.ts): either int32
// outputs p [M, N] after the per-channel rescale, or int8 outputs q [M, N] requantized per row with a
// new dyadic scale and zero point. Integer only at run time.
//
// What the outputs mean (y is the real-valued product a_real x w_real^T):
//   int32: y[i, n] = p[i, n] * m_i / 2^(k_i)            with (m_i, k_i) = result.scale.m/k [i]
//   int8:  y[i, n] ~ m_i / 2^(k_i) * (q[i, n] - z_i)     with (m_i, k_i, z_i) = result.scale.m/k/z [i],
//          within DI_REQUANT_MAX_ERROR_STEPS output steps (plus half a unit of p).

import type { DyadicRuntime } from '../runtime/instance.js';
import type { PackedWeights } from './pack.js';
import { runGemm, splitScratchBytes } from './parallel.js';

export interface ActivationQuant {
  /** Zero point per row [M], -128..127 (default 0). */
  zero?: Int32Array;
  /** Dyadic scale per row: mantissas [M] (>= 1) and exponents [M] (default m = 1, k = 0). */
  scaleM?: Int32Array;
  scaleK?: Int32Array;
}

export interface MatmulOptions extends ActivationQuant {
  /** Rows (tokens). */
  M: number;
  /** 'int8' (default): per-row requantized int8; 'int32': the rescaled accumulators. */
  output?: 'int8' | 'int32';
}

export interface RowScales {
  m: Int32Array;
  k: Int32Array;
  /** Zero points (all 0 for int32 output). */
  z: Int32Array;
}

export interface MatmulInt8Result {
  output: 'int8';
  /** q [M, N] */
  data: Int8Array;
  scale: RowScales;
}

export interface MatmulInt32Result {
  output: 'int32';
  /** p [M, N] */
  data: Int32Array;
  scale: RowScales;
}

function fail(message: string): never {
  throw new RangeError(`dyadic matmul: ${message}`);
}

/**
 * The per-row activation arrays of a matmul call (zero points, scale mantissas and exponents): an
 * Int32Array [M] within lo..hi, or filled with `fill` when absent. Shared by the dense and sparse matmuls.
 */
export function activationRowArrays(op: string, o: ActivationQuant, M: number): { zero: Int32Array; scaleM: Int32Array; scaleK: Int32Array } {
  const rows = (name: string, value: Int32Array | undefined, fill: number, lo: number, hi: number): Int32Array => {
    if (value === undefined) return new Int32Array(M).fill(fill);
    if (!(value instanceof Int32Array)) {
      throw new TypeError(`dyadic ${op}: ${name} must be an Int32Array [M = ${M}], got ${Object.prototype.toString.call(value)}`);
    }
    if (value.length !== M) throw new RangeError(`dyadic ${op}: ${name} has ${value.length} entries, expected one per row (M = ${M})`);
    for (let i = 0; i < M; i++) {
      if (value[i] < lo || value[i] > hi) throw new RangeError(`dyadic ${op}: ${name}[${i}] = ${value[i]} is outside ${lo}..${hi}`);
    }
    return value;
  };
  return {
    zero: rows('zero', o.zero, 0, -128, 127),
    scaleM: rows('scaleM', o.scaleM, 1, 1, 2 ** 31 - 1),
    scaleK: rows('scaleK', o.scaleK, 0, -(2 ** 24), 2 ** 24),
  };
}

export function matmul(runtime: DyadicRuntime, packed: PackedWeights, activations: Int8Array, options: MatmulOptions & { output: 'int32' }): MatmulInt32Result;
export function matmul(runtime: DyadicRuntime, packed: PackedWeights, activations: Int8Array, options: MatmulOptions & { output?: 'int8' }): MatmulInt8Result;
export function matmul(runtime: DyadicRuntime, packed: PackedWeights, activations: Int8Array, options: MatmulOptions): MatmulInt8Result | MatmulInt32Result;
/**
 * a [M, K] (Int8Array, row-major) x packed weights [N, K]^T -> [M, N]. Validates every argument first;
 * the error names the tensor, its shape and the value at fault.
 */
export function matmul(
  runtime: DyadicRuntime, packed: PackedWeights, activations: Int8Array, options: MatmulOptions,
): MatmulInt8Result | MatmulInt32Result {
  if (!packed || typeof packed !== 'object' || !('wAt' in packed)) fail('packed must come from packWeights()');
  if (packed.runtime !== runtime) fail('packed weights belong to another runtime (pack them with this one)');
  const { N, K, Np, Kp } = packed;
  if (!(activations instanceof Int8Array)) {
    throw new TypeError(`dyadic matmul: activations must be an Int8Array [M, K = ${K}], got ${Object.prototype.toString.call(activations)}`);
  }
  const M = options?.M;
  if (!Number.isSafeInteger(M) || M < 1) fail(`M (rows) must be a positive integer, got ${M}`);
  if (activations.length !== M * K) {
    fail(`activations has ${activations.length} elements, expected [M, K] = [${M}, ${K}] = ${M * K} (K from the packed weights [N = ${N}, K = ${K}])`);
  }
  const output = options.output ?? 'int8';
  if (output !== 'int8' && output !== 'int32') fail(`output must be 'int8' or 'int32', got '${String(output)}'`);
  const { zero, scaleM, scaleK } = activationRowArrays('matmul', options, M);

  const arena = runtime.arena;
  const mark = arena.mark();
  try {
    const aAt = arena.alloc(M * Kp, `activations [${M}, ${Kp}]`); // [M][Kp] int8, zero-padded
    const zeroAt = arena.alloc(M * 4, 'row zero points'); // [M] int32
    const corrAt = arena.alloc(M * 4, 'row corrections'); // [M] int32 (kernel scratch)
    const pAt = arena.alloc(M * Np * 4, `int32 outputs [${M}, ${Np}]`); // [M][Np] int32
    const rangeAt = arena.alloc(M * 8, 'row ranges'); // [M] x (lo, hi) int32
    const splitAt = arena.alloc(splitScratchBytes(runtime, M), 'helper thread row scratch'); // [helpers][M] x 3 int32
    const a = arena.i8(aAt, M * Kp);
    if (Kp === K) a.set(activations);
    else {
      a.fill(0);
      for (let i = 0; i < M; i++) a.set(activations.subarray(i * K, (i + 1) * K), i * Kp);
    }
    arena.i32(zeroAt, M).set(zero);
    arena.i32(rangeAt, 2 * M).fill(0);
    runGemm(runtime, packed, { M, a: aAt, aStride: Kp, rowZero: zeroAt, corr: corrAt, out: pAt, outStride: Np, range: rangeAt }, splitAt);

    const expAdjust = packed.scale.k - packed.shift;
    if (output === 'int32') {
      const p = arena.i32(pAt, M * Np);
      const data = new Int32Array(M * N); // [M, N]
      for (let i = 0; i < M; i++) data.set(p.subarray(i * Np, i * Np + N), i * N);
      const k = scaleK.map((v) => v + expAdjust);
      return { output, data, scale: { m: scaleM.slice(), k, z: new Int32Array(M) } };
    }
    const inMAt = arena.alloc(M * 4, 'row scale mantissas'); // [M] int32
    const inKAt = arena.alloc(M * 4, 'row scale exponents'); // [M] int32
    const qAt = arena.alloc(M * N, `int8 outputs [${M}, ${N}]`); // [M][N] int8
    const outAt = arena.alloc(M * 12, 'output row params'); // 3 x [M] int32: m, k, z
    arena.i32(inMAt, M).set(scaleM);
    arena.i32(inKAt, M).set(scaleK);
    runtime.call('di_requant_rows', pAt, Np, M, N, rangeAt, inMAt, inKAt, expAdjust, qAt, N, outAt, outAt + 4 * M, outAt + 8 * M);
    const params = arena.i32(outAt, 3 * M).slice();
    return {
      output,
      data: arena.i8(qAt, M * N).slice(),
      scale: { m: params.subarray(0, M), k: params.subarray(M, 2 * M), z: params.subarray(2 * M) },
    };
  } finally {
    arena.release(mark);
  }
}
