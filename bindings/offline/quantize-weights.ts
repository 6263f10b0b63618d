// Offline weight quantization (float allowed here, never at inference): symmetric per-output-channel
// integers at 8, 7, 6 or 4 bits. A matrix W [N rows = output channels][K] becomes
//   W[n][k] ~= scale[n] * q[n][k],   q in [-(2^(b-1) - 1), 2^(b-1) - 1]
// The range is symmetric (W4 uses -7..7, not -8..7) so that the relaxed-SIMD kernels can offset every
// weight by 2^(b-1) into 0..2^b - 1 without overflow, and so that negating a weight is exact.

import { maxLevel, WEIGHT_BITS, type QuantizedMatrix, type WeightBits } from '../common/weights.js';

/**
 * How each channel's range is chosen. 'absmax' maps the largest |w| to the largest level; 'mse' searches
 * a clipping ratio (AWQ/GPTQ-style grid search) that minimises the channel's squared reconstruction
 * error, which matters most at 4 bits where one outlier would otherwise waste most levels.
 */
export type ClipMethod = 'absmax' | 'mse';

// Clip ratios tried by 'mse': 1.0 down to 0.5. The error is convex enough in the ratio that a grid of 51
// points lands within 1% of the optimum ratio.
const MSE_CLIP_GRID = Array.from({ length: 51 }, (_, i) => 1 - i * 0.01);

export function quantizeMatrix(
  w: Float32Array,
  rows: number,
  cols: number,
  bits: WeightBits,
  clip: ClipMethod = 'absmax',
  name = 'matrix',
): QuantizedMatrix {
  if (!WEIGHT_BITS.includes(bits)) throw new RangeError(`dyadic: ${name}: weight bits must be 8, 7, 6 or 4, got ${bits}`);
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || w.length !== rows * cols) {
    throw new RangeError(`dyadic: ${name} has ${w.length} elements, expected [${rows}, ${cols}]`);
  }
  const qmax = maxLevel(bits);
  const values = new Int8Array(rows * cols);
  const scales = new Float64Array(rows);
  for (let n = 0; n < rows; n++) {
    const row = w.subarray(n * cols, (n + 1) * cols);
    let absmax = 0;
    for (let k = 0; k < cols; k++) {
      const v = row[k];
      if (!Number.isFinite(v)) throw new RangeError(`dyadic: ${name}[${n}][${k}] is ${v}`);
      absmax = Math.max(absmax, Math.abs(v));
    }
    if (absmax === 0) {
      scales[n] = 1; // an all-zero channel: any scale reproduces it exactly
      continue;
    }
    let best = absmax / qmax;
    if (clip === 'mse') {
      let bestErr = Infinity;
      for (const ratio of MSE_CLIP_GRID) {
        const s = (absmax * ratio) / qmax;
        let err = 0;
        for (let k = 0; k < cols; k++) {
          const q = Math.max(-qmax, Math.min(qmax, Math.round(row[k] / s)));
          const d = row[k] - q * s;
          err += d * d;
        }
        if (err < bestErr) {
          bestErr = err;
          best = s;
        }
      }
    }
    scales[n] = best;
    const out = values.subarray(n * cols, (n + 1) * cols);
    for (let k = 0; k < cols; k++) out[k] = Math.max(-qmax, Math.min(qmax, Math.round(row[k] / best)));
  }
  return { rows, cols, bits, values, scales };
}

/** W ~= scale * q, back in float (for measuring quantization error and for the float check path). */
