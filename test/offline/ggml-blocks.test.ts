// The llama.cpp block encoders against llama.cpp itself: test/fixtures/llamacpp-writer/blocks.gguf holds
// F32 weights and the bytes llama.cpp's quantizer wrote for them (see its README). Round-to-nearest types
// must reproduce those bytes exactly; K-types (whose scale searches are this project's own) must decode
// with an error no larger than a stated factor of llama.cpp's. The existing decoder (formats/tensor-types)
// is the independent oracle for every block layout.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGguf } from '../../bindings/formats/gguf.js';
import { decodeTensor } from '../../bindings/formats/tensor-types.js';
import { BLOCK_CODECS, DYADIC_CODECS, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, encodeBlocks, levelOf, levelValue } from '../../bindings/offline/ggml-blocks.js';
import { gptqBlocks } from '../../bindings/offline/gptq-blocks.js';
import { rng, seeds } from '../helpers/rng.js';

const fixture = parseGguf(readFileSync(new URL('../fixtures/llamacpp-writer/blocks.gguf', import.meta.url)), 'blocks.gguf');
const tensor = (name: string) => {
  const t = fixture.tensors.get(name);
  if (!t) throw new Error(`fixture lacks ${name}`);
  return { type: t.type, rows: t.dims[1], cols: t.dims[0], bytes: fixture.bytes.subarray(t.offset, t.offset + t.byteSize) };
};
const f32 = (name: string) => {
  const t = tensor(name);
  return { ...t, values: decodeTensor(t.type, t.bytes, t.rows * t.cols) };
};
const mse = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length;

/**
 * How much larger the mean squared error of this project's K-type encodings may be than llama.cpp's
 * reference quantizer's on the same weights (1 = never worse). Measured on the fixture: see the printed ratios.
 */
export const K_TYPE_ERROR_FACTOR: Record<string, number> = { Q2_K: 1.0, Q3_K: 1.0, Q4_K: 1.0, Q5_K: 1.0, Q6_K: 1.0 };

describe('llama.cpp round-to-nearest types: byte-identical to llama.cpp\'s quantizer', () => {
  for (const source of ['synthetic', 'stories260K']) {
    for (const codec of [Q8_0, Q4_0, Q4_1, Q5_0, Q5_1]) {
      it(`${codec.name} of ${source} weights`, () => {
        const x = f32(`${source}.F32`);
        const want = tensor(`${source}.${codec.name}`);
        expect(want.type).toBe(codec.type);
        const got = encodeBlocks(codec, x.values, x.rows, x.cols);
        expect(got.length).toBe(want.bytes.length);
        let first = -1;
        for (let i = 0; i < got.length && first < 0; i++) if (got[i] !== want.bytes[i]) first = i;
        expect(first, `first differing byte (block ${Math.floor(first / codec.blockBytes)})`).toBe(-1);
      });
    }
  }
});

describe('K-types: reconstruction error within a factor of llama.cpp\'s on the same weights', () => {
  for (const codec of [Q2_K, Q3_K, Q4_K, Q5_K, Q6_K]) {
    it(`${codec.name}`, () => {
      const x = f32('synthetic.F32');
      const theirs = tensor(`synthetic.${codec.name}`);
      expect(theirs.type).toBe(codec.type);
      const theirErr = mse(x.values, decodeTensor(codec.type, theirs.bytes, x.values.length));
      const mine = encodeBlocks(codec, x.values, x.rows, x.cols);
      expect(mine.length).toBe(theirs.bytes.length);
      const myErr = mse(x.values, decodeTensor(codec.type, mine, x.values.length));
      console.log(`${codec.name}: mse ours / llama.cpp = ${(myErr / theirErr).toFixed(3)}`);
      expect(myErr).toBeLessThanOrEqual(theirErr * K_TYPE_ERROR_FACTOR[codec.name]);
    });
  }
});

/** Random rows with outliers, offsets and an all-zero block: what the searches and packers meet. */
function randomMatrix(seed: number, rows: number, cols: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    out[i] = 0.03 * g * (r() < 0.02 ? 8 : 1) + (Math.floor(i / cols) % 3 === 1 ? 0.02 : 0);
  }
  out.fill(0, 0, Math.min(cols, 256)); // an all-zero first block
  return out;
}

