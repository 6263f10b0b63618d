// Mutation fuzzing of the model and tokenizer readers: thousands of damaged copies of real files must
// each end in a usable model or a ModelFormatError naming the problem: never another exception, a
// hang, or a giant allocation. Mutations favour the header, where a lie has consequences.
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../bindings/formats/errors.js';
import { parseGguf } from '../../bindings/formats/gguf.js';
import { FloatLlama } from '../../bindings/model/float-llama.js';
import { type ByteSource, loadModel, loadTokenizer } from '../../bindings/model/load.js';
import { readFileSync } from 'node:fs';
import { fixturesDir, readModelFile } from '../model/helpers/paths.js';
import { byteToChar } from '../../bindings/tokenizer/byte-bpe.js';
import { f32Bytes, writeLlama2cV1, writeSafetensors } from './helpers/writers.js';
import { mulberry32 } from '../../bindings/model/random.js';
import { freshSeed } from '../helpers/rng.js';

/** Seeded (mulberry32) so every failure can be replayed from its seed. */
function rng(seed: number) {
  const next = mulberry32(seed);
  return { next, int: (n: number) => Math.floor(next() * n) };
}

const INTERESTING = [0n, 1n, 2n, 3n, 7n, 31n, 255n, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 53n) + 1n, 1n << 62n, (1n << 64n) - 1n];

/** One damaged copy of `base`; `header` is the byte range where structure lives. */
function mutate(base: Uint8Array, header: number, r: ReturnType<typeof rng>): Uint8Array {
  const at = () => (r.next() < 0.85 ? r.int(Math.max(1, header)) : r.int(base.length));
  const kind = r.int(6);
  if (kind === 0) {
    const b = base.slice();
    for (let i = 1 + r.int(8); i > 0; i--) b[at()] ^= 1 << r.int(8);
    return b;
  }
  if (kind === 1) return base.slice(0, r.next() < 0.8 ? r.int(Math.max(1, header + 64)) : r.int(base.length));
  if (kind === 2) {
    const b = base.slice();
    const wide = r.next() < 0.5;
    const pos = Math.min(at() & ~3, b.length - (wide ? 8 : 4));
    const v = INTERESTING[r.int(INTERESTING.length)];
    const dv = new DataView(b.buffer);
    if (wide) dv.setBigUint64(pos, v, true);
    else dv.setUint32(pos, Number(v & 0xffffffffn), true);
    return b;
  }
  if (kind === 3) {
    const b = base.slice();
    const pos = Math.min(at(), b.length - 4);
    new DataView(b.buffer).setUint32(pos, r.int(2 ** 32), true);
    return b;
  }
  if (kind === 4) {
    // Delete or insert a few bytes: every later offset shifts.
    const pos = at();
    const n = 1 + r.int(16);
    if (r.next() < 0.5) {
      const tail = base.subarray(Math.min(base.length, pos + n));
      const out = new Uint8Array(pos + tail.length);
      out.set(base.subarray(0, pos));
      out.set(tail, pos);
      return out;
    }
    const out = new Uint8Array(base.length + n);
    out.set(base.subarray(0, pos));
    for (let i = 0; i < n; i++) out[pos + i] = r.int(256);
    out.set(base.subarray(pos), pos + n);
    return out;
  }
  const out = new Uint8Array(base.length + 1 + r.int(64));
  out.set(base);
  return out;
}

interface Target {
  name: string;
  cases: number;
  base: Uint8Array;
  header: number;
  /** Runs the reader on the bytes; must return normally or throw ModelFormatError. */
  run: (bytes: Uint8Array) => void;
}

/** Loads a model and, if it loads, proves it is usable: tokenizer round trip and one forward step. */
function useModel(source: ByteSource, configJson?: string): void {
  const m = loadModel(source, { configJson });
  const model = new FloatLlama(m.config, m.weights, { maxPositions: Math.min(4, m.config.contextLength) });
  const token = m.tokenizer ? m.tokenizer.encode('Once upon a time')[1] ?? 0 : 0;
  const logits = model.forward(token, 0);
  if (logits.length !== m.config.vocabSize) throw new Error('logits of the wrong length');
  m.tokenizer?.decode([1, token]);
}

const stories = readModelFile('stories260K.gguf');
const random = readModelFile('llama-2-tiny-random.gguf');
const bin = readModelFile('stories260K.bin');
const tok = readModelFile('tok512.bin');
const v1 = writeLlama2cV1({ dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, contextLength: 512 }, loadModel({ bytes: bin, file: 'b.bin' }).weights, true);
const stConfig = JSON.stringify({ model_type: 'qwen2', hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, vocab_size: 6, max_position_embeddings: 16, tie_word_embeddings: true });
const st = writeSafetensors(
  (
    [
      ['model.embed_tokens.weight', [6, 8]], ['model.norm.weight', [8]], ['model.layers.0.input_layernorm.weight', [8]],
      ['model.layers.0.self_attn.q_proj.weight', [8, 8]], ['model.layers.0.self_attn.q_proj.bias', [8]],
      ['model.layers.0.self_attn.k_proj.weight', [4, 8]], ['model.layers.0.self_attn.k_proj.bias', [4]],
      ['model.layers.0.self_attn.v_proj.weight', [4, 8]], ['model.layers.0.self_attn.v_proj.bias', [4]],
      ['model.layers.0.self_attn.o_proj.weight', [8, 8]], ['model.layers.0.post_attention_layernorm.weight', [8]],
      ['model.layers.0.mlp.gate_proj.weight', [12, 8]], ['model.layers.0.mlp.up_proj.weight', [12, 8]], ['model.layers.0.mlp.down_proj.weight', [8, 12]],
    ] as [string, number[]][]
  ).map(([name, shape]) => ({ name, dtype: 'F32' as const, shape, data: f32Bytes(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i))) })),
);

