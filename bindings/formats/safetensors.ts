// safetensors (Hugging Face): u64 header length, a JSON header {name: {dtype, shape, data_offsets}},
// then the raw little-endian data. Plus the LLaMA/Qwen2/Mistral config.json and tensor names that
// make a model out of one or more such files (sharded checkpoints are several files).
import { ByteReader, asBytes } from './byte-reader.js';
import { ModelFormatError } from './errors.js';
import { GgmlType, decodeTensor } from './tensor-types.js';
import { type LlamaConfig, validateConfig } from '../model/config.js';
import { type LlamaWeights, validateWeights } from '../model/weights.js';

const MAX_HEADER_BYTES = 100 * 1024 * 1024; // the format's own limit
const DTYPES: Record<string, { type: number; bytes: number }> = {
  F32: { type: GgmlType.F32, bytes: 4 },
  F16: { type: GgmlType.F16, bytes: 2 },
  BF16: { type: GgmlType.BF16, bytes: 2 },
};

export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly file: string;
  readonly data: Uint8Array; // exactly the tensor's bytes
}

export interface SafetensorsFile {
  readonly file: string;
  readonly tensors: Map<string, SafetensorsTensor>;
  readonly metadata: Record<string, string>;
}

export function parseSafetensors(data: ArrayBuffer | ArrayBufferView, file = 'model.safetensors'): SafetensorsFile {
  const bytes = asBytes(data);
  const r: ByteReader = new ByteReader(bytes, file);
  const headerLength = r.u64('header length');
  if (headerLength > MAX_HEADER_BYTES) r.fail(`header length ${headerLength} is over the 100 MB limit`);
  const text = r.string(headerLength, 'JSON header');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    r.fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) r.fail('header is not a JSON object');
  const dataStart = r.pos;
  const dataBytes = bytes.byteLength - dataStart;
  const tensors = new Map<string, SafetensorsTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) r.fail(`tensor "${name}": entry is not an object`);
    const dtype = String(e.dtype);
    const info = DTYPES[dtype];
    if (!info) r.fail(`tensor "${name}": unsupported dtype ${dtype} (F32, F16, BF16 are supported)`);
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      r.fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      r.fail(`tensor "${name}": data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    }
    const [begin, end] = offsets as number[];
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataBytes) r.fail(`tensor "${name}": data_offsets [${begin}, ${end}] run past the ${dataBytes} data bytes`);
    if (end - begin !== elements * info.bytes) r.fail(`tensor "${name}": ${end - begin} bytes for shape [${shape}] of ${dtype} (expected ${elements * info.bytes})`);
    tensors.set(name, { name, dtype, shape: shape as number[], file, data: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  return { file, tensors, metadata };
}

export function safetensorF32(t: SafetensorsTensor): Float32Array {
  const elements = t.shape.reduce((a, b) => a * b, 1);
  return decodeTensor(DTYPES[t.dtype].type, t.data, elements);
}

const ARCHS = new Set(['llama', 'qwen2', 'mistral']);

/** A LlamaConfig from a Hugging Face config.json (text or parsed). */
export function configFromHfJson(json: string | Record<string, unknown>, file = 'config.json'): LlamaConfig {
  let c: Record<string, unknown>;
  try {
    c = typeof json === 'string' ? JSON.parse(json) : json;
  } catch (e) {
    throw new ModelFormatError(file, `not valid JSON (${(e as Error).message})`);
  }
  const type = String(c.model_type);
  if (!ARCHS.has(type)) throw new ModelFormatError(file, `model_type "${type}" is not supported (llama, qwen2, mistral are)`);
  const num = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number') throw new ModelFormatError(file, `"${key}" should be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const dim = num('hidden_size');
  const nHeads = num('num_attention_heads');
  const headDim = num('head_dim', Math.floor(dim / nHeads));
  return validateConfig(
    {
      architecture: type,
      dim,
      hiddenDim: num('intermediate_size'),
      nLayers: num('num_hidden_layers'),
      nHeads,
      nKvHeads: num('num_key_value_heads', nHeads),
      headDim,
      vocabSize: num('vocab_size'),
      contextLength: num('max_position_embeddings'),
      ropeTheta: num('rope_theta', 10000),
      // Hugging Face LLaMA-family checkpoints rotate (x[i], x[i + d/2]).
      ropeLayout: 'half',
      ropeDim: headDim,
      rmsEps: num('rms_norm_eps', 1e-6),
      tiedEmbeddings: c.tie_word_embeddings === true,
      qkvBias: type === 'qwen2' || c.attention_bias === true,
    },
    file,
  );
}

/** Float32 weights from the tensors of one or more safetensors files (HF LLaMA/Qwen2 names). */
export function safetensorsWeights(files: SafetensorsFile[], c: LlamaConfig): LlamaWeights {
  const all = new Map<string, SafetensorsTensor>();
  for (const f of files) for (const [k, t] of f.tensors) all.set(k, t);
  const where = files.map((f) => f.file).join(', ');
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  const tensor = (name: string, shape: number[]) => {
    const t = all.get(name);
    if (!t) throw new ModelFormatError(where, `missing tensor "${name}"`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFormatError(t.file, `tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    return safetensorF32(t);
  };
  const tokenEmbedding = tensor('model.embed_tokens.weight', [c.vocabSize, c.dim]);
  const layers = Array.from({ length: c.nLayers }, (_, l) => {
    const p = `model.layers.${l}.`;
    return {
      attnNorm: tensor(p + 'input_layernorm.weight', [c.dim]),
      wq: tensor(p + 'self_attn.q_proj.weight', [q, c.dim]),
      wk: tensor(p + 'self_attn.k_proj.weight', [kv, c.dim]),
      wv: tensor(p + 'self_attn.v_proj.weight', [kv, c.dim]),
      bq: c.qkvBias ? tensor(p + 'self_attn.q_proj.bias', [q]) : undefined,
      bk: c.qkvBias ? tensor(p + 'self_attn.k_proj.bias', [kv]) : undefined,
      bv: c.qkvBias ? tensor(p + 'self_attn.v_proj.bias', [kv]) : undefined,
      wo: tensor(p + 'self_attn.o_proj.weight', [c.dim, q]),
      ffnNorm: tensor(p + 'post_attention_layernorm.weight', [c.dim]),
      wGate: tensor(p + 'mlp.gate_proj.weight', [c.hiddenDim, c.dim]),
      wDown: tensor(p + 'mlp.down_proj.weight', [c.dim, c.hiddenDim]),
      wUp: tensor(p + 'mlp.up_proj.weight', [c.hiddenDim, c.dim]),
    };
  });
  // Some tied checkpoints still carry lm_head; config.json's tie_word_embeddings decides.
  const output = c.tiedEmbeddings ? tokenEmbedding : tensor('lm_head.weight', [c.vocabSize, c.dim]);
  const w: LlamaWeights = { tokenEmbedding, layers, finalNorm: tensor('model.norm.weight', [c.dim]), output };
  validateWeights(c, w, where);
  return w;
}
