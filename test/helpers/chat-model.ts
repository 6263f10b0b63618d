// A chat fixture: random weights (tiny LLaMA shape) on the real Phi-3 vocabulary of
// test/fixtures/chat/ggml-vocab-phi-3.gguf, which carries its own chat template and special tokens
// (<|user|>, <|assistant|>, <|end|>). Written as a GGUF the way bench/lib/e2e-models.mjs writes its
// models: the vocabulary GGUF's tokenizer.* keys copied with their GGUF types, F32 tensors, tied output.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeF32, llamaConfig, parseGguf, randomLlamaWeights, writeGguf, type GgufTypedValue, type GgufTensorToWrite } from '../../dist/entry/node.js';

export const PHI3_VOCAB = new URL('../fixtures/chat/ggml-vocab-phi-3.gguf', import.meta.url);

const TYPES: Record<string, GgufTypedValue['type'] | `array:${'string' | 'f32' | 'i32'}`> = {
  'tokenizer.ggml.model': 'string',
  'tokenizer.ggml.pre': 'string',
  'tokenizer.chat_template': 'string',
  'tokenizer.ggml.tokens': 'array:string',
  'tokenizer.ggml.scores': 'array:f32',
  'tokenizer.ggml.token_type': 'array:i32',
  'tokenizer.ggml.add_bos_token': 'bool',
  'tokenizer.ggml.add_eos_token': 'bool',
};

type ChatModelOptions = { seed?: number; contextLength?: number; chatTemplate?: string | null };

/** GGUF bytes of a random-weight model on the Phi-3 vocabulary; `chatTemplate: null` leaves the template out. */
export function chatModelBytes(options: ChatModelOptions = {}): Uint8Array {
  const { metadata, tensors } = chatModelContents(options);
  return writeGguf(metadata, tensors);
}

/**
 * The same model as `parts` split GGUF files, the way llama.cpp's gguf-split writes them: the tensors in
 * order over the parts, every part with split.no (u16, from 0), split.count (u16) and split.tensors.count
 * (i32), the first with all the model's metadata.
 */
export function chatModelSplits(parts: number, options: ChatModelOptions = {}): Uint8Array[] {
  const { metadata, tensors } = chatModelContents(options);
  const per = Math.ceil(tensors.length / parts);
  return Array.from({ length: parts }, (_, i) => {
    const split: [string, GgufTypedValue][] = [
      ['split.no', { type: 'u16', value: i }],
      ['split.count', { type: 'u16', value: parts }],
      ['split.tensors.count', { type: 'i32', value: tensors.length }],
    ];
    return writeGguf(i === 0 ? [...metadata, ...split] : split, tensors.slice(i * per, (i + 1) * per));
  });
}

function chatModelContents(options: ChatModelOptions): { metadata: [string, GgufTypedValue][]; tensors: GgufTensorToWrite[] } {
  const vocab = parseGguf(readFileSync(PHI3_VOCAB), 'ggml-vocab-phi-3.gguf');
  const metadata: [string, GgufTypedValue][] = [];
  for (const [key, value] of vocab.metadata) {
    if (!key.startsWith('tokenizer.')) continue;
    if (key === 'tokenizer.chat_template' && options.chatTemplate !== undefined) continue;
    const t = TYPES[key] ?? 'u32'; // the *_token_id keys
    if (t.startsWith('array:')) metadata.push([key, { type: 'array', of: t.slice(6) as 'string', value: value as ArrayLike<string> }]);
    else metadata.push([key, { type: t as GgufTypedValue['type'], value: value as string } as GgufTypedValue]);
  }
  if (typeof options.chatTemplate === 'string') metadata.push(['tokenizer.chat_template', { type: 'string', value: options.chatTemplate }]);
  const vocabSize = (vocab.metadata.get('tokenizer.ggml.tokens') as string[]).length;
  const config = llamaConfig({ dim: 32, hiddenDim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize, contextLength: options.contextLength ?? 256, tiedEmbeddings: true });
  const w = randomLlamaWeights(config, options.seed ?? 5);
  const llama = {
    context_length: config.contextLength, embedding_length: config.dim, feed_forward_length: config.hiddenDim, block_count: config.nLayers,
    'attention.head_count': config.nHeads, 'attention.head_count_kv': config.nKvHeads, 'rope.dimension_count': config.headDim,
  };
  const head: [string, GgufTypedValue][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'dyadic-chat-fixture' }],
    ...Object.entries(llama).map(([k, value]): [string, GgufTypedValue] => [`llama.${k}`, { type: 'u32', value }]),
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: config.rmsEps }],
  ];
  const { dim, hiddenDim } = config;
  const kv = config.nKvHeads * config.headDim;
  // dims innermost first: a [out][in] matrix is [in, out].
  const t = (name: string, values: Float32Array, dims: number[]): GgufTensorToWrite => ({ name, dims, type: 0, data: encodeF32(values) });
  const tensors = [t('token_embd.weight', w.tokenEmbedding, [dim, vocabSize])];
  w.layers.forEach((l, i) => {
    const b = `blk.${i}.`;
    tensors.push(
      t(b + 'attn_norm.weight', l.attnNorm, [dim]),
      t(b + 'attn_q.weight', l.wq, [dim, dim]),
      t(b + 'attn_k.weight', l.wk, [dim, kv]),
      t(b + 'attn_v.weight', l.wv, [dim, kv]),
      t(b + 'attn_output.weight', l.wo, [dim, dim]),
      t(b + 'ffn_norm.weight', l.ffnNorm, [dim]),
      t(b + 'ffn_gate.weight', l.wGate, [dim, hiddenDim]),
      t(b + 'ffn_down.weight', l.wDown, [hiddenDim, dim]),
      t(b + 'ffn_up.weight', l.wUp, [dim, hiddenDim]),
    );
  });
  tensors.push(t('output_norm.weight', w.finalNorm, [dim]));
  return { metadata: [...head, ...metadata], tensors };
}

/** chatModelBytes() written to a fresh temporary directory; returns the file's path. */
export function writeChatModel(options: ChatModelOptions = {}): string {
  const path = join(mkdtempSync(join(tmpdir(), 'dyadic-chat-')), 'chat-fixture.gguf');
  writeFileSync(path, chatModelBytes(options));
  return path;
}
