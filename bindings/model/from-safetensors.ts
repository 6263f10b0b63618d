// A LLaMA/Qwen2/Mistral model from Hugging Face files: config.json and the tensor names of one or more
// safetensors files (sharded checkpoints are several files), parsed by bindings/formats/safetensors.ts.
import { ModelFormatError } from '../formats/errors.js';
import { safetensorF32, type SafetensorsFile, type SafetensorsTensor } from '../formats/safetensors.js';
import { type LlamaConfig, validateConfig } from './config.js';
import { type LlamaWeights, validateWeights } from './weights.js';

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
