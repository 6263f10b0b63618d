// The integer model's weights as the forward pass reads them (produced offline by
// bindings/offline/quantize-model.ts or read from a quantized file by ./quantized-gguf.ts): the modes,
// the quantized layers, and the per-matrix scales the packers derive (which the scalar reference
// ./integer-llama.ref.ts takes to run the same integers).
import type { LlamaConfig } from '../config.js';
import type { QuantizedMatrix, WeightBits } from '../../common/weights.js';
import type { NormGamma } from '../../ops/norm.js';

/**
 * Integer modes: weight bits of the linear layers and bits of their input activations (stored as int8;
 * below 8 bits a row takes at most 2^bits levels, assembly/ops/levels.ts).
 */
export const INTEGER_MODES = {
  w8a8: { weightBits: 8, activationBits: 8 },
  w7a8: { weightBits: 7, activationBits: 8 },
  w6a8: { weightBits: 6, activationBits: 8 },
  w6a6: { weightBits: 6, activationBits: 6 },
  w4a8: { weightBits: 4, activationBits: 8 },
  w4a4: { weightBits: 4, activationBits: 4 },
} as const satisfies Record<string, { weightBits: WeightBits; activationBits: number }>;
export type IntegerMode = keyof typeof INTEGER_MODES;

export interface QuantizedLayer {
  readonly attnNorm: NormGamma; // [dim]
  readonly wq: QuantizedMatrix; // [nHeads*headDim, dim]
  readonly wk: QuantizedMatrix; // [nKvHeads*headDim, dim]
  readonly wv: QuantizedMatrix; // [nKvHeads*headDim, dim]
  readonly wo: QuantizedMatrix; // [dim, nHeads*headDim]
  readonly ffnNorm: NormGamma; // [dim]
  readonly wGate: QuantizedMatrix; // [hiddenDim, dim]
  readonly wUp: QuantizedMatrix; // [hiddenDim, dim]
  readonly wDown: QuantizedMatrix; // [dim, hiddenDim]
}

export interface QuantizedEmbedding {
  readonly values: Int16Array; // [vocabSize, dim]
  readonly m: Int32Array; // [vocabSize] per-row dyadic mantissa
  readonly k: Int32Array; // [vocabSize] per-row exponent
}

export interface QuantizedLlama {
  readonly config: LlamaConfig;
  readonly embedding: QuantizedEmbedding;
  readonly layers: QuantizedLayer[];
  readonly finalNorm: NormGamma; // [dim]
  readonly output: QuantizedMatrix; // [vocabSize, dim]
  /** RMSNorm eps as a dyadic. */
  readonly eps: { m: number; k: number };
  /** Bits of the linear layers' input activations (8, or fewer levels per row). */
  readonly activationBits: number;
}

/** What the reference needs of each packed matrix: its per-channel mantissas, exponent and stage-1 shift. */
export interface MatrixScales {
  mant: Int32Array;
  k: number;
  shift: number;
}

export interface ReferenceScales {
  layers: { wq: MatrixScales; wk: MatrixScales; wv: MatrixScales; wo: MatrixScales; wGate: MatrixScales; wUp: MatrixScales; wDown: MatrixScales }[];
  output: MatrixScales;
}
