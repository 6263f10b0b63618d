import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFormatError } from '../../bindings/formats/errors.js';
import { parseSafetensors } from '../../bindings/formats/safetensors.js';
import { loadModelFromPath } from '../../bindings/entry/node-files.js';
import { FloatLlama } from '../../bindings/model/float-llama.js';
import { loadModel } from '../../bindings/model/load.js';
import type { LlamaWeights } from '../../bindings/model/weights.js';
import { llamaLogitsF64 } from '../model/helpers/llama-f64.js';
import { readModelFile } from '../model/helpers/paths.js';
import { type SafetensorSpec, bf16Bytes, f16Bytes, f32Bytes, writeSafetensors } from './helpers/writers.js';
import { freshSeed, seededPerTest } from '../helpers/rng.js';

const SEED = freshSeed(); // named in the describe title
const random = seededPerTest(SEED);

const gguf = loadModel({ bytes: readModelFile('stories260K.gguf'), file: 'stories260K.gguf' });
const c = gguf.config;

/**
 * Hugging Face's convert_llama_weights_to_hf permutation: within each head, row 2i+j of the
 * adjacent-pair layout becomes row j*(headDim/2)+i, so half-split RoPE computes the same attention.
 */
function toHalfSplit(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < headDim / 2; i++)
      for (let j = 0; j < 2; j++) out.set(w.subarray((h * headDim + 2 * i + j) * cols, (h * headDim + 2 * i + j + 1) * cols), (h * headDim + j * (headDim / 2) + i) * cols);
  return out;
}

function hfTensors(w: LlamaWeights, dtype: SafetensorSpec['dtype'], tied: boolean): SafetensorSpec[] {
  const enc = dtype === 'F32' ? f32Bytes : dtype === 'F16' ? f16Bytes : bf16Bytes;
  const t = (name: string, shape: number[], a: Float32Array): SafetensorSpec => ({ name, dtype, shape, data: enc(a) });
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  const out = [t('model.embed_tokens.weight', [c.vocabSize, c.dim], w.tokenEmbedding), t('model.norm.weight', [c.dim], w.finalNorm)];
  if (!tied) out.push(t('lm_head.weight', [c.vocabSize, c.dim], w.output));
  w.layers.forEach((l, i) => {
    const p = `model.layers.${i}.`;
    out.push(
      t(p + 'input_layernorm.weight', [c.dim], l.attnNorm),
      t(p + 'self_attn.q_proj.weight', [q, c.dim], toHalfSplit(l.wq, c.nHeads, c.headDim, c.dim)),
      t(p + 'self_attn.k_proj.weight', [kv, c.dim], toHalfSplit(l.wk, c.nKvHeads, c.headDim, c.dim)),
      t(p + 'self_attn.v_proj.weight', [kv, c.dim], l.wv),
      t(p + 'self_attn.o_proj.weight', [c.dim, q], l.wo),
      t(p + 'post_attention_layernorm.weight', [c.dim], l.ffnNorm),
      t(p + 'mlp.gate_proj.weight', [c.hiddenDim, c.dim], l.wGate),
      t(p + 'mlp.up_proj.weight', [c.hiddenDim, c.dim], l.wUp),
      t(p + 'mlp.down_proj.weight', [c.dim, c.hiddenDim], l.wDown),
    );
  });
  return out;
}

const config = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    model_type: 'llama',
    hidden_size: 64,
    intermediate_size: 172,
    num_hidden_layers: 5,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    vocab_size: 512,
    max_position_embeddings: 512,
    rope_theta: 10000,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: false,
    ...over,
  });