const hfVocab: Record<string, number> = {};
for (let b = 0; b < 256; b++) hfVocab[byteToChar(b)] = b;
['h e', 'l l', 'he ll', 'hell o', '\u0120 t', '\u0120t he'].forEach((m, i) => (hfVocab[m.replace(' ', '')] = 256 + i));
const tokenizerJson = new TextEncoder().encode(
  JSON.stringify({
    model: { type: 'BPE', vocab: hfVocab, merges: ['h e', 'l l', 'he ll', 'hell o', '\u0120 t', '\u0120t he'] },
    added_tokens: [{ id: 262, content: '<|endoftext|>', special: true }],
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, { type: 'ByteLevel', use_regex: true }] },
  }),
);

// llama.cpp's own block types (Q8_0, Q4_0, Q5_0, Q5_1, IQ4_NL, Q2_K..Q6_K: test/fixtures/llamacpp/README.md),
// fewer cases each in npm test.
const LLAMACPP_FILES = [
  'stories260K-Q8_0', 'stories260K-Q4_0', 'stories260K-Q4_K_M', 'stories260K-Q5_1', 'stories260K-IQ4_NL',
  'k256-1layer-Q2_K', 'k256-1layer-Q4_K_M', 'k256-1layer-Q5_K_M',
];
const llamacpp: Target[] = LLAMACPP_FILES.map((name) => {
  const base = new Uint8Array(readFileSync(`${fixturesDir}llamacpp/${name}.gguf`));
  return { name: `${name}.gguf`, cases: 100, base, header: parseGguf(base).dataOffset, run: (b) => useModel({ bytes: b, file: 'fuzz.gguf' }) };
});

const targets: Target[] = [
  ...llamacpp,
  { name: 'stories260K.gguf', cases: 4000, base: stories, header: parseGguf(stories).dataOffset, run: (b) => useModel({ bytes: b, file: 'fuzz.gguf' }) },
  { name: 'llama-2-tiny-random.gguf', cases: 100, base: random, header: parseGguf(random).dataOffset, run: (b) => useModel({ bytes: b, file: 'fuzz.gguf' }) },
  { name: 'stories260K.bin', cases: 2000, base: bin, header: 28, run: (b) => useModel({ bytes: b, file: 'fuzz.bin' }) },
  { name: 'ak42 v1 checkpoint', cases: 600, base: v1, header: 256, run: (b) => useModel({ bytes: b, file: 'fuzz.bin' }) },
  {
    name: 'tok512.bin',
    cases: 2000,
    base: tok,
    header: tok.length,
    run: (b) => {
      const t = loadTokenizer({ bytes: b, file: 'fuzz.bin' });
      t.decode(t.encode('Once upon a time, Lily saw a ☃.'));
    },
  },
  {
    name: 'tokenizer.json (byte-level BPE)',
    cases: 600,
    base: tokenizerJson,
    header: tokenizerJson.length,
    run: (b) => {
      const t = loadTokenizer({ bytes: b, file: 'fuzz.json' });
      t.decode(t.encode('hello the 42 ☃<|endoftext|>'));
    },
  },
  { name: 'safetensors + config.json', cases: 1000, base: st, header: 8 + Number(new DataView(st.buffer).getBigUint64(0, true)), run: (b) => useModel({ bytes: b, file: 'fuzz.safetensors' }, stConfig) },
];

describe('fuzzing the readers with damaged real files', () => {
  const fresh = freshSeed();
  // `npm run fuzz` (test/tools/fuzz.mjs) sets DYADIC_FUZZ_CASES=10000: that many mutations of every target.
  const scaled = Number(process.env.DYADIC_FUZZ_CASES) || 0;
  for (const target of targets) {
    const t = scaled > 0 ? { ...target, cases: scaled } : target;
    it(`${t.name}: ${t.cases} mutations end in a model or a named ModelFormatError (fixed seeds + fresh seed ${fresh})`, () => {
      // Sanity: the unmutated file is a usable model.
      t.run(t.base);
      const unexplained: string[] = [];
      let loaded = 0;
      let slowest = 0;
      for (let i = 0; i < t.cases; i++) {
        // Half the cases replay fixed seeds; the other half are new every run.
        const seed = i % 2 === 0 ? 1000 + i : (fresh + i) >>> 0;
        const bytes = mutate(t.base, t.header, rng(seed));
        // CPU time, not wall time: a hang spins, while a shared machine only delays (load is not a hang)
        const start = process.cpuUsage();
        try {
          t.run(bytes);
          loaded++;
        } catch (e) {
          if (!(e instanceof ModelFormatError)) unexplained.push(`seed ${seed}: ${(e as Error)?.stack ?? e}`);
          else if (!/^fuzz\.\w+: /.test(e.message)) unexplained.push(`seed ${seed}: message does not name the file: ${e.message}`);
        }
        const used = process.cpuUsage(start);
        slowest = Math.max(slowest, (used.user + used.system) / 1000);
      }
      expect(unexplained.slice(0, 5)).toEqual([]);
      expect(slowest).toBeLessThan(2000);
      // The fuzzer must exercise both outcomes, or it tests nothing.
      expect(loaded).toBeGreaterThan(0);
      expect(loaded).toBeLessThan(t.cases);
    });
  }
});
