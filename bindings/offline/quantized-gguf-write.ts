// Writes the quantized GGUF file that bindings/model/integer/quantized-gguf.ts reads (its header describes
// the layout): once, offline, after quantizing.
import { GgmlType } from '../formats/tensor-types.js';
import { writeGguf, type GgufTensorToWrite, type GgufTypedValue } from './gguf-write.js';
import type { GgufValue } from '../formats/gguf.js';
import type { QuantizedLlama } from '../model/integer/quantized-llama.js';
import type { QuantizedMatrix } from '../common/weights.js';
import type { NormGamma } from '../ops/norm.js';
import { DYADIC_FORMAT_VERSION, LAYER_MATRICES } from '../model/integer/quantized-gguf.js';

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/** A parsed GGUF metadata value typed for writing it again (integers as u32/i32, reals as f32). */
function typed(v: GgufValue): GgufTypedValue {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (typeof v === 'bigint') return { type: v < 0n ? 'i64' : 'u64', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: v < 0 ? 'i32' : 'u32', value: v } : { type: 'f32', value: v };
  if (v instanceof Float32Array) return { type: 'array', of: 'f32', value: v };
  if (v instanceof Int32Array) return { type: 'array', of: 'i32', value: v };
  if (v instanceof Uint32Array) return { type: 'array', of: 'u32', value: v };
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { type: 'array', of: 'string', value: v as string[] };
  throw new TypeError('quantized gguf: cannot carry a nested metadata array');
}

export interface SaveOptions {
  mode: string;
  /** Tokenizer metadata (tokenizer.*) of the source GGUF file, copied through so the file is self-contained. */
  tokenizerMetadata?: Map<string, GgufValue>;
  /** Free text recorded as dyadic.calibration (what the quantizer was calibrated on). */
  calibration?: string;
}

export function saveQuantizedGguf(q: QuantizedLlama, o: SaveOptions): Uint8Array {
  const c = q.config;
  const arch = c.architecture;
  const u32 = (value: number): GgufTypedValue => ({ type: 'u32', value });
  const meta: [string, GgufTypedValue][] = [
    ['general.architecture', { type: 'string', value: arch }],
    ['general.name', { type: 'string', value: `dyadic ${o.mode}` }],
    [`${arch}.context_length`, u32(c.contextLength)],
    [`${arch}.embedding_length`, u32(c.dim)],
    [`${arch}.feed_forward_length`, u32(c.hiddenDim)],
    [`${arch}.block_count`, u32(c.nLayers)],
    [`${arch}.attention.head_count`, u32(c.nHeads)],
    [`${arch}.attention.head_count_kv`, u32(c.nKvHeads)],
    [`${arch}.attention.key_length`, u32(c.headDim)],
    [`${arch}.rope.dimension_count`, u32(c.ropeDim)],
    [`${arch}.rope.freq_base`, { type: 'f32', value: c.ropeTheta }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: c.rmsEps }],
    ['dyadic.version', u32(DYADIC_FORMAT_VERSION)],
    ['dyadic.mode', { type: 'string', value: o.mode }],
    ['dyadic.rope_layout', { type: 'string', value: c.ropeLayout }],
    ['dyadic.eps_m', u32(q.eps.m)],
    ['dyadic.eps_k', { type: 'i32', value: q.eps.k }],
    ['dyadic.activation_bits', u32(q.activationBits)],
  ];
  if (o.calibration) meta.push(['dyadic.calibration', { type: 'string', value: o.calibration }]);
  for (const [k, v] of o.tokenizerMetadata ?? []) if (k.startsWith('tokenizer.')) meta.push([k, typed(v)]);

  const tensors: GgufTensorToWrite[] = [];
  const matrix = (name: string, m: QuantizedMatrix) => {
    tensors.push({ name: `${name}.weight`, dims: [m.cols, m.rows], type: GgmlType.I8, data: bytesOf(m.values) });
    tensors.push({ name: `${name}.scale`, dims: [m.rows], type: GgmlType.F64, data: bytesOf(m.scales) });
    meta.push([`dyadic.bits.${name}`, u32(m.bits)]);
    if (m.sparseBlock) meta.push([`dyadic.sparse_block.${name}`, { type: 'string', value: m.sparseBlock }]);
  };
  const norm = (name: string, g: NormGamma) => {
    tensors.push({ name: `${name}.weight`, dims: [g.g.length], type: GgmlType.I16, data: bytesOf(g.g) });
    tensors.push({ name: `${name}.exp`, dims: [1], type: GgmlType.I32, data: bytesOf(Int32Array.of(g.k)) });
  };
  tensors.push({ name: 'token_embd.weight', dims: [c.dim, c.vocabSize], type: GgmlType.I16, data: bytesOf(q.embedding.values) });
  tensors.push({ name: 'token_embd.scale_m', dims: [c.vocabSize], type: GgmlType.I32, data: bytesOf(q.embedding.m) });
  tensors.push({ name: 'token_embd.scale_k', dims: [c.vocabSize], type: GgmlType.I32, data: bytesOf(q.embedding.k) });
  q.layers.forEach((l, i) => {
    norm(`blk.${i}.attn_norm`, l.attnNorm);
    norm(`blk.${i}.ffn_norm`, l.ffnNorm);
    for (const [key, name] of LAYER_MATRICES) matrix(`blk.${i}.${name}`, l[key] as QuantizedMatrix);
  });
  norm('output_norm', q.finalNorm);
  matrix('output', q.output);
  return writeGguf(meta, tensors);
}
