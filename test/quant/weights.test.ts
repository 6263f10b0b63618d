import { describe, expect, it } from 'vitest';
import { dequantizeMatrix } from '../../bindings/model/integer/dequantize.js';
import { quantizeMatrix } from '../../bindings/offline/quantize-weights.js';
import { maxLevel, WEIGHT_BITS } from '../../bindings/common/weights.js';
import { freshSeed } from '../helpers/rng.js';

function gaussianMatrix(rows: number, cols: number, seed: number, outliers = 0): Float32Array {
  let s = seed >>> 0 || 1;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const w = new Float32Array(rows * cols);
  for (let i = 0; i < w.length; i++) w[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) * 0.02;
  for (let i = 0; i < outliers; i++) w[Math.floor(uniform() * w.length)] = (uniform() < 0.5 ? -1 : 1) * 0.5;
  return w;
}

describe('per-channel symmetric weight quantization', () => {
  const seed = freshSeed();
  for (const bits of WEIGHT_BITS) {
    it(`${bits}-bit: levels stay symmetric, and every weight is within half a step of its channel's grid (seed ${seed})`, () => {
      const rows = 37;
      const cols = 101;
      const w = gaussianMatrix(rows, cols, seed + bits);
      const q = quantizeMatrix(w, rows, cols, bits);
      const qmax = maxLevel(bits);
      const back = dequantizeMatrix(q);
      for (let n = 0; n < rows; n++) {
        let absmax = 0;
        for (let k = 0; k < cols; k++) absmax = Math.max(absmax, Math.abs(w[n * cols + k]));
        // float64 oracle: the absmax scale, and round-to-nearest within it
        expect(q.scales[n]).toBeCloseTo(absmax / qmax, 12);
        for (let k = 0; k < cols; k++) {
          const v = q.values[n * cols + k];
          expect(Math.abs(v)).toBeLessThanOrEqual(qmax);
          expect(Math.abs(back[n * cols + k] - w[n * cols + k])).toBeLessThanOrEqual(q.scales[n] / 2 + 1e-9);
        }
      }
    });
  }

  it('mse clipping beats absmax on channels with outliers at 4 bits, and never loses to it', () => {
    const rows = 16;
    const cols = 512;
    const w = gaussianMatrix(rows, cols, 7, 12);
    const err = (q: ReturnType<typeof quantizeMatrix>) => {
      const b = dequantizeMatrix(q);
      const perRow = new Float64Array(rows);
      for (let i = 0; i < w.length; i++) perRow[Math.floor(i / cols)] += (b[i] - w[i]) ** 2;
      return perRow;
    };
    const plain = err(quantizeMatrix(w, rows, cols, 4, 'absmax'));
    const mse = err(quantizeMatrix(w, rows, cols, 4, 'mse'));
    for (let n = 0; n < rows; n++) expect(mse[n]).toBeLessThanOrEqual(plain[n] * (1 + 1e-12));
    expect(mse.reduce((a, b) => a + b)).toBeLessThan(0.8 * plain.reduce((a, b) => a + b));
  });

  it('keeps an all-zero channel exact and names bad input', () => {
    const q = quantizeMatrix(new Float32Array(8), 2, 4, 8);
    expect(Array.from(q.values)).toEqual(new Array(8).fill(0));
    expect(() => quantizeMatrix(new Float32Array(7), 2, 4, 8, 'absmax', 'blk.0.attn_q')).toThrow(/blk.0.attn_q has 7 elements, expected \[2, 4\]/);
    expect(() => quantizeMatrix(new Float32Array(8), 2, 4, 5 as never)).toThrow(/8, 7, 6 or 4, got 5/);
    expect(() => quantizeMatrix(new Float32Array([0, NaN, 0, 0]), 1, 4, 8, 'absmax', 'wq')).toThrow(/wq\[0\]\[1\] is NaN/);
  });
});
