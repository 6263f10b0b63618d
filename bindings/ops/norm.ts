// DI-Norm (RMSNorm / LayerNorm): validated TypeScript entry to di_norm_rows (contract in
// assembly/nonlinear/norm.ts), plus the offline helpers: gamma as int16 mantissas, and folding gamma
// (and LayerNorm's beta) into the next linear layer instead.

import type { DyadicRuntime } from '../runtime/instance.js';
import type { RowParams } from '../gemm/epilogue-reference.js';
import { withScratch } from './arena-io.js';
import { checkInt, checkRowParams, checkTensor } from './validate.js';

/** gamma_c ~ g[c] / 2^k with int16 mantissas (offline, float allowed). */
export interface NormGamma {
  g: Int16Array; // [n]
  k: number;
}

/** Quantizes a float gamma to int16 mantissas with one shared exponent (max |g| in 2^14..2^15). */
export function quantizeGamma(gamma: ArrayLike<number>): NormGamma {
  let max = 0;
  for (let i = 0; i < gamma.length; i++) {
    if (!Number.isFinite(gamma[i])) throw new RangeError(`dyadic norm: gamma[${i}] = ${gamma[i]} is not finite`);
    max = Math.max(max, Math.abs(gamma[i]));
  }
  if (max === 0) throw new RangeError('dyadic norm: gamma is all zero');
  let k = 0;
  while (max * 2 ** (k + 1) < 32767 && k < 60) k++;
  while (max * 2 ** k > 32767) k--;
  const g = Int16Array.from(gamma, (v) => Math.round(v * 2 ** k));
  return { g, k };
}

/**
 * Folds a norm's gamma (and LayerNorm's beta) into the next linear layer y = W x + b, offline:
 * W'[o, c] = W[o, c] * gamma[c], b'[o] = b[o] + sum_c W[o, c] * beta[c]. The norm then runs without gamma.
 * W is [out, in] row-major (float).
 */
export function foldNormIntoLinear(
  gamma: ArrayLike<number>, beta: ArrayLike<number> | null, weight: Float32Array, outFeatures: number,
  bias: Float32Array | null = null,
): { weight: Float32Array; bias: Float32Array | null } {
  const n = gamma.length;
  if (weight.length !== outFeatures * n) {
    throw new RangeError(`dyadic foldNormIntoLinear: weight has ${weight.length} elements, expected [${outFeatures}, ${n}]`);
  }
  if (beta && beta.length !== n) throw new RangeError(`dyadic foldNormIntoLinear: beta has ${beta.length} elements, expected ${n}`);
  if (bias && bias.length !== outFeatures) throw new RangeError(`dyadic foldNormIntoLinear: bias has ${bias.length} elements, expected ${outFeatures}`);
  const w = new Float32Array(weight.length); // [out, in]
  const b = beta || bias ? new Float32Array(outFeatures) : null; // [out]
  for (let o = 0; o < outFeatures; o++) {
    let acc = bias ? bias[o] : 0;
    for (let c = 0; c < n; c++) {
      w[o * n + c] = weight[o * n + c] * gamma[c];
      if (beta) acc += weight[o * n + c] * beta[c];
    }
    if (b) b[o] = acc;
  }
  return { weight: w, bias: b };
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
