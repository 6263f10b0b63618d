// Activation-aware smoothing (SmoothQuant's migration with AWQ's search): scale input channel j of a group
// of linear layers that read the same activations by s_j, W'[:, j] = W[:, j] * s_j, and divide the
// activation by s_j upstream (folded into the norm's gamma), an exact rewrite in float. Channels that carry
// large activations get more weight precision. s_j = rms_j^alpha, with alpha chosen per group on a grid to
// minimise the groups' output error sum_W tr((W - W^)(H)(W - W^)^T) after round-to-nearest quantization,
// computed from the calibration Hessian H = sum x x^T alone. Offline, float64.
import { quantizeMatrix, type ClipMethod } from './quantize-weights.js';
import { type WeightBits } from '../common/weights.js';

export const SMOOTH_ALPHA_GRID = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];

export interface SmoothingResult {
  /** [cols] per-input-channel factors (all 1 when smoothing does not help). */
  s: Float64Array;
  alpha: number;
  /** Output error before (alpha = 0) and after. */
  errorBefore: number;
  errorAfter: number;
}

/** A weight quantizer as the search sees it: W [rows, cols] in, its dequantized rounding out. */
export type RoundTrip = (w: Float32Array, rows: number, cols: number) => ArrayLike<number>;

/** Per-channel round-to-nearest at `bits` (the integer model's weights). */
export function perChannelRoundTrip(bits: WeightBits, clip: ClipMethod = 'mse'): RoundTrip {
  return (w, rows, cols) => {
    const q = quantizeMatrix(w, rows, cols, bits, clip);
    return Float64Array.from(q.values, (v, i) => q.scales[Math.floor(i / cols)] * v); // [rows, cols]
  };
}

/** tr(D H D^T) for D = W - dequant(Q(W * s)) / s, W [rows, cols]. */
function outputError(w: Float32Array, rows: number, cols: number, s: Float64Array, h: Float64Array, roundTrip: RoundTrip): number {
  const scaled = new Float32Array(rows * cols); // [rows, cols]
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) scaled[r * cols + j] = w[r * cols + j] * s[j];
  const q = roundTrip(scaled, rows, cols);
  const d = new Float64Array(cols); // one row of D
  let err = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) d[j] = w[r * cols + j] - q[r * cols + j] / s[j];
    for (let i = 0; i < cols; i++) {
      if (d[i] === 0) continue;
      let acc = 0;
      for (let j = 0; j < cols; j++) acc += h[i * cols + j] * d[j];
      err += d[i] * acc;
    }
  }
  return err;
}

/**
 * `tie` (optional, [cols]) gives columns that must share one factor the same id: with grouped-query
 * attention the o projection's columns of every query head in a group read the same V channel.
 */
export function searchSmoothing(
  weights: { w: Float32Array; rows: number }[], cols: number, h: Float64Array, bits: WeightBits | RoundTrip, clip: ClipMethod = 'mse',
  tie?: Int32Array,
): SmoothingResult {
  const roundTrip = typeof bits === 'function' ? bits : perChannelRoundTrip(bits, clip);
  const logRms = new Float64Array(cols);
  let logMean = 0;
  for (let j = 0; j < cols; j++) {
    logRms[j] = 0.5 * Math.log(Math.max(h[j * cols + j], 1e-30));
    logMean += logRms[j] / cols;
  }
  if (tie) {
    // every column of a tie group takes the group's mean log rms
    const sum = new Map<number, { total: number; count: number }>();
    for (let j = 0; j < cols; j++) {
      const g = sum.get(tie[j]) ?? { total: 0, count: 0 };
      g.total += logRms[j];
      g.count++;
      sum.set(tie[j], g);
    }
    for (let j = 0; j < cols; j++) {
      const g = sum.get(tie[j])!;
      logRms[j] = g.total / g.count;
    }
  }
  const factors = (alpha: number) => Float64Array.from(logRms, (v) => Math.exp(alpha * (v - logMean))); // geometric mean 1
  const total = (s: Float64Array) => weights.reduce((acc, { w, rows }) => acc + outputError(w, rows, cols, s, h, roundTrip), 0);
  let best = { alpha: 0, s: factors(0), err: total(factors(0)) };
  const errorBefore = best.err;
  for (const alpha of SMOOTH_ALPHA_GRID.slice(1)) {
    const s = factors(alpha);
    const err = total(s);
    if (err < best.err) best = { alpha, s, err };
  }
  return { s: best.s, alpha: best.alpha, errorBefore, errorAfter: best.err };
}

/** W[r, :] / s_r (a new array): the producer side of a linear -> linear pair. */
export function divideRows(w: Float32Array, rows: number, cols: number, s: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = w[r * cols + j] / s[r];
  return out;
}

/** W[:, j] * s_j (a new array). */
export function scaleColumns(w: Float32Array, rows: number, cols: number, s: Float64Array): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = w[r * cols + j] * s[j];
  return out;
}

/** The Hessian of the smoothed inputs x / s: H'[i][j] = H[i][j] / (s_i s_j). */
export function scaleHessian(h: Float64Array, cols: number, s: Float64Array): Float64Array {
  const out = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = h[i * cols + j] / (s[i] * s[j]);
  return out;
}
