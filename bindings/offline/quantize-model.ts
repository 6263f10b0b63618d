// Offline quantization of a float LLaMA model into the integer model's weights (float allowed here; the
// forward pass that uses the result is integer-only). Every linear layer becomes symmetric per-output-
// channel integers (bindings/offline/quantize-weights.ts); norms keep gamma as int16 mantissas applied inside
// DI-Norm; the token embedding becomes int16 rows with a per-row dyadic scale, which seeds the int32
// residual stream with 15 significant bits.
import type { LlamaConfig } from '../model/config.js';
import { InvalidInputError } from '../formats/errors.js';
import type { LlamaWeights } from '../model/weights.js';
import { quantizeMatrix, type ClipMethod } from './quantize-weights.js';
import { type QuantizedMatrix, type WeightBits } from '../common/weights.js';
import { quantizeGamma } from './channel-factors.js';
import type { QuantizedEmbedding, QuantizedLlama } from '../model/integer/quantized-llama.js';
import { toDyadic } from '../common/to-dyadic.js';
import { gptqQuantize } from './gptq.js';
import { perChannelRoundTrip } from './smooth.js';
import { smoothLlama } from './smooth-model.js';
import { pruneBlocks } from './prune.js';
import type { LayerHessians } from './calibrate.js';

export interface QuantizeOptions {
  /** Weight bits of the transformer's linear layers. */
  bits: WeightBits;
  /** Bits of the linear layers' input activations (default 8). */
  activationBits?: number;
  /** Bits of the LM head (default 8: the head decides the tokens, and it is one matrix). */
  headBits?: WeightBits;
  clip?: ClipMethod;
  /** Hessians of every linear input from calibration (collectHessians): GPTQ instead of round-to-nearest. */
  hessians?: LayerHessians[];
  /**
   * With hessians: activation-aware smoothing of the norm -> {q, k, v} and norm -> {gate, up} inputs
   * (bindings/offline/smooth.ts), folded into the norms' gamma.
   */
  smooth?: boolean;
  /** Fraction of weight blocks of every transformer linear layer to prune (0 = dense), 8 and 4 bits only. */
  sparsity?: number;
  /** Block shape of the pruned layers (default '4x16'). */
  sparseBlock?: '1x16' | '4x16';
}

export function quantizeEmbedding(e: Float32Array, vocab: number, dim: number): QuantizedEmbedding {
  const values = new Int16Array(vocab * dim); // [vocab, dim]
  const m = new Int32Array(vocab);
  const k = new Int32Array(vocab);
  for (let t = 0; t < vocab; t++) {
    let absmax = 0;
    for (let c = 0; c < dim; c++) absmax = Math.max(absmax, Math.abs(e[t * dim + c]));
    const d = toDyadic(absmax > 0 ? absmax / 32767 : 1, 16);
    m[t] = d.m;
    k[t] = d.k;
    const step = d.m / 2 ** d.k;
    for (let c = 0; c < dim; c++) values[t * dim + c] = Math.max(-32767, Math.min(32767, Math.round(e[t * dim + c] / step)));
  }
  return { values, m, k };
}

export function quantizeLlama(config: LlamaConfig, w: LlamaWeights, o: QuantizeOptions): QuantizedLlama {
  const aBits = o.activationBits ?? 8;
  if (!Number.isInteger(aBits) || aBits < 2 || aBits > 8) throw new RangeError(`dyadic quantize: activation bits must be 2..8, got ${aBits}`);
  if (config.qkvBias) throw new InvalidInputError('Q/K/V biases (Qwen2) are not supported by the integer model yet; run it with --mode float32');
  const { dim, hiddenDim, nHeads, nKvHeads, headDim, vocabSize } = config;
  const q = nHeads * headDim;
  const kv = nKvHeads * headDim;
  const clip = o.clip ?? 'absmax';
  if (o.hessians && o.hessians.length !== config.nLayers) {
    throw new RangeError(`dyadic quantize: ${o.hessians.length} layers of calibration Hessians for ${config.nLayers} layers`);
  }
  const sparsity = o.sparsity ?? 0;
  if (!(sparsity >= 0 && sparsity < 1)) throw new RangeError(`dyadic quantize: sparsity must be in [0, 1), got ${sparsity}`);
  if (sparsity > 0 && o.bits !== 8 && o.bits !== 4) throw new RangeError(`dyadic quantize: block-sparse layers are 8- or 4-bit, not ${o.bits}-bit`);
  const dense = (x: Float32Array, rows: number, cols: number, name: string, h?: Float64Array, bits = o.bits) =>
    h ? gptqQuantize(x, rows, cols, bits, h, clip, name) : quantizeMatrix(x, rows, cols, bits, clip, name);
  // Transformer layers may be block-pruned (by block magnitude, over the whole matrix); the head stays dense.
  const lin = (x: Float32Array, rows: number, cols: number, name: string, h?: Float64Array): QuantizedMatrix => {
    const q = dense(x, rows, cols, name, h);
    if (sparsity === 0) return q;
    const block = o.sparseBlock ?? '4x16';
    return { ...pruneBlocks(q, { block, sparsity, scope: 'global', name }), sparseBlock: block };
  };
  // Smoothing rewrites the float weights and the Hessians first (bindings/offline/smooth-model.ts).
  const smoothed = o.smooth && o.hessians ? smoothLlama(config, w, o.hessians, () => perChannelRoundTrip(o.bits, clip)) : undefined;
  const hessians = smoothed?.hessians ?? o.hessians;
  const layers = (smoothed?.weights ?? w).layers.map((l, i) => {
    const h = hessians?.[i];
    return {
      attnNorm: quantizeGamma(l.attnNorm),
      wq: lin(l.wq, q, dim, `blk.${i}.attn_q`, h?.attn_in),
      wk: lin(l.wk, kv, dim, `blk.${i}.attn_k`, h?.attn_in),
      wv: lin(l.wv, kv, dim, `blk.${i}.attn_v`, h?.attn_in),
      wo: lin(l.wo, dim, q, `blk.${i}.attn_output`, h?.attn_out),
      ffnNorm: quantizeGamma(l.ffnNorm),
      wGate: lin(l.wGate, hiddenDim, dim, `blk.${i}.ffn_gate`, h?.ffn_in),
      wUp: lin(l.wUp, hiddenDim, dim, `blk.${i}.ffn_up`, h?.ffn_in),
      wDown: lin(l.wDown, dim, hiddenDim, `blk.${i}.ffn_down`, h?.ffn_mid),
    };
  });
  return {
    config,
    embedding: quantizeEmbedding(w.tokenEmbedding, vocabSize, dim),
    layers,
    finalNorm: quantizeGamma(w.finalNorm),
    output: dense(w.output, vocabSize, dim, 'output', undefined, o.headBits ?? 8),
    eps: toDyadic(Math.max(config.rmsEps, 1e-12), 16),
    activationBits: o.activationBits ?? 8,
  };
}
