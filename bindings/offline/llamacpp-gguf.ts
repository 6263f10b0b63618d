// Writes a float LLaMA model as a standard llama.cpp GGUF in llama.cpp's block types: the source GGUF's
// metadata (with each key's stored type) and tensor names/order/shapes, every matrix re-encoded in the
// type a policy picks (norms stay F32, as llama.cpp's quantizer leaves 1-D tensors), general.file_type and
// general.quantization_version set as llama.cpp's quantizer sets them. Matrices are encoded either as
// llama.cpp's own round-to-nearest (byte-identical for the 32-element types) or, with `gptq`, through
// gptq-blocks.ts (searched scales, error compensation with the calibration Hessians when given). Offline.
import type { GgufFile, GgufValue } from '../formats/gguf.js';
import { type GgufTensorToWrite, type GgufTypedValue, type GgufScalarType, encodeF16, encodeF32, writeGguf } from './gguf-write.js';
import { GgmlType, decodeTensor, tensorTypeName } from '../formats/tensor-types.js';
import type { LlamaConfig } from '../model/config.js';
import { PADDED_ROW_KEY } from '../model/from-gguf.js';
import type { LlamaWeights } from '../model/weights.js';
import type { LayerHessians } from './calibrate.js';
import { type BlockCodec, DYADIC_CODECS, Q2_K, Q3_K, Q4_0, Q4_1, Q4_K, Q5_0, Q5_1, Q5_K, Q6_K, Q8_0, dyadicCodec, encodeBlocks } from './ggml-blocks.js';
import { gptqBlocks } from './gptq-blocks.js';

/** A tensor's stored type: a block codec, or plain F16 / F32. */
export type TensorType = BlockCodec | 'F16' | 'F32';

export const typeName = (t: TensorType) => (typeof t === 'string' ? t : t.name);

/** llama.cpp's general.file_type of a file whose matrices are mostly `name` (the *_S file type for K-quants). */
export const FILE_TYPE: Record<string, number> = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q2_K: 10, Q3_K: 11, Q4_K: 14, Q5_K: 16, Q6_K: 18,
};

/**
 * The type a matrix with rows of `cols` takes when it is not a whole number of `type`'s blocks, as
 * llama.cpp's quantizer falls back (K-quants to a 32-element type of about the same bits, those to F16).
 */
export function fitType(type: TensorType, cols: number): TensorType {
  let t = type;
  while (typeof t !== 'string' && cols % t.blockSize !== 0) {
    t = t.blockSize === 256 ? ({ Q2_K: Q4_0, Q3_K: Q4_0, Q4_K: Q5_0, Q5_K: Q5_1, Q6_K: Q8_0 }[t.name] ?? 'F16') : 'F16';
  }
  return t;
}

export const BLOCK_BITS = [2, 3, 4, 5, 6, 8] as const;

/**
 * The type of a matrix with rows of `cols` at `bits` in groups of `group`: with group 32, the llama.cpp
 * type of exactly those bits that fits the rows (the K-quant where rows are whole 256-element
 * super-blocks, whose sub-groups are 16 or 32 elements; else the 32-element type), else dyadic's own
 * DQ{bits}_G{group}; groups of 64 or 128 are dyadic's own.
 */
export function typeForBits(bits: number, cols: number, group = 32): BlockCodec {
  if (!(BLOCK_BITS as readonly number[]).includes(bits)) throw new RangeError(`bits must be one of ${BLOCK_BITS.join(', ')}, got ${bits}`);
  if (group !== 32) return dyadicCodec(bits, group);
  const k = cols % 256 === 0;
  // 4 bits on 32-element blocks: Q4_1 (with a min, as Q4_K): on stories260K GPTQ reaches 1.026x the float NLL
  // with it and 1.031x with Q4_0 (docs/accuracy.md)
  const llama: Record<number, BlockCodec | undefined> = { 8: Q8_0, 6: k ? Q6_K : undefined, 5: k ? Q5_K : Q5_0, 4: k ? Q4_K : Q4_1, 3: k ? Q3_K : undefined, 2: k ? Q2_K : undefined };
  return llama[bits] ?? dyadicCodec(bits, 32);
}

