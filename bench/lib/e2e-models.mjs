// Synthetic GGUF models of real shapes for the end-to-end bench: random weights (speed and memory do not
// depend on the values) under a real tokenizer copied from a llama.cpp GGUF, written as F32 and Q8_0 the
// way llama.cpp's converter lays them out (names, dims innermost first, metadata types), so that both
// dyadic and llama.cpp (wllama) load the very same files. Files are cached under bench-results/ (ignored
// by git) and rewritten only when missing.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  encodeF16, encodeF32, encodeQ8_0, llamaConfig, parameterCount, parseGguf, randomLlamaWeights, writeGguf,
} from '../../dist/entry/node.js';
import { modelPath } from './inputs.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Where the files go, relative to the repository root (the static server serves the root). */
export const MODEL_DIR = 'bench-results/e2e-models';

/** The GGUF file each tokenizer is copied from (in DYADIC_MODELS, default test/fixtures/models/). */
export const TOKENIZERS = {
  // llama2.c's 512-token SentencePiece vocabulary (stories260K), ids 3..258 are <0xNN> byte tokens
  tok512: 'stories260K.gguf',
  // the LLaMA-2 32000-token vocabulary, same byte-token ids 3..258
  tok32000: 'llama-2-tiny-random.gguf',
};

/** The models of the issue. `contextLength` covers the ~100-token prompt plus 200 decoded tokens. */
export const E2E_MODELS = {
  '15m-v512': { label: '288-dim stories15M-like, vocab 512', tokenizer: 'tok512', config: { dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6 } },
  '15m-v32000': { label: '288-dim stories15M-like, vocab 32000', tokenizer: 'tok32000', config: { dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6 } },
  '110m': { label: '768-dim stories110M-like, vocab 32000', tokenizer: 'tok32000', config: { dim: 768, hiddenDim: 2048, nLayers: 12, nHeads: 12 } },
  '135m': { label: 'SmolLM2-135M-like (576-dim, 30 layers, GQA 9/3), vocab 32000', tokenizer: 'tok32000', config: { dim: 576, hiddenDim: 1536, nLayers: 30, nHeads: 9, nKvHeads: 3 } },
};
export const CONTEXT_LENGTH = 512;

/** Byte-fallback tokens of both tokenizers: random weights pick them, and they are not valid UTF-8 alone. */
export const BANNED_TOKENS = { first: 3, last: 258 };

// The GGUF value types llama.cpp gives the tokenizer keys (as in stories260K.gguf / llama-2-tiny-random.gguf).
const TOKENIZER_TYPES = {
  'tokenizer.ggml.model': 'string',
  'tokenizer.ggml.tokens': 'array:string',
  'tokenizer.ggml.scores': 'array:f32',
  'tokenizer.ggml.token_type': 'array:i32',
};

function tokenizerMetadata(path) {
  const g = parseGguf(readFileSync(path), path);
  const out = [];
  for (const [key, value] of g.metadata) {
    if (!key.startsWith('tokenizer.ggml.')) continue;
    const t = TOKENIZER_TYPES[key] ?? 'u32'; // the *_token_id keys
    out.push(t.startsWith('array:') ? [key, { type: 'array', of: t.slice(6), value }] : [key, { type: t, value }]);
  }
  const vocabSize = g.metadata.get('tokenizer.ggml.tokens').length;
  return { metadata: out, vocabSize };
}

/** GGML file types (general.file_type): 0 = all F32, 7 = mostly Q8_0, 2 = mostly Q4_0. */
const FILE_TYPE = { f32: 0, q8_0: 7, q4_0: 2 };
const GGML = { F32: 0, Q4_0: 2, Q8_0: 8 };

/**
 * GGML Q4_0 as llama.cpp's reference quantizer writes it: blocks of 32 as (f16 d = the signed value of
 * largest magnitude / -8, 16 bytes: low nibble x[j], high nibble x[16 + j], q = min(15, trunc(x / d + 8.5))).
 * Here only for bench/native.mjs's speed files (random weights; the values do not matter for speed).
 */
function encodeQ4_0(values) {
  const blocks = values.length / 32;
  const d = new Float32Array(blocks);
  const out = new Uint8Array(blocks * 18);
  for (let b = 0; b < blocks; b++) {
    let amax = 0, max = 0;
    for (let i = 0; i < 32; i++) {
      const v = values[b * 32 + i];
      if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
    }
    d[b] = max / -8;
    const id = d[b] ? 1 / d[b] : 0;
    for (let j = 0; j < 16; j++) {
      const lo = Math.min(15, Math.trunc(values[b * 32 + j] * id + 8.5));
      const hi = Math.min(15, Math.trunc(values[b * 32 + 16 + j] * id + 8.5));
      out[b * 18 + 2 + j] = lo | (hi << 4);
    }
  }
  const halves = encodeF16(d); // the f16 of each block's d, little-endian
  for (let b = 0; b < blocks; b++) { out[b * 18] = halves[2 * b]; out[b * 18 + 1] = halves[2 * b + 1]; }
  return out;
}

