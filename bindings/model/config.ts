// The hyper-parameters of a LLaMA-family model, whatever file they came from, and the checks that
// keep a lying header from turning into absurd allocations later.
import { ModelFormatError } from '../formats/errors.js';

/** How RoPE pairs the dimensions of a head. */
export type RopeLayout =
  /** (x[2i], x[2i+1]): llama2.c, llama.cpp "normal" (GGUF llama after its Q/K permutation). */
  | 'adjacent'
  /** (x[i], x[i + d/2]): Hugging Face LLaMA/Qwen2 checkpoints, llama.cpp "neox". */
  | 'half';

export interface LlamaConfig {
  readonly architecture: string;
  /** Residual stream width. */
  readonly dim: number;
  /** SwiGLU inner width. */
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  /** Heads of K and V (GQA: nHeads is a multiple of it). */
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  /** Longest sequence the file declares (positions 0..contextLength-1). */
  readonly contextLength: number;
  readonly ropeTheta: number;
  readonly ropeLayout: RopeLayout;
  /** Leading dimensions of each head that RoPE rotates (usually headDim). */
  readonly ropeDim: number;
  readonly rmsEps: number;
  /** Output projection shares the token embedding. */
  readonly tiedEmbeddings: boolean;
  /** Q, K and V projections have biases (Qwen2). */
  readonly qkvBias: boolean;
}

// Generous ceilings: far above any model dyadic can run in a wasm memory, far below values that would
// make a typed-array allocation throw or hang.
const LIMITS = { dim: 1 << 16, hiddenDim: 1 << 18, nLayers: 1024, nHeads: 1024, headDim: 1024, vocabSize: 1 << 22, contextLength: 1 << 24 };

/** Throws a ModelFormatError naming the first value that is not a sane positive integer or is inconsistent. */
export function validateConfig(c: LlamaConfig, file: string): LlamaConfig {
  const check = (name: keyof typeof LIMITS) => {
    const v = c[name];
    if (!Number.isInteger(v) || v < 1 || v > LIMITS[name]) throw new ModelFormatError(file, `${name} = ${v} is not an integer in 1..${LIMITS[name]}`);
  };
  (Object.keys(LIMITS) as (keyof typeof LIMITS)[]).forEach(check);
  if (!Number.isInteger(c.nKvHeads) || c.nKvHeads < 1 || c.nHeads % c.nKvHeads !== 0) {
    throw new ModelFormatError(file, `nKvHeads = ${c.nKvHeads} must divide nHeads = ${c.nHeads}`);
  }
  if (c.headDim % 2 !== 0) throw new ModelFormatError(file, `headDim = ${c.headDim} must be even for RoPE`);
  if (!Number.isInteger(c.ropeDim) || c.ropeDim < 2 || c.ropeDim > c.headDim || c.ropeDim % 2 !== 0) {
    throw new ModelFormatError(file, `ropeDim = ${c.ropeDim} must be even and in 2..headDim (${c.headDim})`);
  }
  if (!(c.ropeTheta > 0) || !Number.isFinite(c.ropeTheta)) throw new ModelFormatError(file, `ropeTheta = ${c.ropeTheta} must be positive`);
  if (!(c.rmsEps >= 0) || !(c.rmsEps < 1)) throw new ModelFormatError(file, `rmsEps = ${c.rmsEps} must be in [0, 1)`);
  return c;
}

/** Number of weights (parameters) the config implies. */
export function parameterCount(c: LlamaConfig): number {
  const q = c.nHeads * c.headDim;
  const kv = c.nKvHeads * c.headDim;
  const perLayer = 2 * c.dim + c.dim * (q + 2 * kv) + q * c.dim + 3 * c.dim * c.hiddenDim + (c.qkvBias ? q + 2 * kv : 0);
  return c.vocabSize * c.dim * (c.tiedEmbeddings ? 1 : 2) + c.nLayers * perLayer + c.dim;
}

/** Bytes of a float32 KV cache holding `positions` positions. */
export function kvCacheBytes(c: LlamaConfig, positions: number): number {
  return 2 * c.nLayers * positions * c.nKvHeads * c.headDim * 4;
}
