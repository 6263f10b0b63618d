// Dyadic scales on the TypeScript side: choosing m and k offline (float allowed), and the scalar
// reference of the integer rescale that assembly/dyadic.ts implements (round half up, 64-bit).

/** A scale m / 2^k with integer mantissa m and exponent k. */
export interface Dyadic {
  readonly m: number;
  readonly k: number;
}

/**
 * The dyadic nearest to `scale` with a mantissa of at most `mantissaBits` bits (default 31 for i32 m)
 * and exponent k in 0..62. Offline only: this is where float enters, never at inference time.
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

/** floor((x + 2^(k-1)) / 2^k): the reference rounding shift (x as bigint, exact at any width). */
export function rshiftRound(x: bigint, k: number): bigint {
  return k > 0 ? (x + (1n << BigInt(k - 1))) >> BigInt(k) : x;
}

/** Reference of assembly/dyadic.ts mul_dyadic: round(x * m / 2^k), half up, exact. */
export function mulDyadic(x: number, m: number, k: number): bigint {
  return rshiftRound(BigInt(x) * BigInt(m), k);
}
