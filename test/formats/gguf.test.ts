import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../bindings/formats/errors.js';
import { parseGguf, ggufTensorF32 } from '../../bindings/formats/gguf.js';
import { GgmlType, decodeTensor, halfToFloat, tensorByteSize } from '../../bindings/formats/tensor-types.js';
import { FloatLlama } from '../../bindings/model/float-llama.js';
import { loadModel } from '../../bindings/model/load.js';
import { llamaLogitsF64 } from '../model/helpers/llama-f64.js';
import { readFileSync } from 'node:fs';
import { modelsDir, readModelFile } from '../model/helpers/paths.js';
import { type GgufTensorToWrite, type GgufTypedValue, encodeQ8_0, writeGguf } from '../../bindings/offline/gguf-write.js';
import { bf16Bytes, f16Bytes, f32Bytes, halfValue } from './helpers/writers.js';
import { freshSeed, seededPerTest } from '../helpers/rng.js';

const SEED = freshSeed(); // named in the describe title
const random = seededPerTest(SEED);

type Meta = [string, GgufTypedValue][];
const u32 = (key: string, value: number): [string, GgufTypedValue] => [key, { type: 'u32', value }];
const f32 = (key: string, value: number): [string, GgufTypedValue] => [key, { type: 'f32', value }];
const str = (key: string, value: string): [string, GgufTypedValue] => [key, { type: 'string', value }];

const stories = readModelFile('stories260K.gguf');

