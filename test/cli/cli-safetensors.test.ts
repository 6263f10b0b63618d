// `dyadic` on a Hugging Face directory: config.json + model.safetensors + tokenizer.json (a tiny
// random Qwen2 with a byte-level BPE vocabulary written here).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byteToChar } from '../../bindings/tokenizer/byte-bpe.js';
import { f32Bytes, writeSafetensors, type SafetensorSpec } from '../formats/helpers/writers.js';
import { repoRoot } from '../model/helpers/paths.js';
import { freshSeed, seededPerTest } from '../helpers/rng.js';

const SEED = freshSeed(); // named in the describe title
const random = seededPerTest(SEED);

const VOCAB = 300; // 256 bytes + 4 merges + <|endoftext|> at 260, padded to 300 embedding rows
const D = 16;
const H = 24;

function writeModelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dyadic-hf-'));
  const r = (n: number) => Array.from({ length: n }, () => (random() - 0.5) * 0.5);
  const t = (name: string, shape: number[]): SafetensorSpec => ({ name, dtype: 'F32', shape, data: f32Bytes(r(shape.reduce((a, b) => a * b, 1))) });
  const p = 'model.layers.0.';
  writeFileSync(
    join(dir, 'model.safetensors'),
    writeSafetensors([
      t('model.embed_tokens.weight', [VOCAB, D]),
      t('model.norm.weight', [D]),
      t(p + 'input_layernorm.weight', [D]),
      t(p + 'self_attn.q_proj.weight', [D, D]),
      t(p + 'self_attn.q_proj.bias', [D]),
      t(p + 'self_attn.k_proj.weight', [8, D]),
      t(p + 'self_attn.k_proj.bias', [8]),
      t(p + 'self_attn.v_proj.weight', [8, D]),
      t(p + 'self_attn.v_proj.bias', [8]),
      t(p + 'self_attn.o_proj.weight', [D, D]),
      t(p + 'post_attention_layernorm.weight', [D]),
      t(p + 'mlp.gate_proj.weight', [H, D]),
      t(p + 'mlp.up_proj.weight', [H, D]),
      t(p + 'mlp.down_proj.weight', [D, H]),
    ]),
  );
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ model_type: 'qwen2', hidden_size: D, intermediate_size: H, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: VOCAB, max_position_embeddings: 64, rope_theta: 1e6, rms_norm_eps: 1e-6, tie_word_embeddings: true, bos_token_id: 260, eos_token_id: 260 }),
  );
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[byteToChar(b)] = b;
  const merges = [['h', 'e'], ['l', 'l'], ['he', 'll'], ['hell', 'o']];
  merges.forEach((m, i) => (vocab[m.join('')] = 256 + i));
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({ model: { type: 'BPE', vocab, merges }, added_tokens: [{ id: 260, content: '<|endoftext|>', special: true }], pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true } }),
  );
  return dir;
}

const run = (...args: string[]) => spawnSync(process.execPath, [repoRoot + 'dist/cli/main.js', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });

describe(`dyadic on a Hugging Face directory (Qwen2, tokenizer.json) (seed ${SEED})`, () => {
  const dir = writeModelDir();
  it('generates with the tokenizer.json found beside the weights, reproducibly', () => {
    const a = run('generate', '-m', dir, '-p', 'hello there', '-n', '8', '--seed', '3', '--json');
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    const j = JSON.parse(a.stdout);
    expect(j.text.startsWith('hello there')).toBe(true);
    expect(j.tokens.length).toBeLessThanOrEqual(8);
    expect(JSON.parse(run('generate', '-m', dir, '-p', 'hello there', '-n', '8', '--seed', '3', '--json').stdout)).toEqual({ ...j, tokensPerSecond: expect.any(Number) });
  });

  it('describes it with info', () => {
    const r = run('info', '-m', dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/architecture\s+qwen2: dim 16, hidden 24, layers 1, heads 4 \(kv 2\), head dim 4/);
    expect(r.stdout).toMatch(/tied to the token embedding; QKV biases/);
    expect(r.stdout).toMatch(/RoPE half pairs/);
  });
});
