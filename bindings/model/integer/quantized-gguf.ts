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
import { ggufNumber, ggufString, type GgufFile } from '../../formats/gguf.js';
import { ModelFormatError } from '../../formats/errors.js';
import type { LlamaConfig } from '../config.js';
import type { QuantizedLlama, QuantizedLayer } from './quantized-llama.js';
import type { QuantizedMatrix, WeightBits } from '../../common/weights.js';
import type { NormGamma } from '../../ops/norm.js';

export const DYADIC_FORMAT_VERSION = 1;

/** The layer matrices and their tensor names in the file (the writer in bindings/offline/ uses the same). */
export const LAYER_MATRICES: [keyof QuantizedLayer, string][] = [
  ['wq', 'attn_q'], ['wk', 'attn_k'], ['wv', 'attn_v'], ['wo', 'attn_output'], ['wGate', 'ffn_gate'], ['wUp', 'ffn_up'], ['wDown', 'ffn_down'],
];

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
