// GPTQ (Frantar et al. 2022, "Accurate Post-Training Quantization for Generative Pre-trained Transformers"):
// quantize a weight matrix one input column at a time and spread each column's rounding error over the
// columns not yet quantized, weighted by the inverse Hessian H^-1 of the layer's inputs (H = sum x x^T
// over calibration activations). Offline and float64; the result is the same symmetric per-channel
// integer format as quantizeMatrix, so kernels and packing do not change.
import { maxLevel, type QuantizedMatrix, type WeightBits } from '../common/weights.js';
import { quantizeMatrix, type ClipMethod } from './quantize-weights.js';

/** Dampening added to H's diagonal, as a fraction of its mean diagonal (the GPTQ paper's 1%). */
export const GPTQ_DAMPENING = 0.01;

/** In-place Cholesky factor (lower) of a symmetric positive definite n x n matrix; throws if not SPD. */
function cholesky(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) throw new Error(`gptq: Hessian is not positive definite at column ${j}`);
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
}

/** H^-1 from H's Cholesky factor L (lower): H^-1 = L^-T L^-1. */
function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  const linv = new Float64Array(n * n); // [n, n] L^-1, lower
  for (let i = 0; i < n; i++) {
    linv[i * n + i] = 1 / l[i * n + i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * n + k] * linv[k * n + j];
      linv[i * n + j] = s / l[i * n + i];
    }
  }
  const inv = new Float64Array(n * n); // [n, n]
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += linv[k * n + i] * linv[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

/**
 * GPTQ's upper Cholesky factor U of the dampened H^-1 ([cols, cols] row-major, zero below the diagonal):
 * rounding column i with error e moves column j > i by -e * U[i][j] / U[i][i]. `h` is overwritten.
 * Undefined when H is all zero (no calibration signal: round to nearest instead).
 */
export function inverseHessianFactor(h: Float64Array, cols: number): Float64Array | undefined {
  let meanDiag = 0;
  for (let i = 0; i < cols; i++) meanDiag += h[i * cols + i] / cols;
  if (!(meanDiag > 0)) return undefined;
  for (let i = 0; i < cols; i++) {
    if (h[i * cols + i] === 0) {
      // an input that never fired: its weights cannot matter; quantize them as they are
      h[i * cols + i] = 1;
    }
    h[i * cols + i] += GPTQ_DAMPENING * meanDiag;
  }
  cholesky(h, cols);
  const hinv = inverseFromCholesky(h, cols);
  cholesky(hinv, cols); // lower factor L of H^-1; U = L^T
  const upper = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) for (let j = i; j < cols; j++) upper[i * cols + j] = hinv[j * cols + i];
  return upper;
}

/**
 * Quantizes w [rows, cols] with per-row scales chosen on the original weights (with clip 'mse': the
 * clipping ratio that minimises the layer's output error d^T H d rather than the weights' own), then
 * rounds column by column with GPTQ's error feedback. `hessian` is [cols, cols] = sum x x^T.
 * Columns go in "act order" (largest H diagonal first: the inputs that carry the most energy are rounded
 * while the most columns remain to absorb their error), as in the GPTQ reference code's --act-order.
 */
export function gptqQuantize(
  w: Float32Array, rows: number, cols: number, bits: WeightBits, hessian: Float64Array, clip: ClipMethod = 'mse', name = 'matrix',
): QuantizedMatrix {
  if (hessian.length !== cols * cols) throw new RangeError(`gptq: ${name}: Hessian has ${hessian.length} entries, expected ${cols}^2`);
  const base = quantizeMatrix(w, rows, cols, bits, clip, name); // the fallback
  const qmax = maxLevel(bits);
  if (clip === 'mse') hessianAwareScales(w, rows, cols, qmax, hessian, base.scales);
  const order = Array.from({ length: cols }, (_, i) => i).sort((a, b) => hessian[b * cols + b] - hessian[a * cols + a]);
  const h = new Float64Array(cols * cols); // [cols, cols] H permuted to act order
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) h[i * cols + j] = hessian[order[i] * cols + order[j]];
  const work = new Float64Array(rows * cols); // [rows, cols] weights being updated, columns in act order
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) work[r * cols + i] = w[r * cols + order[i]];
  const upper = inverseHessianFactor(h, cols);
  if (!upper) return base;
  const u = (i: number, j: number) => upper[i * cols + j];
  const values = new Int8Array(rows * cols);
  for (let i = 0; i < cols; i++) {
    const d = u(i, i);
    for (let r = 0; r < rows; r++) {
      const s = base.scales[r];
      const x = work[r * cols + i];
      const q = Math.max(-qmax, Math.min(qmax, Math.round(x / s)));
      values[r * cols + order[i]] = q;
      const err = (x - q * s) / d;
      for (let j = i + 1; j < cols; j++) work[r * cols + j] -= err * u(i, j);
    }
  }
  return { rows, cols, bits, values, scales: base.scales };
}

/**
 * Per-row scales that minimise the layer's output error d^T H d (d = w - its rounding) over a grid of
 * clipping ratios, instead of the weights' own squared error: the channels that carry large inputs decide.
 */
function hessianAwareScales(w: Float32Array, rows: number, cols: number, qmax: number, h: Float64Array, scales: Float64Array): void {
  const d = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    let absmax = 0;
    for (let j = 0; j < cols; j++) absmax = Math.max(absmax, Math.abs(w[r * cols + j]));
    if (absmax === 0) continue;
    let best = Infinity;
    for (let i = 0; i <= 50; i++) {
      const s = (absmax * (1 - i * 0.01)) / qmax;
      for (let j = 0; j < cols; j++) {
        const v = w[r * cols + j];
        d[j] = v - s * Math.max(-qmax, Math.min(qmax, Math.round(v / s)));
      }
      let err = 0;
      for (let a = 0; a < cols; a++) {
        if (d[a] === 0) continue;
        let acc = 0;
        for (let b = 0; b < cols; b++) acc += h[a * cols + b] * d[b];
        err += d[a] * acc;
      }
      if (err < best) {
        best = err;
        scales[r] = s;
      }
    }
  }
}