describe(`GGUF reader (seed ${SEED})`, () => {
  it('reads stories260K.gguf as the README describes it', () => {
    const g = parseGguf(stories, 'stories260K.gguf');
    expect(g.version).toBe(3);
    expect(g.metadata.size).toBe(19);
    expect(g.tensors.size).toBe(48);
    expect(g.alignment).toBe(32);
    expect(g.metadata.get('tokenizer.ggml.model')).toBe('llama');
    expect((g.metadata.get('tokenizer.ggml.tokens') as string[]).length).toBe(512);
    expect(g.tensors.get('token_embd.weight')!.dims).toEqual([64, 512]);
    expect(g.tensors.get('blk.3.attn_k.weight')!.dims).toEqual([64, 32]);
    expect(g.tensors.get('blk.0.ffn_gate.weight')!.dims).toEqual([64, 172]);
    for (const t of g.tensors.values()) {
      expect(t.type).toBe(GgmlType.F32);
      expect((t.offset - g.dataOffset) % 32).toBe(0);
    }
  });

  it('reads from a Node Buffer, an ArrayBuffer and a Uint8Array view at an odd offset alike', () => {
    const want = loadModel({ bytes: stories, file: 'a.gguf' }).weights;
    const padded = new Uint8Array(stories.length + 3);
    padded.set(stories, 3);
    const sources = [readFileSync(modelsDir + 'stories260K.gguf'), stories.slice().buffer, padded.subarray(3)];
    for (const bytes of sources) {
      const w = loadModel({ bytes, file: 'b.gguf' }).weights;
      expect(w.layers[4].wUp).toEqual(want.layers[4].wUp);
      expect(w.output).toEqual(want.output);
    }
  });

  it('reads a version 2 file (same layout for little-endian files)', () => {
    const v2 = stories.slice();
    new DataView(v2.buffer).setUint32(4, 2, true);
    const g = parseGguf(v2, 'v2.gguf');
    expect(g.version).toBe(2);
    expect(ggufTensorF32(g, 'output_norm.weight')).toEqual(ggufTensorF32(parseGguf(stories), 'output_norm.weight'));
  });

  it('decodes every F16 bit pattern like an independent bit-level conversion', () => {
    for (let h = 0; h < 65536; h++) {
      const want = halfValue(h);
      const got = halfToFloat(h);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else expect(got).toBe(want);
    }
  });

  it('decodes F32, F16, BF16, Q8_0, Q4_0, Q4_1 and Q5_0 tensors written from known values', () => {
    const rnd = (n: number, f: () => number) => Array.from({ length: n }, f);
    const ints = rnd(64, () => Math.floor(random() * 256) - 128);
    // F32/F16/BF16: values exactly representable in each.
    expect(decodeTensor(GgmlType.F32, f32Bytes([1.5, -2.25, 3e-8]), 3)).toEqual(Float32Array.from([1.5, -2.25, 3e-8]));
    expect(decodeTensor(GgmlType.F16, f16Bytes([1, -0.5, 65504, 0.000244140625]), 4)).toEqual(Float32Array.from([1, -0.5, 65504, 0.000244140625]));
    expect(decodeTensor(GgmlType.BF16, bf16Bytes(ints.map((i) => i / 8)), 64)).toEqual(Float32Array.from(ints.map((i) => i / 8)));

    // Q8_0: two blocks, each f16 scale d then 32 int8.
    const q8 = new Uint8Array(68);
    const dv8 = new DataView(q8.buffer);
    const d8 = [0x2e66, 0xb800]; // ~0.0998 and -0.5
    for (let b = 0; b < 2; b++) {
      dv8.setUint16(34 * b, d8[b], true);
      for (let j = 0; j < 32; j++) dv8.setInt8(34 * b + 2 + j, ints[32 * b + j]);
    }
    expect(decodeTensor(GgmlType.Q8_0, q8, 64)).toEqual(Float32Array.from(ints, (q, i) => halfValue(d8[i >> 5]) * q));

    // Q4_0 / Q4_1 / Q5_0: element j of a block is the low nibble of byte j (j < 16) or the high nibble of byte j-16.
    const nib = rnd(32, () => Math.floor(random() * 16));
    const packed = Uint8Array.from({ length: 16 }, (_, j) => nib[j] | (nib[j + 16] << 4));
    const d = 0x3c00; // 1.0
    const m = 0xc400; // -4.0
    const q40 = new Uint8Array(18);
    new DataView(q40.buffer).setUint16(0, 0x3800, true); // 0.5
    q40.set(packed, 2);
    expect(decodeTensor(GgmlType.Q4_0, q40, 32)).toEqual(Float32Array.from(nib, (q) => 0.5 * (q - 8)));
    const q41 = new Uint8Array(20);
    new DataView(q41.buffer).setUint16(0, d, true);
    new DataView(q41.buffer).setUint16(2, m, true);
    q41.set(packed, 4);
    expect(decodeTensor(GgmlType.Q4_1, q41, 32)).toEqual(Float32Array.from(nib, (q) => q - 4));
    const high = rnd(32, () => (random() < 0.5 ? 1 : 0));
    const q50 = new Uint8Array(22);
    new DataView(q50.buffer).setUint16(0, 0x4000, true); // 2.0
    new DataView(q50.buffer).setUint32(2, high.reduce((a, h, j) => a | (h << j), 0) >>> 0, true);
    q50.set(packed, 6);
    expect(decodeTensor(GgmlType.Q5_0, q50, 32)).toEqual(Float32Array.from(nib, (q, j) => 2 * (q + 16 * high[j] - 16)));
    expect(tensorByteSize(GgmlType.Q4_0, 64)).toBe(36);
    expect(tensorByteSize(GgmlType.Q4_0, 33)).toBeUndefined();
  });

  it('loads a Q8_0 copy of stories260K written here: weights decode to the quantized values, and the forward matches the float64 oracle on them', () => {
    const g = parseGguf(stories, 'stories260K.gguf');
    const meta: Meta = [...g.metadata].map(([k, v]): [string, GgufTypedValue] => {
      if (k === 'tokenizer.ggml.tokens') return [k, { type: 'array', of: 'string', value: v as string[] }];
      if (k === 'tokenizer.ggml.scores') return [k, { type: 'array', of: 'f32', value: v as Float32Array }];
      if (k === 'tokenizer.ggml.token_type') return [k, { type: 'array', of: 'i32', value: v as Int32Array }];
      if (typeof v === 'string') return str(k, v);
      return k.endsWith('epsilon') ? f32(k, v as number) : u32(k, v as number);
    });
    // Q8_0 wherever rows split into blocks of 32 (ffn_down's rows of 172 stay F32, as llama.cpp does).
    const expected = new Map<string, Float32Array>();
    const tensors: GgufTensorToWrite[] = [...g.tensors.values()].map((t) => {
      const x = ggufTensorF32(g, t.name);
      if (t.dims.length === 2 && t.dims[0] % 32 === 0) {
        const data = encodeQ8_0(x);
        // Expected values decoded here from the bytes: f16 scale times int8, block by block.
        const dv = new DataView(data.buffer);
        expected.set(t.name, Float32Array.from(x, (_, i) => halfValue(dv.getUint16(34 * (i >> 5), true)) * dv.getInt8(34 * (i >> 5) + 2 + (i & 31))));
        return { name: t.name, dims: t.dims, type: GgmlType.Q8_0, data };
      }
      expected.set(t.name, x);
      return { name: t.name, dims: t.dims, type: GgmlType.F32, data: f32Bytes(x) };
    });
    const file = writeGguf(meta, tensors);
    const q = parseGguf(file, 'q8.gguf');
    expect(q.tensors.get('blk.0.attn_q.weight')!.type).toBe(GgmlType.Q8_0);
    for (const [name, want] of expected) expect(ggufTensorF32(q, name)).toEqual(want);
    const m = loadModel({ bytes: file, file: 'q8.gguf' });
    const tokens = m.tokenizer!.encode('Once upon a time, there was a little girl named Lily.');
    const model = new FloatLlama(m.config, m.weights, { maxPositions: 64 });
    const ref = llamaLogitsF64(m.config, m.weights, tokens);
    model.prefill(tokens, 0, (i, logits) => expect(logits[tokens[i + 1] ?? 0]).toBeCloseTo(ref[i][tokens[i + 1] ?? 0], 3));
  });

  it('loads a Qwen2-style file: QKV biases, tied embeddings (no output.weight), half-split RoPE, GQA', () => {
    const c = { dim: 32, hidden: 48, heads: 4, kv: 2, layers: 2, vocab: 40 };
    const hd = c.dim / c.heads;
    const rnd = (n: number) => Float32Array.from({ length: n }, () => (random() - 0.5) * 0.6);
    const t = (name: string, dims: number[], data = rnd(dims.reduce((a, b) => a * b, 1))) => ({ name, dims, type: GgmlType.F32, data: f32Bytes(data) });
    const tensors = [t('token_embd.weight', [c.dim, c.vocab]), t('output_norm.weight', [c.dim])];
    for (let l = 0; l < c.layers; l++) {
      const b = `blk.${l}.`;
      tensors.push(
        t(b + 'attn_norm.weight', [c.dim]),
        t(b + 'attn_q.weight', [c.dim, c.dim]),
        t(b + 'attn_q.bias', [c.dim]),
        t(b + 'attn_k.weight', [c.dim, c.kv * hd]),
        t(b + 'attn_k.bias', [c.kv * hd]),
        t(b + 'attn_v.weight', [c.dim, c.kv * hd]),
        t(b + 'attn_v.bias', [c.kv * hd]),
        t(b + 'attn_output.weight', [c.dim, c.dim]),
        t(b + 'ffn_norm.weight', [c.dim]),
        t(b + 'ffn_gate.weight', [c.dim, c.hidden]),
        t(b + 'ffn_up.weight', [c.dim, c.hidden]),
        t(b + 'ffn_down.weight', [c.hidden, c.dim]),
      );
    }
    const file = writeGguf(
      [
        str('general.architecture', 'qwen2'),
        u32('qwen2.context_length', 64),
        u32('qwen2.embedding_length', c.dim),
        u32('qwen2.feed_forward_length', c.hidden),
        u32('qwen2.block_count', c.layers),
        u32('qwen2.attention.head_count', c.heads),
        u32('qwen2.attention.head_count_kv', c.kv),
        f32('qwen2.rope.freq_base', 1000000),
        f32('qwen2.attention.layer_norm_rms_epsilon', 1e-6),
      ],
      tensors,
      { alignment: 64 },
    );
    const m = loadModel({ bytes: file, file: 'qwen2.gguf' });
    expect(m.config).toMatchObject({ architecture: 'qwen2', ropeLayout: 'half', qkvBias: true, tiedEmbeddings: true, nKvHeads: 2, ropeTheta: 1000000 });
    expect(m.weights.output).toBe(m.weights.tokenEmbedding);
    const tokens = Array.from({ length: 12 }, () => Math.floor(random() * c.vocab));
    const ref = llamaLogitsF64(m.config, m.weights, tokens);
    const model = new FloatLlama(m.config, m.weights);
    model.prefill(tokens, 0, (i, logits) => logits.forEach((v, k) => expect(v).toBeCloseTo(ref[i][k], 4)));
  });

  describe('bad files get a ModelFormatError naming the file and the problem', () => {
    const patch = (at: number, bytes: number[]) => {
      const b = stories.slice();
      b.set(bytes, at);
      return b;
    };
    const u64le = (v: bigint) => Array.from(new Uint8Array(new BigUint64Array([v]).buffer));
    const cases: [string, Uint8Array, RegExp][] = [
      ['wrong magic', patch(0, [0x47, 0x47, 0x4d, 0x4c]), /bad\.gguf: not a GGUF file/],
      ['version 1', patch(4, [1, 0, 0, 0]), /GGUF version 1 is not supported/],
      ['version 7', patch(4, [7, 0, 0, 0]), /unsupported GGUF version 7/],
      ['big-endian', patch(4, [0, 0, 0, 3]), /looks big-endian/],
      ['absurd tensor count', patch(8, u64le(1n << 40n)), /tensor count 1099511627776 does not fit/],
      ['count past 2^53', patch(8, u64le(1n << 62n)), /tensor count = 4611686018427387904 is absurd/],
      ['absurd metadata count', patch(16, u64le(1n << 33n)), /metadata count 8589934592 does not fit/],
      ['absurd key length', patch(24, u64le(1n << 45n)), /truncated: metadata key 0 needs 35184372088832 bytes/],
      ['truncated header', stories.slice(0, 20), /truncated: metadata count needs 8 bytes/],
      ['truncated in the vocabulary', stories.slice(0, 5000), /truncated: metadata "tokenizer\.ggml\.tokens"/],
      ['truncated tensor data', stories.slice(0, stories.length - 100), /tensor "blk\.4\.\w+\.weight": data \[\d+, \d+\) runs past the end of the file/],
      ['empty file', new Uint8Array(0), /truncated: magic needs 4 bytes/],
    ];
    for (const [what, bytes, re] of cases) {
      it(what, () => {
        let err: unknown;
        try {
          loadModel({ bytes, file: 'bad.gguf' });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ModelFormatError);
        expect((err as Error).message).toMatch(/^bad\.gguf: /);
        expect((err as Error).message).toMatch(re);
      });
    }

    const tiny = (tensors: GgufTensorToWrite[], meta: Meta = [str('general.architecture', 'llama')]) => () =>
      loadModel({ bytes: writeGguf(meta, tensors), file: 'w.gguf' });
    it('unknown tensor type, bad shapes, missing tensors and metadata', () => {
      const data = new Uint8Array(64);
      expect(tiny([{ name: 'x', dims: [16], type: 99, data }])).toThrow(/w\.gguf: tensor "x": unsupported tensor type 99/);
      expect(tiny([{ name: 'x', dims: [16], type: GgmlType.Q8_0, data }])).toThrow(/row length 16 is not a multiple of the Q8_0 block size 32/);
      expect(tiny([{ name: 'x', dims: [16, 0], type: 0, data }])).toThrow(/tensor "x": dimension 1 is 0/);
      // The writer refuses 5 dimensions, so write 4 and patch the count that follows the name "x".
      const four = writeGguf([], [{ name: 'x', dims: [1, 2, 2, 4], type: 0, data }]);
      const at = four.findIndex((_, i) => four[i] === 0x78 && four[i + 1] === 4 && four[i - 8] === 1);
      four[at + 1] = 5;
      expect(() => parseGguf(four, 'w.gguf')).toThrow(/w\.gguf: tensor "x": 5 dimensions \(1\.\.4 allowed\)/);
      expect(tiny([{ name: 'x', dims: [1 << 30, 1 << 30], type: 0, data }])).toThrow(/tensor "x": shape \[1073741824, \.\.\.\] is larger than the file could hold/);
      expect(tiny([{ name: 'x', dims: [16], type: 0, data }])).toThrow(/w\.gguf: missing tensor "token_embd\.weight"/);
      expect(tiny([{ name: 'token_embd.weight', dims: [4, 4], type: 0, data }])).toThrow(/missing metadata "llama\.embedding_length"/);
      expect(tiny([{ name: 'x', dims: [16], type: 0, data }], [str('general.architecture', 'gpt2')])).toThrow(/architecture "gpt2" is not supported/);
      expect(tiny([{ name: 'x', dims: [16], type: 0, data }], [u32('general.alignment', 24)])).toThrow(/general\.alignment = 24 is not a power of two/);
      const meta: Meta = [str('general.architecture', 'llama'), u32('llama.embedding_length', 4), u32('llama.feed_forward_length', 8), u32('llama.block_count', 1), u32('llama.attention.head_count', 2), u32('llama.context_length', 1 << 30)];
      expect(tiny([{ name: 'token_embd.weight', dims: [4, 4], type: 0, data }], meta)).toThrow(/contextLength = 1073741824 is not an integer in 1\.\.16777216/);
      meta[5] = u32('llama.context_length', 16);
      expect(tiny([{ name: 'token_embd.weight', dims: [4, 4], type: 0, data }], meta)).toThrow(/w\.gguf: missing tensor "blk\.0\.attn_norm\.weight"/);
      expect(tiny([{ name: 'token_embd.weight', dims: [4, 4], type: 0, data }, { name: 'blk.0.attn_norm.weight', dims: [5], type: 0, data }], meta)).toThrow(
        /tensor "blk\.0\.attn_norm\.weight" has shape \[5\], expected \[4\]/,
      );
    });
  });
});