/** Largest stored / true row length a padded row may take (rows of 172 in 192: 1.12); past it, fitType. */
export const MAX_PADDING = 1.125;

/**
 * The type a matrix is stored in. In dyadic's own files (pad) rows that are not whole blocks are padded:
 * always for dyadic's types (the group was asked for), for a llama.cpp type only when that costs little
 * (an output matrix of 64-wide rows does not take a Q6_K super-block of 256: fitType gives Q8_0).
 */
export function storedType(wanted: TensorType, cols: number, pad: boolean): TensorType {
  if (!pad || typeof wanted === 'string') return fitType(wanted, cols);
  const cheap = Math.ceil(cols / wanted.blockSize) * wanted.blockSize <= MAX_PADDING * cols;
  return cheap || !isLlamaCppType(wanted) ? wanted : fitType(wanted, cols);
}

/** Whether llama.cpp reads a type. */
export const isLlamaCppType = (t: TensorType) => typeof t === 'string' || !DYADIC_CODECS.includes(t);

/** The output matrix (the LM head decides the tokens): Q6_K, or Q8_0 where it does not fit, as llama.cpp's mixes. */
const headType = (main: TensorType): TensorType => (main === Q8_0 ? Q8_0 : Q6_K);

/**
 * The type of each matrix: `format` for every matrix (with `pure`) or for all but the output matrix, which
 * takes headType as in llama.cpp's default mixes; without a format, typeForBits(bits, cols, group).
 */
export function typePolicy({ format, bits, group = 32, pure = false }: { format?: BlockCodec; bits?: number; group?: number; pure?: boolean }) {
  if (!format && bits === undefined) throw new RangeError('a format or a bit width is required');
  return (name: string, _rows: number, cols: number): TensorType => {
    const t = format ?? typeForBits(bits!, cols, group);
    return name === 'output.weight' && !pure ? headType(t) : t;
  };
}

/** Which activations feed a linear layer (its GPTQ Hessian), by llama.cpp tensor name. */
const HESSIAN_SITE: Record<string, keyof LayerHessians> = {
  attn_q: 'attn_in', attn_k: 'attn_in', attn_v: 'attn_in', attn_output: 'attn_out',
  ffn_gate: 'ffn_in', ffn_up: 'ffn_in', ffn_down: 'ffn_mid',
};

/** Float values of a llama.cpp tensor name in a model's weights (undefined for names it does not hold). */
export function modelTensor(w: LlamaWeights, name: string): Float32Array | undefined {
  if (name === 'token_embd.weight') return w.tokenEmbedding;
  if (name === 'output.weight') return w.output;
  if (name === 'output_norm.weight') return w.finalNorm;
  const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(name);
  const l = m ? w.layers[Number(m[1])] : undefined;
  if (!m || !l) return undefined;
  const field = ({
    attn_norm: l.attnNorm, attn_q: l.wq, attn_k: l.wk, attn_v: l.wv, attn_output: l.wo,
    ffn_norm: l.ffnNorm, ffn_gate: l.wGate, ffn_up: l.wUp, ffn_down: l.wDown,
  } as Record<string, Float32Array | undefined>)[m[2]];
  return field;
}

/** The source file's metadata as typed entries (its stored types), for writing it back. */
export function typedMetadata(g: GgufFile): [string, GgufTypedValue][] {
  const out: [string, GgufTypedValue][] = [];
  for (const [key, value] of g.metadata) {
    const t = g.metadataTypes?.get(key);
    if (!t) throw new Error(`${g.file}: no stored type for metadata "${key}"`);
    if (t.startsWith('array:')) {
      out.push([key, { type: 'array', of: t.slice(6) as GgufScalarType, value: value as ArrayLike<number | string | boolean | bigint> }]);
    } else out.push([key, { type: t as GgufScalarType, value: value as Exclude<GgufValue, GgufValue[]> as number | string | boolean | bigint }]);
  }
  return out;
}

