// Scalar reference of the DI-MatMul epilogue (assembly/gemm/epilogue.ts holds the contract and the kernels).
// Written independently of the wasm code, in BigInt so every intermediate is exact; tests compare the
// kernels to it bit for bit and compare both to float64 within DI_REQUANT_MAX_ERROR_STEPS.

import { rshiftRound } from '../common/dyadic.js';
import { quantizeRowRef, REQUANT_MAX_ERROR_STEPS } from '../ops/requant.ref.js';
import type { RowParams } from '../common/rows.js';

/**
 * Worst-case error of a requantized int8 output, in output steps m_y / 2^k_y: stage 2 is the operators'
 * row quantizer (assembly/ops/requant.ts), half a step plus its small roundings. (Stage 1 adds half a
 * unit of p on top; see assembly/gemm/epilogue.ts.)
 */
export const DI_REQUANT_MAX_ERROR_STEPS = REQUANT_MAX_ERROR_STEPS;

/** Stage 1 for one element: round_half_up((acc - za * wsum) * mant / 2^shift), int32 wrap of the correction. */
export function rescaleRef(acc: number, za: number, wsum: number, mant: number, shift: number): number {
  const corrected = (acc - Math.imul(za, wsum)) | 0;
  return Number(rshiftRound(BigInt(corrected) * BigInt(mant), shift)) | 0;
}

/**
 * Stage 1 over acc [M, N] (row-major, int32): returns p [M, N] and the row ranges [M] x (lo, hi) with
 * zero included.
 */
export function rescaleRowsRef(
  acc: Int32Array, M: number, N: number,
  rowZero: Int32Array, wsum: Int32Array, mant: Int32Array, shift: number,
): { p: Int32Array; range: Int32Array } {
  const p = new Int32Array(M * N); // [M, N]
  const range = new Int32Array(M * 2); // [M] x (lo, hi)
  for (let i = 0; i < M; i++) {
    let lo = 0;
    let hi = 0;
    for (let n = 0; n < N; n++) {
      const v = rescaleRef(acc[i * N + n], rowZero[i], wsum[n], mant[n], shift);
      p[i * N + n] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    range[2 * i] = lo;
    range[2 * i + 1] = hi;
  }
  return { p, range };
}

/**
 * Stage 2 over p [M, N]: q [M, N] int8 and the output row params. inScale: the rows' input scales
 * (only m and k are read); expAdjust = k_w - shift.
 */
export function requantRowsRef(
  p: Int32Array, M: number, N: number, range: Int32Array,
  inScale: { m: Int32Array; k: Int32Array }, expAdjust: number,
): { q: Int8Array; params: RowParams } {
  const q = new Int8Array(M * N); // [M, N]
  const params: RowParams = { m: new Int32Array(M), k: new Int32Array(M), z: new Int32Array(M) };
  for (let i = 0; i < M; i++) {
    const row = quantizeRowRef(p.subarray(i * N, (i + 1) * N), inScale.m[i], inScale.k[i] + expAdjust, { lo: range[2 * i], hi: range[2 * i + 1] });
    q.set(row.q, i * N);
    params.m[i] = row.m;
    params.k[i] = row.k;
    params.z[i] = row.z;
  }
  return { q, params };
}
