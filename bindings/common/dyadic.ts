// Dyadic scales on the TypeScript side: choosing m and k offline (float allowed), and the scalar
// reference of the integer rescale that assembly/common/dyadic.ts implements (round half up, 64-bit).

/** A scale m / 2^k with integer mantissa m and exponent k. */
export interface Dyadic {
  readonly m: number;
  readonly k: number;
}

/** floor((x + 2^(k-1)) / 2^k): the reference rounding shift (x as bigint, exact at any width). */
export function rshiftRound(x: bigint, k: number): bigint {
  return k > 0 ? (x + (1n << BigInt(k - 1))) >> BigInt(k) : x;
}

/** Reference of assembly/common/dyadic.ts mul_dyadic: round(x * m / 2^k), half up, exact. */
export function mulDyadic(x: number, m: number, k: number): bigint {
  return rshiftRound(BigInt(x) * BigInt(m), k);
}
