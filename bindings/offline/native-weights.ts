// Mode native's weights from a llama.cpp GGUF, built once at load: block-type matrices stay references into
// the file (packed for the group-wise kernels when planned), F16/F32 matrices and norms are quantized here
// (8 bits per channel, int16 gamma): the float work of loading a native model (the types and integer
// helpers it produces are in bindings/model/integer/native-model.ts).
import type { LlamaConfig } from '../model/config.js';
import { ModelFormatError } from '../formats/errors.js';
import type { GgufTensorInfo } from '../formats/gguf.js';
import { decodeTensor, tensorTypeName } from '../formats/tensor-types.js';
import { quantizeMatrix } from './quantize-weights.js';
import { quantizeGamma } from './channel-factors.js';
import { toDyadic } from '../common/to-dyadic.js';
import { decodeRow, groupwiseFormat, integerRow, newDecodedRow } from '../gemm/groupwise-blocks.js';
import { quantizeEmbedding } from './quantize-model.js';
import type { QuantizedEmbedding } from '../model/integer/quantized-llama.js';
import type { BlockEmbedding, IntegerLayerWeights, IntegerWeights, LinearWeights, TensorReader } from '../model/integer/native-model.js';

function floatTensor(src: TensorReader, t: GgufTensorInfo): Float32Array {
  return decodeTensor(t.type, src.read(t.name), t.elements);
}

/** Builds the native model's weights: block matrices stay references into the file until packed. */
export function nativeWeights(config: LlamaConfig, src: TensorReader): IntegerWeights {
  if (config.qkvBias) throw new ModelFormatError(src.file, 'Q/K/V biases (Qwen2) are not supported by the integer model yet');
  const info = (name: string): GgufTensorInfo => {
    const t = src.tensors.get(name);
    if (!t) throw new ModelFormatError(src.file, `missing tensor "${name}"`);
    return t;
  };
  const linear = (name: string, rows: number, cols: number): LinearWeights => {
    const t = info(name);
    if (t.dims.length !== 2 || t.dims[0] !== cols || t.dims[1] !== rows) {
      throw new ModelFormatError(src.file, `tensor "${name}" has shape [${t.dims.join(', ')}], expected [${cols}, ${rows}]`);
    }
    if (groupwiseFormat(t.type)) return { rows, cols, type: t.type, name, read: (offset, length) => src.readRange(name, offset, length) };
    if (!['F32', 'F16', 'BF16'].includes(tensorTypeName(t.type))) {
      throw new ModelFormatError(src.file, `tensor "${name}" is ${tensorTypeName(t.type)}, which mode native cannot run`);
    }
    return quantizeMatrix(floatTensor(src, t), rows, cols, 8, 'absmax', name);
  };
  const gamma = (name: string) => quantizeGamma(floatTensor(src, info(name)));
  const { dim, hiddenDim, nHeads, nKvHeads, headDim, vocabSize } = config;
  const q = nHeads * headDim;
  const kv = nKvHeads * headDim;
  const layers: IntegerLayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const b = `blk.${l}.`;
    layers.push({
      attnNorm: gamma(b + 'attn_norm.weight'),
      wq: linear(b + 'attn_q.weight', q, dim),
      wk: linear(b + 'attn_k.weight', kv, dim),
      wv: linear(b + 'attn_v.weight', kv, dim),
      wo: linear(b + 'attn_output.weight', dim, q),
      ffnNorm: gamma(b + 'ffn_norm.weight'),
      wGate: linear(b + 'ffn_gate.weight', hiddenDim, dim),
      wUp: linear(b + 'ffn_up.weight', hiddenDim, dim),
      wDown: linear(b + 'ffn_down.weight', dim, hiddenDim),
    });
  }
  const embd = info('token_embd.weight');
  const f = groupwiseFormat(embd.type);
  let embedding: QuantizedEmbedding | BlockEmbedding;
  if (f) {
    const blocks = new Uint8Array(src.read('token_embd.weight')); // a copy (a Node Buffer's slice() is a view), kept: the table stays quantized
    const ng = dim / f.G;
    const S = new Int16Array(vocabSize * ng);
    const Mx = f.hasMin ? new Int32Array(vocabSize * ng) : undefined;
    const e = new Int32Array(vocabSize);
    const row = newDecodedRow(f, dim);
    const s = new Int32Array(ng);
    const m = new Int32Array(ng);
    const rowBytes = (dim / f.blockSize) * f.blockBytes;
    for (let t = 0; t < vocabSize; t++) {
      decodeRow(f, blocks, t * rowBytes, dim, row, false, true);
      e[t] = integerRow(row.sd, row.sm, s, m);
      S.set(s, t * ng);
      Mx?.set(m, t * ng);
    }
    embedding = { format: f, rows: vocabSize, dim, blocks, S, Mx, e };
  } else {
    embedding = quantizeEmbedding(floatTensor(src, embd), vocabSize, dim);
  }
  return {
    config,
    embedding,
    layers,
    finalNorm: gamma('output_norm.weight'),
    output: linear(config.tiedEmbeddings ? 'token_embd.weight' : 'output.weight', vocabSize, dim),
    eps: toDyadic(Math.max(config.rmsEps, 1e-12), 16),
    activationBits: 8,
  };
}
