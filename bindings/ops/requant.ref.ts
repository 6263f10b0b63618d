// Scalar reference of the operators' int8 row quantizer (assembly/ops/requant.ts holds the
// contract): BigInt, exact. Also float64 helpers to read any (q, m, k, z) row back for tests.

import type { RowParams } from '../common/rows.js';
import { bitLength } from '../common/intmath.ref.js';

/**
 * Worst-case error of a requantized output in output steps: half a step, the pre-shift's rounding (half a
 * unit of p' against a step of >= 2^15 / 253 units: < 2^-8) and m_y's (m_y >= 2^14, so a relative 2^-15,
 * over up to 253 steps from z_y: < 2^-7). (It was 0.5 + 2^-7, which missed that m_y may hold only 15 bits;
 * rows that sit all on one side of zero with a pre-shift reach 0.509: issue 19's norm sweep.)
 */
export const REQUANT_MAX_ERROR_STEPS = 0.5 + 2 ** -7 + 2 ** -8;

/**
 * One row: p [n] int32 with real scale m_a / 2^k_a -> q [n] int8 and (m_y, k_y, z_y). `range` gives the
 * row's (lo, hi) (`known`) when a caller tracked it already (the matmul epilogue's stage 1); by default it is p's own,
 * with zero included.
 */
export function quantizeRowRef(
  p: ArrayLike<number>, ma: number, ka: number, known?: { lo: number; hi: number },
): { q: Int8Array; m: number; k: number; z: number } {
  let lo = 0;
  let hi = 0;
  if (known) {
    lo = Math.min(known.lo, 0);
    hi = Math.max(known.hi, 0);
  } else {
    for (let j = 0; j < p.length; j++) {
      lo = Math.min(lo, p[j]);
      hi = Math.max(hi, p[j]);
    }
  }
  const sp = Math.max(0, bitLength(BigInt(hi - lo)) - 16);
  const shiftRound = (v: number) => Math.floor((v + (sp > 0 ? 2 ** (sp - 1) : 0)) / 2 ** sp);
  const lo2 = shiftRound(lo);
  const range = Math.max(shiftRound(hi) - lo2, 1);
  const s = bitLength(BigInt(range)) + 6;
  const mr = Math.floor((253 * 2 ** s) / range);
  const z = Math.floor((-lo2 * mr + 2 ** (s - 1)) / 2 ** s) - 127;
  const q = new Int8Array(p.length); // [n]
  for (let j = 0; j < p.length; j++) {
    const v = Math.floor((shiftRound(p[j]) * mr + 2 ** (s - 1)) / 2 ** s) + z;
    if (v < -128 || v > 127) throw new Error(`requant reference: q[${j}] = ${v} left int8`);
    q[j] = v;
  }
  const m = BigInt(Math.max(ma, 1));
  const mrB = BigInt(mr);
  const t = 15 + bitLength(mrB) - bitLength(m);
  const my = ((m << BigInt(t + 1)) + mrB) / (mrB << 1n);
  return { q, m: Number(my), k: ka + t - s - sp, z };
}

/** Rows: p [rows, n] with per-row (m_a, k_a) -> q [rows, n] int8 with per-row (m, k, z). */
export function requantI32RowsRef(
  p: Int32Array, rows: number, n: number, scale: { m: ArrayLike<number>; k: ArrayLike<number> },
): { q: Int8Array; params: RowParams } {
  const q = new Int8Array(rows * n); // [rows, n]
  const params: RowParams = { m: new Int32Array(rows), k: new Int32Array(rows), z: new Int32Array(rows) };
  for (let r = 0; r < rows; r++) {
    const row = quantizeRowRef(p.subarray(r * n, (r + 1) * n), scale.m[r], scale.k[r]);
    q.set(row.q, r * n);
    params.m[r] = row.m;
    params.k[r] = row.k;
    params.z[r] = row.z;
  }
  return { q, params };
}

/** float64 values of int8 rows with per-row (m, k, z) (for tests and debugging, not inference). */
export function dequantizeRows(q: Int8Array, rows: number, n: number, params: RowParams): Float64Array {
  const y = new Float64Array(rows * n); // [rows, n]
  for (let r = 0; r < rows; r++) {
    const s = params.m[r] / 2 ** params.k[r];
    for (let j = 0; j < n; j++) y[r * n + j] = (q[r * n + j] - params.z[r]) * s;
  }
  return y;
}

/** float64 values of int32 rows with per-row (m, k). */
export function dequantizeI32Rows(p: Int32Array, rows: number, n: number, scale: { m: ArrayLike<number>; k: ArrayLike<number> }): Float64Array {
  const y = new Float64Array(rows * n); // [rows, n]
  for (let r = 0; r < rows; r++) {
    const s = scale.m[r] / 2 ** scale.k[r];
    for (let j = 0; j < n; j++) y[r * n + j] = p[r * n + j] * s;
  }
  return y;
}
