// Scalar reference of reduce_levels_rows (assembly/ops/levels.ts holds the contract), exact.
import type { RowParams } from '../common/rows.js';

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** Returns new rows and params; the inputs are not modified. */
export function reduceLevelsRef(q: Int8Array, rows: number, n: number, params: RowParams, bits: number): { q: Int8Array; params: RowParams } {
  const L = 2 ** bits - 1;
  const out = q.slice();
  const p: RowParams = { m: params.m.slice(), k: params.k.slice(), z: params.z.slice() };
  for (let r = 0; r < rows; r++) {
    const z = params.z[r];
    let lo = z;
    let hi = z;
    for (let j = 0; j < n; j++) {
      lo = Math.min(lo, q[r * n + j]);
      hi = Math.max(hi, q[r * n + j]);
    }
    const R = hi - lo;
    if (R <= L) continue;
    const level = (v: number) => Math.floor(((v - lo) * 2 * L + R) / (2 * R)) - 128;
    for (let j = 0; j < n; j++) out[r * n + j] = level(q[r * n + j]);
    p.z[r] = level(z);
    const num = BigInt(params.m[r]) * BigInt(R);
    const t = 15 - (bitLength(num) - bitLength(BigInt(L)));
    const scaled = t >= 0 ? num << BigInt(t) : (num + (1n << BigInt(-t - 1))) >> BigInt(-t);
    p.m[r] = Number((scaled * 2n + BigInt(L)) / (BigInt(L) * 2n));
    p.k[r] = params.k[r] + t;
  }
  return { q: out, params: p };
}