describe('every codec: the decoder reads back what the plan says, levels in range', () => {
  for (const seed of seeds(1, 2)) {
    for (const codec of [...BLOCK_CODECS, ...DYADIC_CODECS]) {
      it(`${codec.name} (seed ${seed})`, () => {
        const rows = 3;
        const cols = 2 * codec.blockSize;
        const x = randomMatrix(seed, rows, cols);
        // plan + nearest levels + pack, decoded by the file decoder, equals the plan's own values
        const out = new Uint8Array((rows * cols / codec.blockSize) * codec.blockBytes);
        const want = new Float32Array(rows * cols);
        for (let b = 0; b < rows * cols / codec.blockSize; b++) {
          const xs = x.subarray(b * codec.blockSize, (b + 1) * codec.blockSize);
          const plan = codec.plan(xs);
          const L = new Int32Array(codec.blockSize);
          for (let i = 0; i < codec.blockSize; i++) {
            const g = Math.floor(i / codec.groupSize);
            L[i] = levelOf(codec, plan, g, xs[i]);
            expect(L[i]).toBeGreaterThanOrEqual(codec.lo);
            expect(L[i]).toBeLessThanOrEqual(codec.hi);
            want[b * codec.blockSize + i] = levelValue(plan, g, L[i]);
          }
          codec.pack(plan, L, out, b * codec.blockBytes);
        }
        const got = decodeTensor(codec.type, out, rows * cols);
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i])));
        // the all-zero block decodes to zeros
        for (let i = 0; i < codec.blockSize; i++) expect(got[i]).toBe(0);
      });
    }
  }
});

describe('GPTQ into blocks', () => {
  for (const seed of seeds(3)) {
    it(`lowers the layer's output error x^T (W - Q) H (W - Q)^T x below round-to-nearest (seed ${seed})`, () => {
      const r = rng(seed);
      const rows = 16;
      const cols = 64;
      const w = randomMatrix(seed, rows, cols).map((v, i) => (i < cols ? 0.01 * (i % 7) : v));
      // correlated inputs: x = A z, H = sum x x^T
      const n = 400;
      const h = new Float64Array(cols * cols);
      const mix = Array.from({ length: cols }, () => Array.from({ length: 8 }, () => r() - 0.5));
      for (let s = 0; s < n; s++) {
        const z = Array.from({ length: 8 }, () => r() - 0.5);
        const xv = mix.map((m, j) => m.reduce((a, v, k) => a + v * z[k], 0) + 0.05 * (r() - 0.5) * (j % 5 === 0 ? 10 : 1));
        for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) h[i * cols + j] += xv[i] * xv[j];
      }
      const outErr = (q: Float32Array) => {
        let e = 0;
        for (let row = 0; row < rows; row++) {
          for (let i = 0; i < cols; i++) {
            const di = w[row * cols + i] - q[row * cols + i];
            for (let j = 0; j < cols; j++) e += di * h[i * cols + j] * (w[row * cols + j] - q[row * cols + j]);
          }
        }
        return e;
      };
      for (const codec of [Q4_0, Q4_1, Q5_0, Q8_0]) {
        const rtn = gptqBlocks(codec, w, rows, cols);
        const gptq = gptqBlocks(codec, w, rows, cols, h);
        // what the bytes decode to is what the quantizer says it wrote
        const decoded = decodeTensor(codec.type, gptq.bytes, rows * cols);
        for (let i = 0; i < decoded.length; i++) expect(Math.abs(decoded[i] - gptq.dequantized[i])).toBeLessThanOrEqual(1e-6);
        expect(outErr(gptq.dequantized)).toBeLessThan(outErr(rtn.dequantized));
      }
    });
  }
  it('rejects rows that are not whole blocks and non-finite weights, naming the tensor', () => {
    expect(() => gptqBlocks(Q4_0, new Float32Array(40), 1, 40, undefined, 'blk.0.ffn_down')).toThrow(/blk.0.ffn_down.*40.*32/);
    expect(() => encodeBlocks(Q4_K, new Float32Array(256).fill(NaN), 1, 256, 'w')).toThrow(/w\[0\]\[0\] is NaN/);
  });
});