function ggufBytes(name, config, weights, tokenizer, format) {
  const u32 = (value) => ({ type: 'u32', value });
  const metadata = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: `dyadic-e2e-${name}` }],
    ['general.file_type', u32(FILE_TYPE[format])],
    ['llama.context_length', u32(config.contextLength)],
    ['llama.embedding_length', u32(config.dim)],
    ['llama.feed_forward_length', u32(config.hiddenDim)],
    ['llama.block_count', u32(config.nLayers)],
    ['llama.attention.head_count', u32(config.nHeads)],
    ['llama.attention.head_count_kv', u32(config.nKvHeads)],
    ['llama.rope.dimension_count', u32(config.headDim)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: config.rmsEps }],
    ...tokenizer,
  ];
  // Matrices in the file's format, norms always F32 (as llama.cpp's quantizer leaves 1-D tensors).
  // dims are innermost first: a [out][in] matrix is [in, out].
  const matrix = (tensorName, values, inDim, outDim) => (format === 'q8_0'
    ? { name: tensorName, dims: [inDim, outDim], type: GGML.Q8_0, data: encodeQ8_0(values) }
    : format === 'q4_0'
      ? { name: tensorName, dims: [inDim, outDim], type: GGML.Q4_0, data: encodeQ4_0(values) }
      : { name: tensorName, dims: [inDim, outDim], type: GGML.F32, data: encodeF32(values) });
  const vector = (tensorName, values) => ({ name: tensorName, dims: [values.length], type: GGML.F32, data: encodeF32(values) });
  const { dim, hiddenDim, vocabSize } = config;
  const q = config.nHeads * config.headDim;
  const kv = config.nKvHeads * config.headDim;
  const tensors = [matrix('token_embd.weight', weights.tokenEmbedding, dim, vocabSize)];
  weights.layers.forEach((l, i) => {
    const b = `blk.${i}.`;
    tensors.push(
      vector(b + 'attn_norm.weight', l.attnNorm),
      matrix(b + 'attn_q.weight', l.wq, dim, q),
      matrix(b + 'attn_k.weight', l.wk, dim, kv),
      matrix(b + 'attn_v.weight', l.wv, dim, kv),
      matrix(b + 'attn_output.weight', l.wo, q, dim),
      vector(b + 'ffn_norm.weight', l.ffnNorm),
      matrix(b + 'ffn_gate.weight', l.wGate, dim, hiddenDim),
      matrix(b + 'ffn_down.weight', l.wDown, hiddenDim, dim),
      matrix(b + 'ffn_up.weight', l.wUp, dim, hiddenDim),
    );
  });
  tensors.push(vector('output_norm.weight', weights.finalNorm), matrix('output.weight', weights.output, dim, vocabSize));
  return writeGguf(metadata, tensors);
}

/**
 * Writes (or finds) `<name>-f32.gguf` and `<name>-q8_0.gguf` (or `formats`, 'q4_0' too) for one model of E2E_MODELS. Returns their
 * paths (absolute and relative to the repository root), sizes, the config and the parameter count.
 */
export function ensureModelFiles(name, { seed = 7, formats = ['f32', 'q8_0'] } = {}) {
  const spec = E2E_MODELS[name];
  if (!spec) throw new Error(`unknown e2e model "${name}" (${Object.keys(E2E_MODELS).join(', ')})`);
  const { metadata, vocabSize } = tokenizerMetadata(modelPath(TOKENIZERS[spec.tokenizer]));
  const config = llamaConfig({ ...spec.config, vocabSize, contextLength: CONTEXT_LENGTH });
  mkdirSync(`${repoRoot}${MODEL_DIR}`, { recursive: true });
  const files = {};
  let weights;
  for (const format of formats) {
    const rel = `${MODEL_DIR}/${name}-${format}.gguf`;
    const abs = `${repoRoot}${rel}`;
    if (!existsSync(abs)) {
      weights ??= randomLlamaWeights(config, seed);
      writeFileSync(abs, ggufBytes(name, config, weights, metadata, format));
    }
    files[format] = { rel, abs, bytes: statSync(abs).size };
  }
  return { name, label: spec.label, config, params: parameterCount(config), files };
}
