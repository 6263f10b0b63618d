// Per-channel float factors, offline (float allowed): norm gamma as int16 mantissas with one exponent for
// DI-Norm (bindings/ops/norm.ts) or folded (with LayerNorm's beta) into the next linear layer instead, and
// FSBR's smoothing factors as int16 mantissas of 1/s for DI-SwiGLU (bindings/ops/silu.ts).
import type { NormGamma } from '../ops/norm.js';
import type { SmoothFactors } from '../ops/silu.js';

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

/** Offline: per-channel smoothing factors s_c (float, > 0) -> int16 mantissas of 1/s_c, shared exponent. */
export function quantizeSmoothing(s: ArrayLike<number>): SmoothFactors {
  let max = 0;
  for (let i = 0; i < s.length; i++) {
    if (!(s[i] > 0) || !Number.isFinite(s[i])) throw new RangeError(`dyadic swiglu: smoothing factor s[${i}] = ${s[i]} must be finite and > 0`);
    max = Math.max(max, 1 / s[i]);
  }
  let k = 0;
  while (max * 2 ** (k + 1) <= 32767 && k < 60) k++;
  while (max * 2 ** k > 32767) k--;
  return { a: Int16Array.from(s, (v) => Math.max(1, Math.round(2 ** k / v))), k };
}
