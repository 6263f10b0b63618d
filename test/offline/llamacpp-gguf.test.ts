// Whole llama.cpp files written by bindings/offline/llamacpp-gguf.ts: the round-to-nearest file is
// llama.cpp's own quantizer's file, byte for byte (test/fixtures/llamacpp-writer/tiny-*.gguf, made by
// llama.cpp from tiny-f32.gguf), and every type's file loads back through dyadic's loader close to the
// float weights.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGguf } from '../../bindings/formats/gguf.js';
import { writeGguf, encodeF32, type GgufTypedValue } from '../../bindings/offline/gguf-write.js';
import { loadModel } from '../../bindings/model/load.js';
import { llamaConfig, randomLlamaWeights } from '../../bindings/model/random.js';
import { collectHessians } from '../../bindings/offline/calibrate.js';
import { BLOCK_CODECS, Q4_0, Q5_1, Q6_K, Q8_0, dyadicCodec } from '../../bindings/offline/ggml-blocks.js';
import { allocateBits } from '../../bindings/offline/mixed-precision.js';
import { FILE_TYPE, llamaCppTensorOrder, modelTensor, storedType, typePolicy, writeLlamaCppGguf } from '../../bindings/offline/llamacpp-gguf.js';
import { rng, seeds } from '../helpers/rng.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/llamacpp-writer/${name}`, import.meta.url));

describe('round-to-nearest files are llama.cpp\'s files', () => {
  for (const codec of [Q4_0, Q5_1]) {
    it(`${codec.name}: the whole file equals llama.cpp's quantizer's (default mix: Q8_0 head, F16 fallback for rows of 80)`, () => {
      const bytes = fixture('tiny-f32.gguf');
      const model = loadModel({ bytes, file: 'tiny-f32.gguf' });
      const source = parseGguf(bytes, 'tiny-f32.gguf');
      const written = writeLlamaCppGguf(source, model.config, model.weights, { typeOf: typePolicy({ format: codec }), fileType: FILE_TYPE[codec.name] });
      const want = fixture(`tiny-${codec.name}.gguf`);
      const theirs = parseGguf(want, 'theirs');
      expect(written.tensors.map((t) => t.type)).toEqual([...theirs.tensors.values()].map((t) => ({ 0: 'F32', 1: 'F16', 2: 'Q4_0', 7: 'Q5_1', 8: 'Q8_0' })[t.type]));
      expect(written.bytes.length).toBe(want.length);
      expect(Buffer.compare(Buffer.from(written.bytes), want)).toBe(0);
    });
  }
});

/** A random F32 llama as a parsed GGUF source with 256-wide rows (K-quant super-blocks fit). */
function randomSource(seed: number) {
  const config = llamaConfig({ dim: 256, hiddenDim: 256, nLayers: 1, nHeads: 4, vocabSize: 64, contextLength: 64 });
  const weights = randomLlamaWeights(config, seed);
  const u32 = (value: number): GgufTypedValue => ({ type: 'u32', value });
  const meta: [string, GgufTypedValue][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['llama.context_length', u32(64)], ['llama.embedding_length', u32(256)], ['llama.feed_forward_length', u32(256)],
    ['llama.block_count', u32(1)], ['llama.attention.head_count', u32(4)], ['llama.attention.head_count_kv', u32(4)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
  ];
  const names = ['token_embd', 'output_norm', 'output', 'blk.0.attn_norm', 'blk.0.attn_q', 'blk.0.attn_k', 'blk.0.attn_v', 'blk.0.attn_output', 'blk.0.ffn_norm', 'blk.0.ffn_gate', 'blk.0.ffn_up', 'blk.0.ffn_down'];
  const tensors = names.map((n) => {
    const v = modelTensor(weights, `${n}.weight`)!;
    return { name: `${n}.weight`, dims: v.length === 256 ? [256] : [256, v.length / 256], type: 0, data: encodeF32(v) };
  });
  const bytes = writeGguf(meta, tensors);
  return { bytes, source: parseGguf(bytes, 'random.gguf'), config, weights };
}

const relRms = (a: Float32Array, b: Float32Array) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
};

/** Relative RMS error of uniform round-to-nearest at `bits` over a Gaussian's ~+-3 sigma range, doubled for slack. */
const errorBound = (bits: number) => 2 * (6 / 2 ** bits) / Math.sqrt(12);

