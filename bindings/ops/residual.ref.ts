// Scalar reference of the residual add (assembly/ops/residual.ts holds the contract).

import { rshiftRound } from '../common/dyadic.js';
import type { Residual, RowParams } from '../common/rows.js';
import { bitLength, mulPow2Div, SAT62 } from '../common/intmath.ref.js';

/**
 * Accuracy budget against float64 a + b of the dequantized inputs, in units of the output scale s_o:
 * half a unit for each of the two roundings, plus the branch multiplier's relative error (< 2^-29)
 * times the branch's magnitude (< 2^29 units): 2 units. Outputs keep 28..29 significant bits, so this
 * is ~2^-27 of the row's largest value.
 */
export const RESIDUAL_MAX_ERROR_UNITS = 2;

export function residualAddRef(a: Residual, b: { q: Int8Array; params: RowParams }, rows: number, n: number): Residual {
  const out: Residual = { p: new Int32Array(rows * n), m: new Int32Array(rows), k: new Int32Array(rows) };
  for (let r = 0; r < rows; r++) {
    const ma = BigInt(Math.max(1, a.m[r]));
    const ka = a.k[r];
    const mb = BigInt(Math.max(0, b.params.m[r]));
    const kb = b.params.k[r];
    const zb = b.params.z[r];
    let maxA = 0;
    for (let j = 0; j < n; j++) maxA = Math.max(maxA, Math.abs(a.p[r * n + j]));
    const bBound = mulPow2Div(255n * mb, ka - kb, ma) + 1n;
    let bound = BigInt(maxA) + bBound;
    if (bound > SAT62) bound = SAT62;
    let t = bitLength(bound) - 29;
    if (bBound > SAT62) t = Math.max(t, bitLength(255n * mb) - bitLength(ma) + (ka - kb) + 1 - 29);
    const x = 30 + bitLength(ma) - bitLength(mb);
    let mbq = (mb << BigInt(x)) / ma;
    let kbq = x - (ka - kb - t);
    if (mbq === 0n || kbq > 62) {
      mbq = 0n;
      kbq = 1;
    } else if (kbq < 1) kbq = 1;
    for (let j = 0; j < n; j++) {
      const av = a.p[r * n + j];
      const as = t > 0 ? Number(rshiftRound(BigInt(av), t)) : av * 2 ** -t; // 0 once t > 30 (|a| < 2^30)
      const bs = Number(rshiftRound(BigInt(b.q[r * n + j] - zb) * mbq, kbq));
      out.p[r * n + j] = as + bs;
    }
    out.m[r] = Number(ma);
    out.k[r] = ka - t;
  }
  return out;
}
