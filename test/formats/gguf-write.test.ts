import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseGguf, ggufTensorF32 } from '../../bindings/formats/gguf.js';
import { halfToFloat } from '../../bindings/formats/tensor-types.js';
import { encodeF16, encodeQ8_0, floatToHalf, GgmlType, writeGguf, type GgufTypedValue } from '../../bindings/offline/gguf-write.js';
import { freshSeed, seededPerTest } from '../helpers/rng.js';
import { readModelFile } from '../model/helpers/paths.js';

const SEED = freshSeed(); // named in the describe title
const random = seededPerTest(SEED);

// The GGUF value types llama.cpp's convert-llama2c-to-ggml uses for each key of stories260K.gguf.
const LLAMA_CPP_TYPES: Record<string, GgufTypedValue['type'] | `array:${string}`> = {
  'tokenizer.ggml.tokens': 'array:string',
  'tokenizer.ggml.scores': 'array:f32',
  'tokenizer.ggml.token_type': 'array:i32',
  'tokenizer.ggml.model': 'string',
  'general.architecture': 'string',
  'general.name': 'string',
};

describe(`GGUF writer (seed ${SEED})`, () => {
  it('rewrites llama.cpp\'s stories260K.gguf byte for byte from the parsed file', () => {
    const original = readModelFile('stories260K.gguf');
    const g = parseGguf(original, 'stories260K.gguf');
    const metadata: [string, GgufTypedValue][] = [...g.metadata].map(([key, value]) => {
      const t = LLAMA_CPP_TYPES[key] ?? (key.endsWith('epsilon') ? 'f32' : 'u32');
      if (t.startsWith('array:')) return [key, { type: 'array', of: t.slice(6) as never, value: value as never }];
      return [key, { type: t as never, value: value as never }];
    });
    const tensors = [...g.tensors.values()].map((t) => ({
      name: t.name,
      dims: t.dims,
      type: t.type,
      data: g.bytes.subarray(t.offset, t.offset + t.byteSize),
    }));
    const written = writeGguf(metadata, tensors);
    expect(written.length).toBe(original.length);
    expect(Buffer.compare(Buffer.from(written), original)).toBe(0);
  });

  it('round-trips F16 and Q8_0 tensors through the reader within their format\'s rounding', () => {
    const n = 64 * 3;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = (random() - 0.5) * 10 ** (random() * 4 - 2);
    const bytes = writeGguf(
      [['general.architecture', { type: 'string', value: 'llama' }], ['custom.count', { type: 'u64', value: 123n }]],
      [
        { name: 'a', dims: [64, 3], type: GgmlType.F16, data: encodeF16(x) },
        { name: 'b', dims: [64, 3], type: GgmlType.Q8_0, data: encodeQ8_0(x) },
      ],
      { alignment: 64 },
    );
    const g = parseGguf(bytes, 'synthetic.gguf');
    expect(g.alignment).toBe(64);
    expect(g.metadata.get('custom.count')).toBe(123);
    const a = ggufTensorF32(g, 'a');
    const b = ggufTensorF32(g, 'b');
    for (let i = 0; i < n; i++) {
      // F16: relative error <= 2^-11 in the normal range (float64 oracle)
      if (Math.abs(x[i]) > 6.2e-5) expect(Math.abs(a[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -11 * 1.0001);
      // Q8_0: error <= half a step of the block's scale (plus the f16 rounding of the scale)
      let amax = 0;
      const blk = Math.floor(i / 32) * 32;
      for (let j = blk; j < blk + 32; j++) amax = Math.max(amax, Math.abs(x[j]));
      expect(Math.abs(b[i] - x[i])).toBeLessThanOrEqual((amax / 127) * 0.5 + amax * 2 ** -10);
    }
  });

  it('converts float to half with round-to-nearest-even, agreeing with the reader on every half', () => {
    for (let h = 0; h < 0x7c00; h += 7) {
      expect(floatToHalf(halfToFloat(h))).toBe(h);
      expect(floatToHalf(-halfToFloat(h))).toBe(h | 0x8000);
    }
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie to even: stays 1.0
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie to even: rounds up
    expect(floatToHalf(70000)).toBe(0x7c00); // overflow to infinity
  });
});
