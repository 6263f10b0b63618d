// Scalar reference of DI-Exp (assembly/ops/exp.ts holds the contract and the method). Written from
// the contract, not from the wasm: Numbers where every value stays below 2^53, BigInt for the 64-bit
// parameter derivation. Tests compare the kernels to it bit for bit, and it to float64 Math.exp.

import { rshiftRound } from '../common/dyadic.js';
import { bitLength } from '../common/intmath.ref.js';

export const EXP_FRAC_BITS = 15;
/** exp(0) in the output format, Q29. */
export const EXP_ONE = 2 ** 29;
export const LOG2E_Q30 = 1549082005n;
/** Inputs more than EXP_CLIP_NATS below zero clip there. */
export const EXP_CLIP_NATS = 16;
export const EXP_CLIP_Z = 756388; // round(16 * log2(e) * 2^15)
// Q15 coefficients of the cubic for 2^-f / 2 (assembly/ops/exp.ts).
const C1 = -11329;
const C2 = 3776;
const C3 = -639;

/**
 * Accuracy budget of DI-Exp against float64, for scales in [2^-30, 2^12] and inputs above the clip:
 * |e / 2^30 - exp(x)| <= EXP_MAX_REL_ERROR * exp(x) + EXP_MAX_ABS_ERROR.
 * (cubic in Q15 2.2e-4, input resolution after the pre-shift 16 nats / 2^16 = 2.4e-4, multiplier
 * rounding 2^-15 relative to z, truncation of the Q29 result.)
 */
export const EXP_MAX_REL_ERROR = 8e-4;
export const EXP_MAX_ABS_ERROR = 2 ** -28;

export interface ExpParams {
  pre: number;
  mul: number;
  shift: number;
  clipU: number;
}
/** Largest z any u <= clip_u reaches (q <= 31). */
const Z_LIMIT = 2n ** 20n - 1n;

export function expParams(mIn: number, k: number): ExpParams {
  const m = mIn < 1 ? 1 : mIn;
  const product = BigInt(m) * LOG2E_Q30;
  let sh = bitLength(product) - 15;
  let tm = rshiftRound(product, sh);
  if (tm === 1n << 15n) {
    tm = 1n << 14n;
    sh++;
  }
  const te = k + EXP_FRAC_BITS - sh;
  const I32_MAX = 0x7fffffffn;
  let clip: bigint;
  if (te >= 0) {
    if (te > 40) clip = I32_MAX;
    else {
      clip = ((BigInt(EXP_CLIP_Z) << BigInt(te)) + tm - 1n) / tm;
      if (clip > I32_MAX) clip = I32_MAX;
    }
  } else if (te < -40) {
    clip = 1n;
  } else {
    const den = tm << BigInt(-te);
    clip = (BigInt(EXP_CLIP_Z) + den - 1n) / den;
  }
  if (clip < 1n) clip = 1n;
  const pre = Math.max(0, bitLength(clip) - 16);
  let mul: bigint;
  let shift: number;
  if (te - pre >= 0) {
    mul = tm;
    shift = te - pre;
  } else {
    const up = pre - te;
    mul = up >= 16 ? 1n << 30n : tm << BigInt(up);
    if (mul > 1n << 30n) mul = 1n << 30n;
    shift = 0;
  }
  if (shift > 31) {
    mul = 0n;
    shift = 0;
  }
  if (shift === 0 && (clip >> BigInt(pre)) * mul > Z_LIMIT) {
    if (mul > Z_LIMIT) {
      mul = Z_LIMIT;
      clip = 1n << BigInt(pre);
    } else {
      clip = (Z_LIMIT / mul) << BigInt(pre);
    }
  }
  return { pre, mul: Number(mul), shift, clipU: Number(clip) };
}

/** z (octaves below zero, Q15) for u >= 0 (clamped to clip_u), < 2^20 by the parameters' construction. */
export function expZ(u: number, p: ExpParams): number {
  const v = Math.min(u, p.clipU) >>> p.pre;
  return (v * p.mul) >>> p.shift; // v * mul < 2^31: exact in a double
}

/** round((a b + 2^14) / 2^15): i16x8.q15mulr_sat_s (never saturating for these operands). */
function q15mulr(a: number, b: number): number {
  return (a * b + 0x4000) >> 15;
}

/** 2^(29 - z / 2^15): a cubic for the fraction in Q15, then a multiply by 2^(15 - (q & 15)) (for q >= 16,
 * first 2^-16 in Q15 by q15mulr), as the kernel does it. */
export function exp2NegQ29(z: number): number {
  const q = z >>> EXP_FRAC_BITS;
  const f = z & ((1 << EXP_FRAC_BITS) - 1);
  const g = C2 + q15mulr(f, C3);
  const h = C1 + q15mulr(f, g);
  const e16 = 16384 + q15mulr(f, h);
  const p = 2 ** (15 - (q & 15));
  return q > 15 ? q15mulr(e16, p >> 1) : e16 * p;
}

/** exp(-u * s) in Q29. */
export function expQ29(u: number, p: ExpParams): number {
  return exp2NegQ29(expZ(u, p));
}

/** Reference of di_exp_rows: x [rows, n] int32 (x > 0 treated as 0) -> e [rows, n] Q29. */
export function diExpRowsRef(
  x: Int32Array, rows: number, n: number, scaleM: Int32Array, scaleK: Int32Array, scaleStep: number,
): Int32Array {
  const out = new Int32Array(rows * n); // [rows, n]
  for (let r = 0; r < rows; r++) {
    const p = expParams(scaleM[r * scaleStep], scaleK[r * scaleStep]);
    for (let j = 0; j < n; j++) {
      const v = x[r * n + j];
      const u = -Math.max(Math.min(v, 0), -p.clipU);
      out[r * n + j] = expQ29(u, p);
    }
  }
  return out;
}
