// The integer model's matrix scales and shifts, computed here for the scalar reference from the quantizer's
// float per-channel scales by the documented rules, in code that imports none of the engine's packing
// (bindings/gemm/pack.ts, bindings/common/dyadic.ts, bindings/sparse/). The model tests give these to
// ReferenceIntegerLlama instead of the engine's own referenceScales(), so a wrong packed scale or shift
// shows up as a difference instead of being copied into the oracle.
//
// Rules (bindings/gemm/pack.ts and assembly/gemm/epilogue.ts state them):
//   mantissas: one exponent k per matrix, the largest k <= 62 with max_n(s_n) 2^k <= 2^16 - 1;
//              m_n = max(1, round(s_n 2^k)) (the largest clamped to 2^16 - 1).
//   stage-1 shift r: the smallest r >= 0 with K 255 2^(bits - 1) max_n(m_n) / 2^r + 1/2 < 2^30.
//   1/sqrt(headDim): the nearest m / 2^k with a 15-bit mantissa (largest such k <= 62).
import type { MatrixScales, ReferenceScales } from '../../../bindings/model/integer/quantized-llama.js';
import type { QuantizedLlama } from '../../../bindings/model/integer/quantized-llama.js';
import type { QuantizedMatrix } from '../../../bindings/common/weights.js';

const MANTISSA_LIMIT = 2 ** 16 - 1;

/** Largest k in 0..62 with v 2^k <= limit (v > 0). */
function exponentFor(v: number, limit: number): number {
  let k = 62;
  while (k > 0 && v * 2 ** k > limit) k--;
  return k;
}

function matrixScales(q: QuantizedMatrix): MatrixScales {
  const max = Math.max(...q.scales);
  const k = exponentFor(max, MANTISSA_LIMIT);
  const mant = Int32Array.from(q.scales, (s) => Math.min(MANTISSA_LIMIT, Math.max(1, Math.round(s * 2 ** k))));
  const mMax = BigInt(Math.max(1, ...mant));
  // |p| bound before the shift, in exact integers: K 255 2^(bits-1) mMax; want bound / 2^r + 1/2 < 2^30,
  // i.e. 2 bound + 2^r < 2^31 2^r
  const bound = BigInt(q.cols) * 255n * 2n ** BigInt(q.bits - 1) * mMax;
  let shift = 0;
  while (shift < 62 && 2n * bound + 2n ** BigInt(shift) >= 2n ** BigInt(31 + shift)) shift++;
  return { mant, k, shift };
}

/** Every matrix's (mantissas, exponent, stage-1 shift) of `qm`, for ReferenceIntegerLlama. */
export function oracleScales(qm: QuantizedLlama): ReferenceScales {
  return {
    layers: qm.layers.map((l) => ({
      wq: matrixScales(l.wq), wk: matrixScales(l.wk), wv: matrixScales(l.wv), wo: matrixScales(l.wo),
      wGate: matrixScales(l.wGate), wUp: matrixScales(l.wUp), wDown: matrixScales(l.wDown),
    })),
    output: matrixScales(qm.output),
  };
}

/** 1/sqrt(headDim) as the nearest m / 2^k with a 15-bit mantissa. */
export function oracleInvSqrtHeadDim(headDim: number): { m: number; k: number } {
  const v = 1 / Math.sqrt(headDim);
  const k = exponentFor(v, 2 ** 15 - 1);
  return { m: Math.min(2 ** 15 - 1, Math.round(v * 2 ** k)), k };
}
