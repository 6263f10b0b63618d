import { describe, expect, it } from 'vitest';
import { gptqQuantize } from '../../bindings/offline/gptq.js';
import { dequantizeMatrix } from '../../bindings/model/integer/dequantize.js';
import { quantizeMatrix } from '../../bindings/offline/quantize-weights.js';
import { rng, seeds } from '../helpers/rng.js';

// Correlated inputs (a random mixing of a few strong directions plus noise), the case GPTQ is built for.
function calibration(seed: number, samples: number, cols: number): Float64Array {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const basis = Array.from({ length: 4 }, () => Float64Array.from({ length: cols }, gauss));
  const x = new Float64Array(samples * cols);
  for (let s = 0; s < samples; s++) {
    const c = basis.map(() => gauss() * 3);
    for (let j = 0; j < cols; j++) x[s * cols + j] = basis.reduce((acc, b, i) => acc + c[i] * b[j], 0) + gauss() * 0.3;
  }
  return x;
}

function outputError(x: Float64Array, samples: number, w: Float32Array, q: Float32Array, rows: number, cols: number): number {
  let err = 0;
  for (let s = 0; s < samples; s++) {
    for (let n = 0; n < rows; n++) {
      let d = 0;
      for (let j = 0; j < cols; j++) d += x[s * cols + j] * (w[n * cols + j] - q[n * cols + j]);
      err += d * d;
    }
  }
  return err;
}

describe('GPTQ', () => {
  for (const seed of seeds(3)) {
    for (const bits of [4, 6] as const) {
      it(`lowers the layer's output error (float64) well below round-to-nearest at ${bits} bits, within the same range (seed ${seed})`, () => {
        const rows = 24;
        const cols = 48;
        const samples = 256;
        const r = rng(seed + 1);
        const w = Float32Array.from({ length: rows * cols }, () => (r() - 0.5) * 0.2);
        const x = calibration(seed, samples, cols);
        const h = new Float64Array(cols * cols);
        for (let s = 0; s < samples; s++) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) h[i * cols + j] += x[s * cols + i] * x[s * cols + j];
        const rtn = quantizeMatrix(w, rows, cols, bits, 'mse');
        const gptq = gptqQuantize(w, rows, cols, bits, h, 'mse');
        const qmax = 2 ** (bits - 1) - 1;
        for (const v of gptq.values) expect(Math.abs(v)).toBeLessThanOrEqual(qmax);
        const eRtn = outputError(x, samples, w, dequantizeMatrix(rtn), rows, cols);
        const eGptq = outputError(x, samples, w, dequantizeMatrix(gptq), rows, cols);
        expect(eGptq).toBeLessThan(0.7 * eRtn);
      });
    }
  }

  it('names a Hessian of the wrong size', () => {
    expect(() => gptqQuantize(new Float32Array(6), 2, 3, 4, new Float64Array(4), 'mse', 'blk.0.ffn_up')).toThrow(/blk.0.ffn_up: Hessian has 4 entries, expected 3\^2/);
  });
});