describe(`safetensors + config.json (Hugging Face layout) (seed ${SEED})`, () => {
  it('a HF-permuted LLaMA (half-split RoPE) gives the same logits as the GGUF original (adjacent pairs)', () => {
    const file = writeSafetensors(hfTensors(gguf.weights, 'F32', false));
    const m = loadModel({ bytes: file, file: 'model.safetensors' }, { configJson: config() });
    expect(m.format).toBe('safetensors');
    expect(m.config).toMatchObject({ ropeLayout: 'half', tiedEmbeddings: false, qkvBias: false, nKvHeads: 4 });
    const tokens = gguf.tokenizer!.encode('Once upon a time, there was a little girl named Lily. She loved to play.');
    const a = new FloatLlama(gguf.config, gguf.weights, { maxPositions: 64 });
    const b = new FloatLlama(m.config, m.weights, { maxPositions: 64 });
    const want: Float32Array[] = [];
    a.prefill(tokens, 0, (_, l) => want.push(l.slice()));
    let worst = 0;
    b.prefill(tokens, 0, (i, l) => l.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - want[i][k])))));
    expect(worst).toBeLessThan(2e-4);
  });

  it('reads F16 and BF16 tensors, tied embeddings, and shards in a directory (via the Node path helper)', () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const tensors = hfTensors(gguf.weights, dtype, true);
      const dir = mkdtempSync(join(tmpdir(), 'dyadic-st-'));
      writeFileSync(join(dir, 'config.json'), config({ tie_word_embeddings: true }));
      writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), writeSafetensors(tensors.slice(0, 20)));
      writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), writeSafetensors(tensors.slice(20)));
      const m = loadModelFromPath(dir);
      expect(m.config.tiedEmbeddings).toBe(true);
      expect(m.weights.output).toBe(m.weights.tokenEmbedding);
      // Each weight is the original rounded to the dtype: relative error <= 2^-11 (F16, plus 2^-25 absolute
      // for subnormals) or 2^-7 (BF16: 7 stored mantissa bits, truncated).
      const tol = dtype === 'F16' ? 2 ** -11 : 2 ** -7;
      const orig = gguf.weights.layers[3].wv;
      m.weights.layers[3].wv.forEach((v, i) => expect(Math.abs(v - orig[i])).toBeLessThanOrEqual(Math.abs(orig[i]) * tol + 2 ** -25));
    }
  });

  it('a Qwen2 config adds QKV biases, and the forward matches the float64 oracle', () => {
    const small = { model_type: 'qwen2', hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 1, vocab_size: 20, max_position_embeddings: 32, rope_theta: 1e6, rms_norm_eps: 1e-6, tie_word_embeddings: true };
    const r = (n: number) => Float32Array.from({ length: n }, () => random() - 0.5);
    const t = (name: string, shape: number[]): SafetensorSpec => ({ name, dtype: 'F32', shape, data: f32Bytes(r(shape.reduce((a, b) => a * b, 1))) });
    const p = 'model.layers.0.';
    const file = writeSafetensors([
      t('model.embed_tokens.weight', [20, 16]),
      t('model.norm.weight', [16]),
      t(p + 'input_layernorm.weight', [16]),
      t(p + 'self_attn.q_proj.weight', [16, 16]),
      t(p + 'self_attn.q_proj.bias', [16]),
      t(p + 'self_attn.k_proj.weight', [4, 16]),
      t(p + 'self_attn.k_proj.bias', [4]),
      t(p + 'self_attn.v_proj.weight', [4, 16]),
      t(p + 'self_attn.v_proj.bias', [4]),
      t(p + 'self_attn.o_proj.weight', [16, 16]),
      t(p + 'post_attention_layernorm.weight', [16]),
      t(p + 'mlp.gate_proj.weight', [24, 16]),
      t(p + 'mlp.up_proj.weight', [24, 16]),
      t(p + 'mlp.down_proj.weight', [16, 24]),
    ]);
    const m = loadModel({ bytes: file, file: 'qwen.safetensors' }, { configJson: JSON.stringify(small) });
    expect(m.config).toMatchObject({ architecture: 'qwen2', qkvBias: true, nKvHeads: 1, headDim: 4 });
    const tokens = [3, 7, 7, 19, 0, 11, 2, 5];
    const ref = llamaLogitsF64(m.config, m.weights, tokens);
    new FloatLlama(m.config, m.weights).prefill(tokens, 0, (i, l) => l.forEach((v, k) => expect(v).toBeCloseTo(ref[i][k], 5)));
    // Dropping a bias is a named error.
    const noBias = writeSafetensors(hfTensors(gguf.weights, 'F32', true));
    expect(() => loadModel({ bytes: noBias, file: 'n.safetensors' }, { configJson: config({ model_type: 'qwen2', tie_word_embeddings: true }) })).toThrow(
      /n\.safetensors: missing tensor "model\.layers\.0\.self_attn\.q_proj\.bias"/,
    );
  });

  it('names the problem in broken files and configs', () => {
    const good = writeSafetensors([{ name: 'x', dtype: 'F32', shape: [2, 2], data: f32Bytes([1, 2, 3, 4]) }]);
    expect(parseSafetensors(good).tensors.get('x')!.shape).toEqual([2, 2]);
    const bad: [Uint8Array, RegExp][] = [
      [good.slice(0, 4), /truncated: header length needs 8 bytes/],
      [good.slice(0, good.length - 4), /tensor "x": data_offsets \[0, 16\] run past the 12 data bytes/],
      [(() => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, 1n << 40n, true); return b; })(), /header length 1099511627776 is over the 100 MB limit/],
      [(() => { const b = good.slice(); b[9] = 0x2c; return b; })(), /header is not valid JSON/],
      [writeSafetensors([{ name: 'x', dtype: 'F32', shape: [3], data: f32Bytes([1, 2, 3, 4]) }]), /tensor "x": 16 bytes for shape \[3\] of F32 \(expected 12\)/],
      [writeSafetensors([{ name: 'x', dtype: 'I64' as 'F32', shape: [2], data: new Uint8Array(16) }]), /tensor "x": unsupported dtype I64/],
    ];
    for (const [bytes, re] of bad) expect(() => parseSafetensors(bytes, 'b.safetensors')).toThrow(re);
    expect(() => parseSafetensors(bad[0][0], 'b.safetensors')).toThrow(ModelFormatError);
    expect(() => loadModel({ bytes: good, file: 'g.safetensors' })).toThrow(/g\.safetensors: a safetensors model needs its config\.json/);
    expect(() => loadModel({ bytes: good, file: 'g.safetensors' }, { configJson: '{"model_type": "gpt2"}' })).toThrow(/config\.json: model_type "gpt2" is not supported/);
    expect(() => loadModel({ bytes: good, file: 'g.safetensors' }, { configJson: config({ hidden_size: 'big' }) })).toThrow(/config\.json: "hidden_size" should be a number, got "big"/);
    expect(() => loadModel({ bytes: good, file: 'g.safetensors' }, { configJson: '{' })).toThrow(/config\.json: not valid JSON/);
    expect(() => loadModel({ bytes: good, file: 'g.safetensors' }, { configJson: config() })).toThrow(/g\.safetensors: missing tensor "model\.embed_tokens\.weight"/);
  });
});
