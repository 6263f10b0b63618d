// TypeScript twins of assembly/common/intmath.ts (BigInt, exact), for the scalar references.

export const SAT62 = 1n << 62n;

export function bitLength(x: bigint): number {
  return x <= 0n ? 0 : x.toString(2).length;
}

/** floor(a * 2^e / d), saturated at 2^62, with the same operand normalisation as the wasm helper. */
export function mulPow2Div(a: bigint, e: number, d: bigint): bigint {
  if (a <= 0n) return 0n;
  let q: bigint;
  if (e >= 0) {
    const s = Math.min(62 - bitLength(a), e);
    q = (a << BigInt(s)) / d;
    const rest = e - s;
    if (rest > 0) {
      if (q !== 0n && bitLength(q) + rest > 62) return SAT62;
      q <<= BigInt(rest);
    }
  } else {
    const neg = -e;
    const s = Math.min(62 - bitLength(d), neg);
    const rest = neg - s;
    q = a / (d << BigInt(s));
    q = rest >= 63 ? 0n : q >> BigInt(rest);
  }
  return q > SAT62 ? SAT62 : q;
}

/** floor(sqrt(v)) for 0 <= v < 2^62. */
export function isqrt(v: bigint): bigint {
  if (v < 0n) throw new RangeError('isqrt of a negative number');
  if (v < 2n) return v;
  let x = BigInt(Math.floor(Math.sqrt(Number(v))));
  while (x * x > v) x--;
  while ((x + 1n) * (x + 1n) <= v) x++;
  return x;
}

/** The even shift t with bitLength(v * 2^t) in {61, 62} (negative: shift right). */
export function evenNormShift(v: bigint): number {
  const t = 62 - bitLength(v);
  return (t & 1) !== 0 ? t - 1 : t;
}

export function shiftBig(v: bigint, t: number): bigint {
  return t >= 0 ? v << BigInt(t) : v >> BigInt(-t);
}

/** y ~ 2^60 / sqrt(v) for v in [2^60, 2^62): the wasm helper's Newton steps, exactly. */
export function invSqrtQ30(v: bigint): bigint {
  const x = v >> 30n;
  let y = 1116691497n - x / 6n;
  for (let i = 0; i < 5; i++) {
    const y2 = (y * y) >> 30n;
    const vy2 = (x * y2) >> 30n;
    y = (y * ((3n << 30n) - vy2)) >> 31n;
  }
  return y;
}
