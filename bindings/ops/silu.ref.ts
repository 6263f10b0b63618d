// Scalar reference of DI-SiLU / DI-SwiGLU (assembly/ops/silu.ts holds the contract and method).

import type { RowParams } from '../common/rows.js';
import { expParams, expQ29, type ExpParams } from './exp.ref.js';
import { bitLength } from '../common/intmath.ref.js';
import { requantI32RowsRef } from './requant.ref.js';

const RECIP_C48 = 46261; // round(48/17 * 2^14)
const RECIP_C32 = 30840; // round(32/17 * 2^14)

// Accuracy budgets against float64 (test/ops/silu.test.ts). Issue bar: max |error| <= 1% of the row's
// max |output|.
/** int32 output: sigmoid error (exp 8e-4 relative, Newton + Q15 rounding ~1e-4) on top of exact products. */
export const SILU_I32_MAX_ERROR_OF_ROW_MAX = 2e-3;
/** int8 output: plus half a step of 254 levels over the row's range (<= 2 * max|y| / 254 / 2 = 0.4%). */
export const SILU_I8_MAX_ERROR_OF_ROW_MAX = 0.01;

/** sigmoid(v * s) in Q15 with the exp parameters of s. */
export function sigmoidQ15(v: number, p: ExpParams): number {
  const e = expQ29(Math.abs(v), p);
  const d = (e + 2 ** 29) >>> 15;
  let x = RECIP_C48 - ((d * RECIP_C32) >> 15);
  x = (x * (2 ** 15 - ((d * x) >> 15))) >> 14;
  x = (x * (2 ** 15 - ((d * x) >> 15))) >> 14;
  return v < 0 ? 2 ** 15 - x : x;
}

export interface SwigluRefArgs {
  gate: Int8Array; // [rows, n]
  gateParams: RowParams; // [rows]
  up: Int8Array | null; // [rows, n]
  upParams: RowParams | null;
  smooth: Int16Array | null; // [n], 1/s_c = a_c / 2^smoothK
  smoothK: number;
  rows: number;
  n: number;
}

/** Reference of di_swiglu_rows mode 1: p [rows, n] int32 with per-row (m_a, k_a). */
export function swigluRowsI32Ref(a: SwigluRefArgs): { p: Int32Array; m: Int32Array; k: Int32Array } {
  const { rows, n } = a;
  const p = new Int32Array(rows * n); // [rows, n]
  const m = new Int32Array(rows);
  const k = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const mg = a.gateParams.m[r];
    const kg = a.gateParams.k[r];
    const zg = a.gateParams.z[r];
    const ep = expParams(mg, kg + (a.smooth ? a.smoothK : 0));
    for (let j = 0; j < n; j++) {
      const d = a.gate[r * n + j] - zg;
      const v = a.smooth ? d * a.smooth[j] : d;
      let y = d * sigmoidQ15(v, ep);
      if (a.up) y = (y >> 2) * (a.up[r * n + j] - a.upParams!.z[r]);
      p[r * n + j] = y;
    }
    let ma = BigInt(Math.max(1, mg));
    let ka = kg + 15;
    if (a.up) {
      ma *= BigInt(Math.max(1, a.upParams!.m[r]));
      ka = kg + a.upParams!.k[r] + 13;
      const excess = bitLength(ma) - 31;
      if (excess > 0) {
        ma >>= BigInt(excess);
        ka -= excess;
      }
    }
    m[r] = Number(ma);
    k[r] = ka;
  }
  return { p, m, k };
}

/** Reference of di_swiglu_rows mode 0: int8 [rows, n] with per-row (m, k, z). */
export function swigluRowsI8Ref(a: SwigluRefArgs): { q: Int8Array; params: RowParams } {
  const r = swigluRowsI32Ref(a);
  return requantI32RowsRef(r.p, a.rows, a.n, { m: r.m, k: r.k });
}
