// DI-Norm (RMSNorm / LayerNorm): validated TypeScript entry to di_norm_rows (contract in
// assembly/ops/norm.ts). Gamma arrives as int16 mantissas (bindings/offline/channel-factors.ts makes them).

import type { DyadicRuntime } from '../runtime/instance.js';
import type { RowParams } from '../common/rows.js';
import { withScratch } from './arena-io.js';
import { checkInt, checkRowParams, checkTensor } from './validate.js';

/** gamma_c ~ g[c] / 2^k with int16 mantissas (offline, float allowed). */
export interface NormGamma {
  g: Int16Array; // [n]
  k: number;
}

export interface NormOptions {
  /** Per-row scales of x (int32 [rows]); they matter only through eps. */
  scale: { m: Int32Array; k: Int32Array };
  /** eps as a dyadic m / 2^k (for example toDyadic(1e-5, 16)); null for none. */
  eps: { m: number; k: number } | null;
  /** int16 gamma mantissas, or null when gamma is folded into the next weights. */
  gamma: NormGamma | null;
  /** 'rms' (default) or 'layer' (subtract the row mean first; needs |x| < 2^30). */
  kind?: 'rms' | 'layer';
}

function validate(op: string, x: Int32Array, rows: number, n: number, o: NormOptions): void {
  checkInt(op, 'rows', rows, 1, 2 ** 24);
  checkInt(op, 'n (row length)', n, 1, 2 ** 24);
  checkTensor(op, 'x', x, Int32Array, [rows, n]);
  checkRowParams(op, 'x', o.scale, rows, false);
  if (o.eps) {
    checkInt(op, 'eps.m', o.eps.m, 0, 2 ** 31 - 1);
    checkInt(op, 'eps.k', o.eps.k, -62, 126);
  }
  if (o.gamma) {
    checkTensor(op, 'gamma.g', o.gamma.g, Int16Array, [n]);
    checkInt(op, 'gamma.k', o.gamma.k, -62, 126);
  }
  const kind = o.kind ?? 'rms';
  if (kind !== 'rms' && kind !== 'layer') throw new RangeError(`dyadic ${op}: kind must be 'rms' or 'layer', got '${String(kind)}'`);
  if (kind === 'layer') {
    for (let i = 0; i < x.length; i++) {
      if (x[i] >= 2 ** 30 || x[i] <= -(2 ** 30)) {
        throw new RangeError(`dyadic ${op}: LayerNorm needs |x| < 2^30, x[${Math.floor(i / n)}, ${i % n}] = ${x[i]}`);
      }
    }
  }
}

function run(rt: DyadicRuntime, x: Int32Array, rows: number, n: number, o: NormOptions, mode: 0 | 1) {
  return withScratch(rt, (f) => {
    const xOff = f.put(x, 'norm input [rows, n] int32');
    const mOff = f.put(o.scale.m, 'norm input scale mantissas [rows]');
    const kOff = f.put(o.scale.k, 'norm input scale exponents [rows]');
    const gOff = o.gamma ? f.put(o.gamma.g, 'norm gamma [n] int16') : 0;
    const scratch = f.alloc((n + 4) * 4, 'norm scratch int32 [n + 4]');
    const out = f.alloc(rows * n * (mode === 1 ? 4 : 1), 'norm output [rows, n]');
    const params = f.alloc(rows * 12, 'norm output row params [3, rows]');
    rt.call(
      'di_norm_rows', xOff, rows, n, n, mOff, kOff, o.eps?.m ?? 0, o.eps?.k ?? 0, gOff, o.gamma?.k ?? 0,
      (o.kind ?? 'rms') === 'layer' ? 1 : 0, scratch, mode, out, n, params, params + rows * 4, params + rows * 8,
    );
    return {
      q8: mode === 0 ? f.i8(out, rows * n) : null,
      p32: mode === 1 ? f.i32(out, rows * n) : null,
      m: f.i32(params, rows),
      k: f.i32(params + rows * 4, rows),
      z: f.i32(params + rows * 8, rows),
    };
  });
}

/** RMSNorm / LayerNorm of int32 rows -> int8 rows with per-row (m, k, z), the matmul input format. */
export function norm(rt: DyadicRuntime, x: Int32Array, rows: number, n: number, o: NormOptions): { q: Int8Array; params: RowParams } {
  validate('norm', x, rows, n, o);
  const r = run(rt, x, rows, n, o, 0);
  return { q: r.q8!, params: { m: r.m, k: r.k, z: r.z } };
}

/** The same normalisation with an int32 output p and per-row (m, k): y ~ p * m / 2^k. */
export function normI32(rt: DyadicRuntime, x: Int32Array, rows: number, n: number, o: NormOptions): { p: Int32Array; m: Int32Array; k: Int32Array } {
  validate('norm', x, rows, n, o);
  const r = run(rt, x, rows, n, o, 1);
  return { p: r.p32!, m: r.m, k: r.k };
}