describe('every type: a written file loads back through dyadic\'s loader', () => {
  for (const seed of seeds(5)) {
    for (const codec of BLOCK_CODECS) {
      const withGptq = seed === 5; // GPTQ for the fixed seed (slow on a shared machine), round-to-nearest for every seed
      it(`${codec.name}, --pure, round-to-nearest${withGptq ? ' and GPTQ' : ''} (seed ${seed})`, () => {
        const { bytes, source, config, weights } = randomSource(seed);
        const bits = { Q8_0: 8, Q4_0: 4, Q4_1: 4, Q5_0: 5, Q5_1: 5, Q2_K: 2, Q3_K: 3, Q4_K: 4, Q5_K: 5, Q6_K: 6 }[codec.name]!;
        const r = rng(seed);
        const sequences = [Array.from({ length: 24 }, () => Math.floor(r() * 64))];
        const hessians = collectHessians(config, weights, { sequences });
        for (const gptq of withGptq ? [false, true] : [false]) {
          const out = writeLlamaCppGguf(source, config, weights, {
            typeOf: typePolicy({ format: codec, pure: true }), fileType: FILE_TYPE[codec.name], gptq, hessians: gptq ? hessians : undefined,
          });
          expect(out.tensors.filter((t) => t.shape.length === 2).every((t) => t.type === codec.name)).toBe(true);
          expect(out.tensors.map((t) => t.name)).toEqual(llamaCppTensorOrder([...source.tensors.values()]).map((t) => t.name));
          const back = loadModel({ bytes: out.bytes, file: `${codec.name}.gguf` });
          expect(back.config).toEqual(loadModel({ bytes, file: 'f32.gguf' }).config);
          for (const name of ['blk.0.attn_q.weight', 'blk.0.ffn_down.weight', 'token_embd.weight']) {
            const e = relRms(modelTensor(back.weights, name)!, modelTensor(weights, name)!);
            expect(e, `${name} relative RMS error`).toBeLessThan(errorBound(bits));
          }
          const meta = parseGguf(out.bytes, 'out');
          expect(meta.metadata.get('general.file_type')).toBe(FILE_TYPE[codec.name]);
          expect(meta.metadata.get('general.quantization_version')).toBe(2);
        }
      });
    }
  }
});

describe('dyadic\'s own files: rows that are not whole blocks are padded, and the loader crops them', () => {
  for (const seed of seeds(9)) {
    it(`DQ3_G64 and DQ2_G128 over rows of 80 (tiny fixture's ffn_down) load back close to the floats (seed ${seed})`, () => {
      const bytes = fixture('tiny-f32.gguf');
      const model = loadModel({ bytes, file: 'tiny-f32.gguf' });
      const source = parseGguf(bytes, 'tiny-f32.gguf');
      for (const [bits, group] of [[3, 64], [2, 128], [8, 32]]) {
        const out = writeLlamaCppGguf(source, model.config, model.weights, { typeOf: () => dyadicCodec(bits, group), pad: true, gptq: true, fileType: 0 });
        const g = parseGguf(out.bytes, 'own.gguf');
        expect(g.tensors.get('blk.0.ffn_down.weight')!.dims).toEqual([Math.ceil(80 / group) * group, 64]);
        expect(g.metadata.get('dyadic.row_length.blk.0.ffn_down.weight')).toBe(80);
        const back = loadModel({ bytes: out.bytes, file: 'own.gguf' });
        for (const name of ['blk.0.ffn_down.weight', 'blk.0.attn_q.weight']) {
          expect(relRms(modelTensor(back.weights, name)!, modelTensor(model.weights, name)!), `${name} at ${bits} bits`).toBeLessThan(errorBound(bits));
        }
      }
    });
  }
  it('a padded row length that does not fit its tensor is a clear error', () => {
    const bytes = fixture('tiny-f32.gguf');
    const model = loadModel({ bytes, file: 'tiny-f32.gguf' });
    const out = writeLlamaCppGguf(parseGguf(bytes, 't'), model.config, model.weights, { typeOf: () => dyadicCodec(4, 64), pad: true, fileType: 0 });
    const at = Buffer.from(out.bytes).indexOf('dyadic.row_length.blk.0.ffn_down.weight');
    const bad = Uint8Array.from(out.bytes);
    new DataView(bad.buffer).setUint32(at + 'dyadic.row_length.blk.0.ffn_down.weight'.length + 4, 500, true);
    expect(() => loadModel({ bytes: bad, file: 'bad.gguf' })).toThrow(/row_length.*500/);
  });
});

describe('bits per tensor under a budget', () => {
  it('narrows the least sensitive matrices first and meets the budget', () => {
    const matrices = [{ name: 'a', rows: 10, cols: 32 }, { name: 'b', rows: 10, cols: 32 }];
    const sens = new Map([['a', new Map([[8, 0], [4, 0.001], [2, 0.5]])], ['b', new Map([[8, 0], [4, 0.2], [2, 0.9]])]]);
    const bitsOf = (_m: unknown, b: number) => 320 * b;
    const r = allocateBits(matrices, [8, 4, 2], sens, 6, bitsOf);
    expect(Object.fromEntries(r.bits)).toEqual({ a: 4, b: 8 });
    expect(r.bitsPerParameter).toBe(6);
    expect(r.predictedLoss).toBeCloseTo(0.001, 12);
    const tight = allocateBits(matrices, [8, 4, 2], sens, 3, bitsOf);
    expect(Object.fromEntries(tight.bits)).toEqual({ a: 2, b: 4 });
    expect(tight.bitsPerParameter).toBeLessThanOrEqual(3);
  });
});

describe('padding in dyadic\'s own files', () => {
  it('pads dyadic types always, a llama.cpp type only when it costs at most 1/8 more, else falls back as llama.cpp', () => {
    expect(storedType(dyadicCodec(4, 128), 64, true)).toBe(dyadicCodec(4, 128));
    expect(storedType(Q4_0, 172, true)).toBe(Q4_0); // 192 / 172 = 1.12
    expect(storedType(Q6_K, 64, true)).toBe(Q8_0); // 256 / 64: llama.cpp's fallback instead
    expect(storedType(Q4_0, 172, false)).toBe('F16');
  });
});