export interface LlamaCppWriteOptions {
  /** The type of each matrix (before fitType); 1-D tensors are always F32. */
  typeOf: (name: string, rows: number, cols: number) => TensorType;
  /** GPTQ encoding (searched scales; with `hessians`, error compensation) instead of llama.cpp's round-to-nearest. */
  gptq?: boolean;
  hessians?: LayerHessians[];
  /**
   * dyadic's own file: a matrix whose rows are not whole blocks of its type is stored with rows padded
   * (the loader crops them) instead of falling back to another type; llama.cpp cannot read such a file.
   */
  pad?: boolean;
  /** GPTQ's column order (gptq-blocks.ts; default 'act'). */
  order?: 'act' | 'natural';
  /** general.file_type to write. */
  fileType: number;
  /** Extra string metadata (e.g. how the file was made), under dyadic.* keys. */
  notes?: Record<string, string>;
  onTensor?: (name: string, done: number, total: number) => void;
}

export interface WrittenTensor {
  readonly name: string;
  /** Outermost first. */
  readonly shape: number[];
  readonly type: string;
  readonly bytes: number;
}

export interface LlamaCppFile {
  readonly bytes: Uint8Array;
  readonly tensors: WrittenTensor[];
  /** Bits per parameter of the matrices and embeddings (tensor data only, no metadata). */
  readonly bitsPerParameter: number;
}

