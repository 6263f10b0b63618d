// Synthetic LLaMA models of any shape with seeded random weights, for tests and benchmarks (speed does
// not depend on the values; the bench's stories15M- and SmolLM-shaped models come from here).
import type { LlamaConfig } from './config.js';
import type { LlamaWeights } from './weights.js';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). The one source of seeded data in tests and benches. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Box-Muller normal from mulberry32. */
function normalSource(seed: number): (std: number) => number {
  const uniform = mulberry32(seed);
  return (std) => Math.sqrt(-2 * Math.log(uniform() + 2 ** -33)) * Math.cos(2 * Math.PI * uniform()) * std;
}

/** A config with LLaMA defaults for everything not given. */
export function llamaConfig(c: Partial<LlamaConfig> & Pick<LlamaConfig, 'dim' | 'hiddenDim' | 'nLayers' | 'nHeads' | 'vocabSize'>): LlamaConfig {
  const headDim = c.headDim ?? c.dim / c.nHeads;
  return {
    architecture: 'llama', nKvHeads: c.nHeads, headDim, contextLength: 512, ropeTheta: 10000, ropeLayout: 'adjacent',
    ropeDim: headDim, rmsEps: 1e-5, tiedEmbeddings: false, qkvBias: false, ...c,
  };
}

/**
 * Seeded random weights: embeddings N(0, 1), linear layers N(0, 1/sqrt(fan_in)) (so activations keep
 * their scale through the layers, as in a trained model), norms 1 + N(0, 0.1).
 */
export function randomLlamaWeights(config: LlamaConfig, seed = 1): LlamaWeights {
  const normal = normalSource(seed);
  const gauss = (n: number, std: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = normal(std);
    return out;
  };
  const gain = (n: number) => Float32Array.from(gauss(n, 0.1), (v) => 1 + v);
  const { dim, hiddenDim, nHeads, nKvHeads, headDim, vocabSize } = config;
  const q = nHeads * headDim;
  const kv = nKvHeads * headDim;
  const tokenEmbedding = gauss(vocabSize * dim, 1);
  return {
    tokenEmbedding,
    layers: Array.from({ length: config.nLayers }, () => ({
      attnNorm: gain(dim),
      wq: gauss(q * dim, dim ** -0.5),
      wk: gauss(kv * dim, dim ** -0.5),
      wv: gauss(kv * dim, dim ** -0.5),
      wo: gauss(dim * q, q ** -0.5),
      ffnNorm: gain(dim),
      wGate: gauss(hiddenDim * dim, dim ** -0.5),
      wDown: gauss(dim * hiddenDim, hiddenDim ** -0.5),
      wUp: gauss(hiddenDim * dim, dim ** -0.5),
    })),
    finalNorm: gain(dim),
    output: config.tiedEmbeddings ? tokenEmbedding : gauss(vocabSize * dim, dim ** -0.5),
  };
}
