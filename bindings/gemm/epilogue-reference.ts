// Scalar reference of the DI-MatMul epilogue (assembly/epilogue.ts holds the contract and the kernels).
// Written independently of the wasm code, in BigInt so every intermediate is exact; tests compare the
// kernels to it bit for bit and compare both to float64 within DI_REQUANT_MAX_ERROR_STEPS.

import { rshiftRound } from '../quant/dyadic.js';

/**
 * Worst-case error of a requantized int8 output, in output steps m_y / 2^k_y: one step for the two
 * half-step roundings of q and z_y, plus 255 * 2^-15 for the rounding of the 15-bit mantissa m_y.
 * (Stage 1 adds half a unit of p on top; see assembly/epilogue.ts.)
 */
export const DI_REQUANT_MAX_ERROR_STEPS = 1 + 255 * 2 ** -15;

/** Largest |p| stage 1 may produce; the caller's shift must guarantee it (|p| < 2^30). */
export const DI_P_LIMIT = 2 ** 30;

/** Per-row dyadic scale and zero point: real = m / 2^k * (q - z). */
export interface RowParams {
  /** mantissas [M] */
  m: Int32Array;
  /** exponents [M] */
  k: Int32Array;
  /** zero points [M] */
  z: Int32Array;
}

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

function bitLength(x: bigint): number {
  return x <= 0n ? 0 : x.toString(2).length;
}

/** Stage 2 for one row: the row's multiplier, zero point and output scale (assembly/epilogue.ts). */
export function requantRowParams(lo: number, hi: number, inM: number, inK: number, expAdjust: number) {
  const l = BigInt(Math.min(lo, 0));
  const h = BigInt(Math.max(hi, 0));
  let range = h - l;
  if (range < 1n) range = 1n;
  const s = bitLength(range) + 22;
  const mr = (255n << BigInt(s)) / range;
  const z = Number(rshiftRound(-l * mr, s)) - 128;
  const ma = BigInt(inM);
  const t = 15 + bitLength(mr) - bitLength(ma);
  // round half up of ma * 2^t / mr, computed exactly as floor((2 ma 2^t + mr) / (2 mr))
  const my = ((ma << BigInt(t + 1)) + mr) / (mr << 1n);
  return { lo: l, mr, s, z, m: Number(my), k: inK + expAdjust + t - s };
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
    const r = requantRowParams(range[2 * i], range[2 * i + 1], inScale.m[i], inScale.k[i], expAdjust);
    for (let n = 0; n < N; n++) {
      const v = Number(rshiftRound((BigInt(p[i * N + n]) - r.lo) * r.mr, r.s)) - 128;
      if (v < -128 || v > 127) throw new Error(`epilogue reference: q[${i},${n}] = ${v} left int8 (p out of contract?)`);
      q[i * N + n] = v;
    }
    params.m[i] = r.m;
    params.k[i] = r.k;
    params.z[i] = r.z;
  }
  return { q, params };
}