/** llama.cpp's quantizer's tensor order: tensors outside the blocks first, then block by block, by name within each. */
export function llamaCppTensorOrder<T extends { name: string }>(tensors: T[]): T[] {
  const layer = (n: string) => {
    const m = /^blk\.(\d+)\./.exec(n);
    return m ? Number(m[1]) : -1;
  };
  return [...tensors].sort((a, b) => layer(a.name) - layer(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * One matrix in a block type: llama.cpp's round-to-nearest, or (gptq) GPTQ with searched scales and the
 * Hessian when given. Rows that are not whole blocks are padded with zeros of no importance (dyadic's own
 * files: the bytes hold rows of the padded length; `dequantized` is cropped back to [rows, cols]).
 */
export function encodeMatrix(
  type: BlockCodec, values: Float32Array, rows: number, cols: number,
  o: { gptq?: boolean; hessian?: Float64Array; order?: 'act' | 'natural'; name?: string } = {},
): { bytes: Uint8Array; dequantized: Float32Array; stored: number } {
  const stored = Math.ceil(cols / type.blockSize) * type.blockSize;
  if (stored === cols) {
    if (o.gptq) return { ...gptqBlocks(type, values, rows, cols, o.hessian, o.name, { order: o.order }), stored };
    const bytes = encodeBlocks(type, values, rows, cols, o.name);
    return { bytes, dequantized: decodeTensor(type.type, bytes, rows * cols), stored };
  }
  const x = new Float32Array(rows * stored); // [rows, stored]
  for (let r = 0; r < rows; r++) x.set(values.subarray(r * cols, (r + 1) * cols), r * stored);
  const h = o.gptq ? o.hessian : undefined;
  let hp: Float64Array | undefined;
  if (h) {
    hp = new Float64Array(stored * stored); // [stored, stored], zero for the padding
    for (let i = 0; i < cols; i++) hp.set(h.subarray(i * cols, (i + 1) * cols), i * stored);
  }
  const importance = Float64Array.from({ length: stored }, (_, j) => (j < cols ? (h ? h[j * cols + j] : 1) : 0));
  const q = gptqBlocks(type, x, rows, stored, hp, o.name, { order: o.order, importance });
  const dequantized = new Float32Array(rows * cols); // [rows, cols]
  for (let r = 0; r < rows; r++) dequantized.set(q.dequantized.subarray(r * stored, r * stored + cols), r * cols);
  return { bytes: q.bytes, dequantized, stored };
}

/** Writes `weights` (config `config`) under `source`'s metadata and tensor layout. */
export function writeLlamaCppGguf(source: GgufFile, config: LlamaConfig, weights: LlamaWeights, o: LlamaCppWriteOptions): LlamaCppFile {
  if (config.qkvBias) throw new RangeError('llama.cpp writer: Q/K/V biases (Qwen2) are not supported yet');
  const tensors: GgufTensorToWrite[] = [];
  const written: WrittenTensor[] = [];
  const padded: [string, GgufTypedValue][] = [];
  let params = 0;
  let dataBytes = 0;
  const infos = llamaCppTensorOrder([...source.tensors.values()]);
  infos.forEach((t, index) => {
    const values = modelTensor(weights, t.name);
    if (!values) {
      // a tensor the model does not read (e.g. rope_freqs): copied as it is
      written.push({ name: t.name, shape: [...t.dims].reverse(), type: tensorTypeName(t.type), bytes: t.byteSize });
      tensors.push({ name: t.name, dims: t.dims, type: t.type, data: source.bytes.slice(t.offset, t.offset + t.byteSize) });
      return;
    }
    if (values.length !== t.elements) throw new RangeError(`${source.file}: tensor "${t.name}" has ${t.elements} elements, the model ${values.length}`);
    const cols = t.dims[0];
    const rows = t.elements / cols;
    const wanted = t.dims.length === 1 ? 'F32' : o.typeOf(t.name, rows, cols);
    const type = storedType(wanted, cols, o.pad === true);
    // dyadic's own files (o.pad) pad rows to whole blocks (encodeMatrix)
    const stored = typeof type === 'string' ? cols : Math.ceil(cols / type.blockSize) * type.blockSize;
    const dims = [stored, ...t.dims.slice(1)];
    if (stored !== cols) padded.push([`${PADDED_ROW_KEY}${t.name}`, { type: 'u32', value: cols }]);
    let data: Uint8Array;
    let ggml: number;
    if (type === 'F32') {
      data = encodeF32(values);
      ggml = GgmlType.F32;
    } else if (type === 'F16') {
      data = encodeF16(values);
      ggml = GgmlType.F16;
    } else {
      ggml = type.type;
      const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(t.name);
      const site = m ? HESSIAN_SITE[m[2]] : undefined;
      const h = o.gptq && site ? o.hessians?.[Number(m![1])]?.[site] : undefined;
      data = encodeMatrix(type, values, rows, cols, { gptq: o.gptq, hessian: h, order: o.order, name: t.name }).bytes;
    }
    if (t.dims.length > 1) {
      params += t.elements;
      dataBytes += data.length;
    }
    tensors.push({ name: t.name, dims, type: ggml, data });
    written.push({ name: t.name, shape: [...t.dims].reverse(), type: typeName(type), bytes: data.length });
    o.onTensor?.(t.name, index + 1, infos.length);
  });
  // As llama.cpp's quantizer (gguf_set_val removes a key and appends it): the source's other keys in
  // order, then quantization_version, then file_type.
  const metadata = typedMetadata(source).filter(([k]) => !k.startsWith('dyadic.') && k !== 'general.quantization_version' && k !== 'general.file_type');
  metadata.push(['general.quantization_version', { type: 'u32', value: 2 }]);
  metadata.push(['general.file_type', { type: 'u32', value: o.fileType }]);
  for (const [k, v] of Object.entries(o.notes ?? {})) metadata.push([`dyadic.${k}`, { type: 'string', value: v }]);
  metadata.push(...padded);
  return { bytes: writeGguf(metadata, tensors, { alignment: source.alignment }), tensors: written, bitsPerParameter: (8 * dataBytes) / params };
}
