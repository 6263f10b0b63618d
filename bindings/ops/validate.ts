// Argument checks shared by the nonlinear operator wrappers: every error names the tensor, the shape,
// the dtype or the value that is wrong, before any kernel runs.

type TypedArrayCtor =
  | Int8ArrayConstructor | Uint8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor
  | Int32ArrayConstructor;

export function checkInt(op: string, what: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`dyadic ${op}: ${what} must be an integer in ${lo}..${hi}, got ${String(v)}`);
  }
  return v;
}

/** Checks dtype and length (rows x n elements) of a tensor. */
export function checkTensor<C extends TypedArrayCtor>(
  op: string, what: string, a: unknown, ctor: C, shape: readonly number[],
): InstanceType<C> {
  if (!(a instanceof ctor)) {
    const got = a === null || a === undefined ? String(a) : (a as object).constructor?.name ?? typeof a;
    throw new TypeError(`dyadic ${op}: ${what} must be a ${ctor.name}, got ${got}`);
  }
  const want = shape.reduce((p, d) => p * d, 1);
  if ((a as InstanceType<C>).length !== want) {
    throw new RangeError(
      `dyadic ${op}: ${what} has ${(a as InstanceType<C>).length} elements, expected [${shape.join(', ')}] = ${want}`,
    );
  }
  return a as InstanceType<C>;
}

/** Per-row dyadic scales m / 2^k (and zero points when `zero` is given): dtype, length and ranges. */
export function checkRowParams(
  op: string, what: string, p: { m: unknown; k: unknown; z?: unknown }, rows: number, withZero: boolean,
  zeroRange: [number, number] = [-128, 127],
): void {
  if (p === null || typeof p !== 'object') throw new TypeError(`dyadic ${op}: ${what} scales must be an object {m, k${withZero ? ', z' : ''}}`);
  const m = checkTensor(op, `${what}.m`, p.m, Int32Array, [rows]);
  const k = checkTensor(op, `${what}.k`, p.k, Int32Array, [rows]);
  for (let i = 0; i < rows; i++) {
    if (m[i] < 1) throw new RangeError(`dyadic ${op}: ${what}.m[${i}] = ${m[i]}, scale mantissas must be >= 1`);
    if (k[i] < -62 || k[i] > 126) throw new RangeError(`dyadic ${op}: ${what}.k[${i}] = ${k[i]} is outside -62..126`);
  }
  if (withZero) {
    const z = checkTensor(op, `${what}.z`, p.z, Int32Array, [rows]);
    for (let i = 0; i < rows; i++) {
      if (z[i] < zeroRange[0] || z[i] > zeroRange[1]) {
        throw new RangeError(`dyadic ${op}: ${what}.z[${i}] = ${z[i]} is outside ${zeroRange[0]}..${zeroRange[1]}`);
      }
    }
  }
}

/** floor(log2(m / 2^k)) for an int32 mantissa m >= 1 (integer arithmetic). */
export function dyadicLog2Floor(m: number, k: number): number {
  return 31 - Math.clz32(m) - k;
}

/** The scales DI-Exp is specified for (assembly/ops/exp.ts): s in [2^-30, 2^12). */
export function checkExpScale(op: string, what: string, m: number, k: number): void {
  const l = dyadicLog2Floor(m, k);
  if (l < -30 || l > 11) {
    throw new RangeError(`dyadic ${op}: ${what} = ${m} / 2^${k} is outside the supported range 2^-30..2^12`);
  }
}
