// A LLaMA-family model (config + float32 weights) from a parsed GGUF file. llama.cpp names:
// token_embd, blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm, ffn_gate, ffn_down,
// ffn_up}, output_norm, output (absent when tied). Qwen2 adds attn_{q,k,v}.bias.
import { ModelFormatError } from '../formats/errors.js';
import { type GgufFile, ggufNumber, ggufString, ggufTensorF32 } from '../formats/gguf.js';
import { type LlamaConfig, type RopeLayout, validateConfig } from './config.js';
import { type LlamaWeights, validateWeights } from './weights.js';

// llama.cpp's rope type per architecture: LLaMA-style files were permuted to adjacent pairs by the
// converter; Qwen2 keeps the Hugging Face half-split layout ("neox").
const ROPE_LAYOUT: Record<string, RopeLayout> = { llama: 'adjacent', mistral: 'adjacent', qwen2: 'half' };

export function ggufConfig(g: GgufFile): LlamaConfig {
  const arch = ggufString(g, 'general.architecture');
  const ropeLayout = ROPE_LAYOUT[arch];
  if (!ropeLayout) throw new ModelFormatError(g.file, `architecture "${arch}" is not supported (llama, mistral, qwen2 are)`);
  const key = (k: string) => `${arch}.${k}`;
  const embd = g.tensors.get('token_embd.weight');
  if (!embd) throw new ModelFormatError(g.file, 'missing tensor "token_embd.weight"');
  if (embd.dims.length !== 2) throw new ModelFormatError(g.file, `tensor "token_embd.weight" has shape [${embd.dims}], expected 2 dimensions`);
  const dim = ggufNumber(g, key('embedding_length'));
  const nHeads = ggufNumber(g, key('attention.head_count'));
  const headDim = ggufNumber(g, key('attention.key_length'), Math.floor(dim / nHeads));
  return validateConfig(
    {
      architecture: arch,
      dim,
      hiddenDim: ggufNumber(g, key('feed_forward_length')),
      nLayers: ggufNumber(g, key('block_count')),
      nHeads,
      nKvHeads: ggufNumber(g, key('attention.head_count_kv'), nHeads),
      headDim,
      vocabSize: embd.dims[1],
      contextLength: ggufNumber(g, key('context_length')),
      ropeTheta: ggufNumber(g, key('rope.freq_base'), 10000),
      ropeLayout,
      ropeDim: ggufNumber(g, key('rope.dimension_count'), headDim),
      rmsEps: ggufNumber(g, key('attention.layer_norm_rms_epsilon'), 1e-5),
      tiedEmbeddings: !g.tensors.has('output.weight'),
      qkvBias: g.tensors.has('blk.0.attn_q.bias'),
    },
    g.file,
  );
}

/** Metadata key prefix (then the tensor name) of a padded tensor's true row length. */
export const PADDED_ROW_KEY = 'dyadic.row_length.';

/** Checks every tensor the model needs is present with its shape (no decoding). */
export function ggufWeightShapes(g: GgufFile, c: LlamaConfig): void {
  ggufWeightsWith(g, c, false);
}

export function ggufWeights(g: GgufFile, c: LlamaConfig): LlamaWeights {
  return ggufWeightsWith(g, c, true)!;
}

function ggufWeightsWith(g: GgufFile, c: LlamaConfig, decode: boolean): LlamaWeights | undefined {
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  const none = new Float32Array(0);
  // GGUF lists dims innermost first: a [out][in] matrix is stored with dims [in, out].
  const tensor = (name: string, dims: number[]) => {
    const t = g.tensors.get(name);
    if (!t) throw new ModelFormatError(g.file, `missing tensor "${name}"`);
    // dyadic's own group-wise files pad rows to whole blocks and record the true row length
    const rowLength = g.metadata.get(`${PADDED_ROW_KEY}${name}`);
    if (rowLength !== undefined && !(typeof rowLength === 'number' && rowLength >= 1 && rowLength <= t.dims[0])) {
      throw new ModelFormatError(g.file, `${PADDED_ROW_KEY}${name} = ${String(rowLength)} is not a row length up to ${t.dims[0]}`);
    }
    const shape = t.dims.length === dims.length ? [rowLength ?? t.dims[0], ...t.dims.slice(1)] : [];
    if (shape.length !== dims.length || shape.some((d, i) => d !== dims[i])) {
      throw new ModelFormatError(g.file, `tensor "${name}" has shape [${shape.length ? shape.join(', ') : t.dims.join(', ')}], expected [${dims.join(', ')}]`);
    }
    if (!decode) return none;
    const values = ggufTensorF32(g, name);
    if (rowLength === undefined || rowLength === t.dims[0]) return values;
    const stride = t.dims[0];
    const rows = t.elements / stride;
    const out = new Float32Array(rows * rowLength); // [rows, rowLength]
    for (let r = 0; r < rows; r++) out.set(values.subarray(r * stride, r * stride + rowLength), r * rowLength);
    return out;
  };
  const tokenEmbedding = tensor('token_embd.weight', [c.dim, c.vocabSize]);
  const layers = [];
  for (let l = 0; l < c.nLayers; l++) {
    const b = `blk.${l}.`;
    layers.push({
      attnNorm: tensor(b + 'attn_norm.weight', [c.dim]),
      wq: tensor(b + 'attn_q.weight', [c.dim, q]),
      wk: tensor(b + 'attn_k.weight', [c.dim, kv]),
      wv: tensor(b + 'attn_v.weight', [c.dim, kv]),
      bq: c.qkvBias ? tensor(b + 'attn_q.bias', [q]) : undefined,
      bk: c.qkvBias ? tensor(b + 'attn_k.bias', [kv]) : undefined,
      bv: c.qkvBias ? tensor(b + 'attn_v.bias', [kv]) : undefined,
      wo: tensor(b + 'attn_output.weight', [q, c.dim]),
      ffnNorm: tensor(b + 'ffn_norm.weight', [c.dim]),
      wGate: tensor(b + 'ffn_gate.weight', [c.dim, c.hiddenDim]),
      wDown: tensor(b + 'ffn_down.weight', [c.hiddenDim, c.dim]),
      wUp: tensor(b + 'ffn_up.weight', [c.dim, c.hiddenDim]),
    });
  }
  const w: LlamaWeights = {
    tokenEmbedding,
    layers,
    finalNorm: tensor('output_norm.weight', [c.dim]),
    output: c.tiedEmbeddings ? tokenEmbedding : tensor('output.weight', [c.dim, c.vocabSize]),
  };
  if (!decode) return undefined;
  validateWeights(c, w, g.file);
  return w;
}
