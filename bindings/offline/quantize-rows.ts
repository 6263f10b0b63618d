// Offline quantization helpers (float allowed: loading, calibration, tests): float rows to the two
// integer activation contracts the operators exchange.
//   int8 rows:  y ~ m_r / 2^k_r * (q - z_r)     (matmul inputs and outputs; assembly/gemm/epilogue.ts)
//   int32 rows: y ~ p * m_r / 2^k_r             (the residual stream; assembly/ops/residual.ts)

import { toDyadic } from '../common/to-dyadic.js';
import type { RowParams } from '../common/rows.js';

/** Asymmetric per-row int8 quantization with a 16-bit dyadic scale per row. */
export function quantizeRowsI8(x: ArrayLike<number>, rows: number, n: number): { q: Int8Array; params: RowParams } {
  if (x.length !== rows * n) throw new RangeError(`dyadic quantizeRowsI8: x has ${x.length} elements, expected [${rows}, ${n}]`);
  const q = new Int8Array(rows * n); // [rows, n]
  const params: RowParams = { m: new Int32Array(rows), k: new Int32Array(rows), z: new Int32Array(rows) };
  for (let r = 0; r < rows; r++) {
    let lo = 0, hi = 0;
    for (let j = 0; j < n; j++) {
      const v = x[r * n + j];
      if (!Number.isFinite(v)) throw new RangeError(`dyadic quantizeRowsI8: x[${r}, ${j}] = ${v} is not finite`);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const d = toDyadic((hi - lo) / 255 || 2 ** -24, 16);
    const s = d.m / 2 ** d.k;
    const z = Math.max(-128, Math.min(127, Math.round(-lo / s) - 128));
    for (let j = 0; j < n; j++) q[r * n + j] = Math.max(-128, Math.min(127, Math.round(x[r * n + j] / s) + z));
    params.m[r] = d.m;
    params.k[r] = d.k;
    params.z[r] = z;
  }
  return { q, params };
}

/** Per-row int32 quantization with |p| < 2^28 (the residual stream's headroom) and a 16-bit dyadic scale. */
export function quantizeRowsI32(x: ArrayLike<number>, rows: number, n: number): { p: Int32Array; m: Int32Array; k: Int32Array } {
  if (x.length !== rows * n) throw new RangeError(`dyadic quantizeRowsI32: x has ${x.length} elements, expected [${rows}, ${n}]`);
  const p = new Int32Array(rows * n); // [rows, n]
  const m = new Int32Array(rows);
  const k = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let j = 0; j < n; j++) {
      const v = x[r * n + j];
      if (!Number.isFinite(v)) throw new RangeError(`dyadic quantizeRowsI32: x[${r}, ${j}] = ${v} is not finite`);
      max = Math.max(max, Math.abs(v));
    }
    const d = toDyadic(max / 2 ** 27 || 2 ** -40, 16);
    const s = d.m / 2 ** d.k;
    for (let j = 0; j < n; j++) p[r * n + j] = Math.round(x[r * n + j] / s);
    m[r] = d.m;
    k[r] = d.k;
  }
  return { p, m, k };
}
