// A quantized model saved once and reloaded fast, as a GGUF file any GGUF reader can inspect: llama.cpp's
// metadata keys for the hyper-parameters (and the source's tokenizer, when it had one), dyadic.* keys for
// the quantization, and integer tensors named like llama.cpp's:
//   token_embd.weight      I16 [dim, vocab]   int16 rows      token_embd.scale_m / .scale_k  I32 [vocab]
//   blk.N.attn_norm.weight I16 [dim]          gamma mantissas blk.N.attn_norm.exp            I32 [1]
//   blk.N.attn_q.weight    I8  [in, out]      weight levels   blk.N.attn_q.scale             F64 [out]
//   ... attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down; output_norm, output likewise.
// A block-pruned layer keeps its (mostly zero) levels dense in the file with dyadic.sparse_block.NAME set,
// and is packed as block-CSR at load.
// (4- to 7-bit levels are stored one per byte: simple, and packing happens at load anyway.)
import { GgmlType } from '../../formats/tensor-types.js';
import { writeGguf, type GgufTensorToWrite, type GgufTypedValue } from '../../formats/gguf-write.js';
import { ggufNumber, ggufString, type GgufFile, type GgufValue } from '../../formats/gguf.js';
import { ModelFormatError } from '../../formats/errors.js';
import type { LlamaConfig } from '../config.js';
import type { QuantizedLlama, QuantizedLayer } from './quantize-model.js';
import type { QuantizedMatrix, WeightBits } from '../../quant/weights.js';
import type { NormGamma } from '../../ops/norm.js';

export const DYADIC_FORMAT_VERSION = 1;

const LAYER_MATRICES: [keyof QuantizedLayer, string][] = [
  ['wq', 'attn_q'], ['wk', 'attn_k'], ['wv', 'attn_v'], ['wo', 'attn_output'], ['wGate', 'ffn_gate'], ['wUp', 'ffn_up'], ['wDown', 'ffn_down'],
];

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

export function isQuantizedGguf(g: GgufFile): boolean {
  return g.metadata.has('dyadic.version');
}

/** Reads a file saveQuantizedGguf wrote; every tensor's type and shape is checked and named on error. */
export function loadQuantizedGguf(g: GgufFile, config: LlamaConfig): { model: QuantizedLlama; mode: string } {
  const version = ggufNumber(g, 'dyadic.version');
  if (version !== DYADIC_FORMAT_VERSION) throw new ModelFormatError(g.file, `dyadic.version ${version} is not supported (${DYADIC_FORMAT_VERSION} is)`);
  const raw = (name: string, type: number, dims: number[]) => {
    const t = g.tensors.get(name);
    if (!t) throw new ModelFormatError(g.file, `missing tensor "${name}"`);
    if (t.type !== type || t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
      throw new ModelFormatError(g.file, `tensor "${name}" is type ${t.type} [${t.dims}], expected type ${type} [${dims}]`);
    }
    return g.bytes.slice(t.offset, t.offset + t.byteSize).buffer;
  };
  const matrix = (name: string, rows: number, cols: number): QuantizedMatrix => {
    const bits = ggufNumber(g, `dyadic.bits.${name}`) as WeightBits;
    if (![8, 7, 6, 4].includes(bits)) throw new ModelFormatError(g.file, `dyadic.bits.${name} = ${bits} is not 8, 7, 6 or 4`);
    const values = new Int8Array(raw(`${name}.weight`, GgmlType.I8, [cols, rows]));
    const qmax = 2 ** (bits - 1) - 1;
    for (let i = 0; i < values.length; i++) {
      if (values[i] > qmax || values[i] < -qmax) throw new ModelFormatError(g.file, `tensor "${name}.weight" holds ${values[i]}, outside the ${bits}-bit range`);
    }
    const scales = new Float64Array(raw(`${name}.scale`, GgmlType.F64, [rows]));
    for (const s of scales) if (!(s > 0) || !Number.isFinite(s)) throw new ModelFormatError(g.file, `tensor "${name}.scale" holds ${s}`);
    const block = g.metadata.get(`dyadic.sparse_block.${name}`);
    if (block === undefined) return { rows, cols, bits, values, scales };
    if (block !== '4x16' && block !== '1x16') throw new ModelFormatError(g.file, `dyadic.sparse_block.${name} = ${String(block)} is not 4x16 or 1x16`);
    return { rows, cols, bits, values, scales, sparseBlock: block };
  };
  const norm = (name: string, n: number): NormGamma => ({
    g: new Int16Array(raw(`${name}.weight`, GgmlType.I16, [n])),
    k: new Int32Array(raw(`${name}.exp`, GgmlType.I32, [1]))[0],
  });
  const c = config;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const shapes: Record<string, [number, number]> = {
    attn_q: [qDim, c.dim], attn_k: [kvDim, c.dim], attn_v: [kvDim, c.dim], attn_output: [c.dim, qDim],
    ffn_gate: [c.hiddenDim, c.dim], ffn_up: [c.hiddenDim, c.dim], ffn_down: [c.dim, c.hiddenDim],
  };
  const layers = Array.from({ length: c.nLayers }, (_, i) => {
    const l: Record<string, unknown> = { attnNorm: norm(`blk.${i}.attn_norm`, c.dim), ffnNorm: norm(`blk.${i}.ffn_norm`, c.dim) };
    for (const [key, name] of LAYER_MATRICES) l[key] = matrix(`blk.${i}.${name}`, ...shapes[name]);
    return l as unknown as QuantizedLayer;
  });
  const model: QuantizedLlama = {
    config: c,
    embedding: {
      values: new Int16Array(raw('token_embd.weight', GgmlType.I16, [c.dim, c.vocabSize])),
      m: new Int32Array(raw('token_embd.scale_m', GgmlType.I32, [c.vocabSize])),
      k: new Int32Array(raw('token_embd.scale_k', GgmlType.I32, [c.vocabSize])),
    },
    layers,
    finalNorm: norm('output_norm', c.dim),
    output: matrix('output', c.vocabSize, c.dim),
    eps: { m: ggufNumber(g, 'dyadic.eps_m'), k: ggufNumber(g, 'dyadic.eps_k') },
    activationBits: ggufNumber(g, 'dyadic.activation_bits', 8),
  };
  return { model, mode: ggufString(g, 'dyadic.mode') };
}
