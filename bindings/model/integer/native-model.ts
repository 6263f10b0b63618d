// Mode `native`: a llama.cpp GGUF file runs at its own stored precision. Every matrix stored in a block
// type (Q4_0, Q4_K, Q6_K, ...) becomes a group-wise integer layer (bindings/gemm/groupwise-pack.ts) read
// straight from the file's bytes when the engine is planned, one tensor at a time; F16/F32/BF16 matrices
// (llama.cpp keeps some, e.g. rows not a multiple of 32) become 8-bit per-channel integers as in w8a8.
// The token embedding stays in its block type: a row is decoded in integers when a token is looked up.
// Nothing here makes a float32 copy of a block-type matrix.
import type { LlamaConfig } from '../config.js';
import { type GgufTensorInfo } from '../../formats/gguf.js';
import type { QuantizedMatrix } from '../../common/weights.js';
import type { NormGamma } from '../../ops/norm.js';
import { decodeRow, groupwiseFormat, newDecodedRow, type DecodedRow, type GroupwiseFormat } from '../../gemm/groupwise-blocks.js';
import { groupwiseKernel } from '../../gemm/groupwise-pack.js';
import { kernelFor } from '../../gemm/pack.js';
import type { QuantizedEmbedding } from './quantized-llama.js';

/** Where a native model reads tensors from: the parsed header plus one tensor's bytes on demand. */
export interface TensorReader {
  readonly file: string;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
  /** The stored bytes of one tensor (a view or a fresh read; the caller does not keep it). */
  read(name: string): Uint8Array;
  /** `length` bytes from byte `offset` of one tensor's data (the caller does not keep them). */
  readRange(name: string, offset: number, length: number): Uint8Array;
}

/** A matrix in one of llama.cpp's block types, read when it is packed. */
export interface BlockMatrix {
  readonly rows: number; // N, output channels
  readonly cols: number; // K
  readonly type: number;
  readonly name: string;
  /** `length` bytes from `offset` of the stored tensor (rows are read a chunk at a time when packed). */
  readonly read: (offset: number, length: number) => Uint8Array;
}

export type LinearWeights = QuantizedMatrix | BlockMatrix;

export function isBlockMatrix(m: LinearWeights): m is BlockMatrix {
  return 'read' in m;
}

/**
 * The token embedding in its block type: the stored bytes, and per row the integer group scales and the
 * row exponent (computed once at load). Row t dequantizes in integers to W[j] (real ~ W[j] 2^-e[t]).
 */
export interface BlockEmbedding {
  readonly format: GroupwiseFormat;
  readonly rows: number;
  readonly dim: number;
  readonly blocks: Uint8Array;
  readonly S: Int16Array; // [rows, dim / G]
  readonly Mx: Int32Array | undefined; // [rows, dim / G]
  readonly e: Int32Array; // [rows]
}

export function isBlockEmbedding(e: QuantizedEmbedding | BlockEmbedding): e is BlockEmbedding {
  return 'blocks' in e;
}

/** Writes row t of a block embedding as int32 into out[at .. at + dim) (integers only); returns its exponent. */
export function blockEmbeddingRow(e: BlockEmbedding, t: number, scratch: DecodedRow, out: Int32Array, at: number): number {
  const f = e.format;
  const rowBytes = (e.dim / f.blockSize) * f.blockBytes;
  decodeRow(f, e.blocks, t * rowBytes, e.dim, scratch, true);
  const ng = e.dim / f.G;
  for (let g = 0; g < ng; g++) {
    const s = e.S[t * ng + g];
    const m = e.Mx ? e.Mx[t * ng + g] : 0;
    for (let j = 0; j < f.G; j++) out[at + g * f.G + j] = s * (scratch.codes[g * f.G + j] - f.off) - m;
  }
  return e.e[t];
}

export function newEmbeddingScratch(e: BlockEmbedding): DecodedRow {
  return newDecodedRow(e.format, e.dim);
}

export interface IntegerLayerWeights {
  readonly attnNorm: NormGamma;
  readonly wq: LinearWeights;
  readonly wk: LinearWeights;
  readonly wv: LinearWeights;
  readonly wo: LinearWeights;
  readonly ffnNorm: NormGamma;
  readonly wGate: LinearWeights;
  readonly wUp: LinearWeights;
  readonly wDown: LinearWeights;
}

/** What IntegerLlama plans: the quantized model of the per-channel modes, or a native model. */
export interface IntegerWeights {
  readonly config: LlamaConfig;
  readonly embedding: QuantizedEmbedding | BlockEmbedding;
  readonly layers: IntegerLayerWeights[];
  readonly finalNorm: NormGamma;
  readonly output: LinearWeights;
  readonly eps: { m: number; k: number };
  readonly activationBits: number;
}

/** What a memory plan needs of a linear layer: its shape and bits, or its block type. */
export type LinearShape = { readonly rows: number; readonly cols: number; readonly bits: number } | { readonly rows: number; readonly cols: number; readonly type: number };

/** What a memory plan needs of a model (integerModelBytes). */
export interface WeightShapes {
  readonly config: LlamaConfig;
  readonly layers: readonly Record<'wq' | 'wk' | 'wv' | 'wo' | 'wGate' | 'wUp' | 'wDown', LinearShape>[];
  readonly output: LinearShape;
}

/** The shapes mode native will plan, from the header alone (nothing read or decoded): for `info` and memory checks. */
export function nativeWeightsPlan(config: LlamaConfig, src: { tensors: ReadonlyMap<string, GgufTensorInfo> }): WeightShapes {
  const shape = (name: string, rows: number, cols: number): LinearShape => {
    const t = src.tensors.get(name);
    return t && groupwiseFormat(t.type) ? { rows, cols, type: t.type } : { rows, cols, bits: 8 };
  };
  const { dim, hiddenDim, nHeads, nKvHeads, headDim, vocabSize } = config;
  const q = nHeads * headDim;
  const kv = nKvHeads * headDim;
  const layers = Array.from({ length: config.nLayers }, (_, l) => {
    const b = `blk.${l}.`;
    return {
      wq: shape(b + 'attn_q.weight', q, dim), wk: shape(b + 'attn_k.weight', kv, dim), wv: shape(b + 'attn_v.weight', kv, dim),
      wo: shape(b + 'attn_output.weight', dim, q), wGate: shape(b + 'ffn_gate.weight', hiddenDim, dim),
      wUp: shape(b + 'ffn_up.weight', hiddenDim, dim), wDown: shape(b + 'ffn_down.weight', dim, hiddenDim),
    };
  });
  return { config, layers, output: shape(config.tiedEmbeddings ? 'token_embd.weight' : 'output.weight', vocabSize, dim) };
}

/** The kernel a stored tensor type runs on in mode native (for `info`). */
export function nativeKernel(type: number): string {
  const f = groupwiseFormat(type);
  return f ? groupwiseKernel(f) : kernelFor(8);
}
