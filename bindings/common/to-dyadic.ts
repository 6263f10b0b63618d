// Setup arithmetic: the dyadic m / 2^k nearest to a real scale. Float enters here, once per tensor or
// constant, when a model is quantized (bindings/offline/) or loaded (packing per-channel scales,
// attention's 1/sqrt(headDim)); no kernel wrapper or forward step calls it per token. It lives outside
// bindings/offline/ so that load-time code on the inference path need not import the offline folder.

import type { Dyadic } from './dyadic.js';

/**
 * The dyadic nearest to `scale` with a mantissa of at most `mantissaBits` bits (default 31 for i32 m)
 * and exponent k in 0..62. Setup only (see the header): float enters here, never per token.
 */
export function toDyadic(scale: number, mantissaBits = 31): Dyadic {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`dyadic: scale must be a finite positive number, got ${scale}`);
  const limit = 2 ** mantissaBits - 1;
  let k = 0;
  while (k < 62 && scale * 2 ** (k + 1) <= limit) k++;
  let m = Math.round(scale * 2 ** k);
  if (m > limit) m = limit;
  if (m === 0) throw new RangeError(`dyadic: scale ${scale} is too small for a ${mantissaBits}-bit mantissa with k <= 62`);
  return { m, k };
}

/** Shares one exponent k across several scales (per-channel mantissas, one exponent per tensor). */
export function toDyadicShared(scales: ArrayLike<number>, mantissaBits = 31): { m: Int32Array; k: number } {
  let max = 0;
  for (let i = 0; i < scales.length; i++) {
    const s = scales[i];
    if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`dyadic: scale ${i} must be a finite positive number, got ${s}`);
    if (s > max) max = s;
  }
  const { k } = toDyadic(max, mantissaBits);
  const m = new Int32Array(scales.length);
  for (let i = 0; i < scales.length; i++) m[i] = Math.max(1, Math.round(scales[i] * 2 ** k));
  return { m, k };
}

export function dyadicValue(d: Dyadic): number {
  return d.m / 2 ** d.k;
}
