// Scalar reference of the dense matmul (bindings/gemm/matmul.ts) straight from the definition, with no
// packing, no offsets and no zero-point folding: acc[i,n] = sum_k (a[i,k] - z_i) * w[n,k], then the
// epilogue reference (bindings/gemm/epilogue.ref.ts). Tests compare the wasm kernels to it exactly.

import { rescaleRowsRef, requantRowsRef } from './epilogue.ref.js';
import { type RowParams } from '../common/rows.js';

export interface ReferenceInput {
  /** w [N, K] signed weights */
  w: Int8Array;
  N: number;
  K: number;
  /** a [M, K] int8 activations */
  a: Int8Array;
  M: number;
  /** per-row zero points [M] */
  zero: Int32Array;
  /** per-channel mantissas [N] and the shared exponent */
  mant: Int32Array;
  scaleK: number;
  /** epilogue stage 1 shift */
  shift: number;
  /** per-row input scales [M] */
  rowM: Int32Array;
  rowK: Int32Array;
}

/** acc [M, N] = sum_k (a - z) * w, exact (|acc| < 2^31 by the K limit). */
export function accumulateRef(x: ReferenceInput): Int32Array {
  const acc = new Int32Array(x.M * x.N); // [M, N]
  for (let i = 0; i < x.M; i++) {
    for (let n = 0; n < x.N; n++) {
      let s = 0;
      for (let k = 0; k < x.K; k++) s += (x.a[i * x.K + k] - x.zero[i]) * x.w[n * x.K + k];
      acc[i * x.N + n] = s;
    }
  }
  return acc;
}

export function matmulInt32Ref(x: ReferenceInput): { p: Int32Array; range: Int32Array } {
  const acc = accumulateRef(x);
  return rescaleRowsRef(acc, x.M, x.N, new Int32Array(x.M), new Int32Array(x.N), x.mant, x.shift);
}

export function matmulInt8Ref(x: ReferenceInput): { q: Int8Array; params: RowParams } {
  const { p, range } = matmulInt32Ref(x);
  return requantRowsRef(p, x.M, x.N, range, { m: x.rowM, k: x.rowK }, x.scaleK - x.shift);
}
