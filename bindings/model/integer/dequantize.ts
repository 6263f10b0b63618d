// Float weights recovered from integer ones (q * scale), for the float path and `info` on a quantized file:
// done once at load, never on the integer forward path.
import type { QuantizedMatrix } from '../../common/weights.js';
import type { LlamaWeights } from '../weights.js';
import type { NormGamma } from '../../ops/norm.js';
import type { QuantizedLlama } from './quantized-llama.js';

export function dequantizeMatrix(q: QuantizedMatrix): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  for (let n = 0; n < q.rows; n++) {
    const s = q.scales[n];
    for (let k = 0; k < q.cols; k++) out[n * q.cols + k] = s * q.values[n * q.cols + k];
  }
  return out;
}

/** Float weights recovered from a quantized model (for the float path and `info` on a quantized file). */
export function dequantizeLlama(q: QuantizedLlama): LlamaWeights {
  const gamma = (g: NormGamma) => Float32Array.from(g.g, (v) => v / 2 ** g.k);
  const e = q.embedding;
  const dim = q.config.dim;
  const tokenEmbedding = new Float32Array(e.values.length); // [vocab, dim]
  for (let t = 0; t < e.m.length; t++) {
    const s = e.m[t] / 2 ** e.k[t];
    for (let j = 0; j < dim; j++) tokenEmbedding[t * dim + j] = e.values[t * dim + j] * s;
  }
  return {
    tokenEmbedding,
    layers: q.layers.map((l) => ({
      attnNorm: gamma(l.attnNorm), wq: dequantizeMatrix(l.wq), wk: dequantizeMatrix(l.wk), wv: dequantizeMatrix(l.wv),
      wo: dequantizeMatrix(l.wo), ffnNorm: gamma(l.ffnNorm), wGate: dequantizeMatrix(l.wGate), wDown: dequantizeMatrix(l.wDown),
      wUp: dequantizeMatrix(l.wUp),
    })),
    finalNorm: gamma(q.finalNorm),
    output: dequantizeMatrix(q.output),
  };
}
