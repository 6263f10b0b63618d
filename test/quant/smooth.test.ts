import { describe, expect, it } from 'vitest';
import { divideRows, scaleColumns, scaleHessian, searchSmoothing } from '../../bindings/offline/smooth.js';
import { rng, seeds } from '../helpers/rng.js';

describe('activation-aware smoothing', () => {
  for (const seed of seeds(9)) {
    it(`never increases the group's output error, and the rewrite is exact in float64 (seed ${seed})`, () => {
      const r = rng(seed);
      const cols = 32;
      const rows = 20;
      const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
      // inputs with a few outlier channels, the case smoothing is for
      const amp = Float64Array.from({ length: cols }, (_, j) => (j % 7 === 0 ? 20 : 1));
      const h = new Float64Array(cols * cols);
      const xs: Float64Array[] = [];
      for (let s = 0; s < 200; s++) {
        const x = Float64Array.from({ length: cols }, (_, j) => gauss() * amp[j]);
        xs.push(x);
        for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) h[i * cols + j] += x[i] * x[j];
      }
      const w = Float32Array.from({ length: rows * cols }, () => gauss() * 0.1);
      const res = searchSmoothing([{ w, rows }], cols, h, 4);
      expect(res.errorAfter).toBeLessThanOrEqual(res.errorBefore);
      expect(res.alpha).toBeGreaterThan(0); // outlier channels: some migration pays
      // (W s)(x / s) == W x
      const ws = scaleColumns(w, rows, cols, res.s);
      for (const x of xs.slice(0, 5)) {
        for (let n = 0; n < rows; n++) {
          let a = 0;
          let b = 0;
          for (let j = 0; j < cols; j++) {
            a += w[n * cols + j] * x[j];
            b += ws[n * cols + j] * (x[j] / res.s[j]);
          }
          expect(b).toBeCloseTo(a, 4);
        }
      }
      const hs = scaleHessian(h, cols, res.s);
      expect(hs[3 * cols + 5]).toBeCloseTo(h[3 * cols + 5] / (res.s[3] * res.s[5]), 6);
      expect(Array.from(divideRows(Float32Array.of(2, 4, 6, 8), 2, 2, [2, 4]))).toEqual([1, 2, 1.5, 2]);
    });
  }

  it('ties columns that must share a factor (grouped-query attention)', () => {
    const cols = 4;
    const h = new Float64Array(16);
    [1, 100, 4, 9].forEach((v, j) => (h[j * cols + j] = v));
    const w = Float32Array.from({ length: 8 }, (_, i) => (i % 3) - 1);
    const res = searchSmoothing([{ w, rows: 2 }], cols, h, 4, 'mse', Int32Array.of(0, 0, 1, 1));
    expect(res.s[0]).toBe(res.s[1]);
    expect(res.s[2]).toBe(res.s[3]);
  });
});
