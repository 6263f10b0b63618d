// Float32 weights of a LLaMA-family model in one layout every loader produces: matrices row-major
// [out][in] (llama2.c and GGUF order), so y = W x reads one contiguous row per output.
import { ModelFormatError } from '../formats/errors.js';
import type { LlamaConfig } from './config.js';

export interface LayerWeights {
  readonly attnNorm: Float32Array; // [dim]
  readonly wq: Float32Array; // [nHeads*headDim, dim]
  readonly wk: Float32Array; // [nKvHeads*headDim, dim]
  readonly wv: Float32Array; // [nKvHeads*headDim, dim]
  readonly bq?: Float32Array; // [nHeads*headDim] (Qwen2)
  readonly bk?: Float32Array; // [nKvHeads*headDim]
  readonly bv?: Float32Array; // [nKvHeads*headDim]
  readonly wo: Float32Array; // [dim, nHeads*headDim]
  readonly ffnNorm: Float32Array; // [dim]
  readonly wGate: Float32Array; // [hiddenDim, dim]  (llama2.c w1)
  readonly wDown: Float32Array; // [dim, hiddenDim]  (llama2.c w2)
  readonly wUp: Float32Array; // [hiddenDim, dim]    (llama2.c w3)
}

export interface LlamaWeights {
  readonly tokenEmbedding: Float32Array; // [vocabSize, dim]
  readonly layers: LayerWeights[];
  readonly finalNorm: Float32Array; // [dim]
  /** The same array as tokenEmbedding when the config says the embeddings are tied. */
  readonly output: Float32Array; // [vocabSize, dim]
}

/** Checks every tensor's length against the config; names the first tensor that does not fit. */
export function validateWeights(c: LlamaConfig, w: LlamaWeights, file: string): void {
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  const expect = (name: string, a: Float32Array | undefined, shape: number[]) => {
    const n = shape.reduce((x, y) => x * y, 1);
    if (!a) throw new ModelFormatError(file, `missing tensor ${name}`);
    if (a.length !== n) throw new ModelFormatError(file, `tensor ${name} has ${a.length} elements, expected [${shape.join(', ')}] = ${n}`);
  };
  expect('token embedding', w.tokenEmbedding, [c.vocabSize, c.dim]);
  expect('output', w.output, [c.vocabSize, c.dim]);
  expect('final norm', w.finalNorm, [c.dim]);
  if (w.layers.length !== c.nLayers) throw new ModelFormatError(file, `${w.layers.length} layers of weights, config says ${c.nLayers}`);
  w.layers.forEach((l, i) => {
    expect(`layer ${i} attention norm`, l.attnNorm, [c.dim]);
    expect(`layer ${i} wq`, l.wq, [q, c.dim]);
    expect(`layer ${i} wk`, l.wk, [kv, c.dim]);
    expect(`layer ${i} wv`, l.wv, [kv, c.dim]);
    expect(`layer ${i} wo`, l.wo, [c.dim, q]);
    if (c.qkvBias) {
      expect(`layer ${i} bq`, l.bq, [q]);
      expect(`layer ${i} bk`, l.bk, [kv]);
      expect(`layer ${i} bv`, l.bv, [kv]);
    }
    expect(`layer ${i} ffn norm`, l.ffnNorm, [c.dim]);
    expect(`layer ${i} gate`, l.wGate, [c.hiddenDim, c.dim]);
    expect(`layer ${i} down`, l.wDown, [c.dim, c.hiddenDim]);
    expect(`layer ${i} up`, l.wUp, [c.hiddenDim, c.dim]);
  });
}
