// Calibration for the quantizer (offline, float): run the float reference over token sequences and
// collect, for the input of every linear layer, the Hessian H = sum x x^T that GPTQ needs. Without user
// text the sequences are sampled from the float model itself (data-free calibration, as LLM-QAT does),
// so no evaluation text ever leaks into the quantized model.
import type { LlamaConfig } from '../model/config.js';
import type { LlamaWeights } from '../model/weights.js';
import { FloatLlama, type ActivationSite } from '../model/float-llama.js';
import { Sampler } from '../sampling/sampler.js';

/** Per layer, the Hessians of the four linear inputs: [K, K] float64 each. */
export type LayerHessians = Record<ActivationSite, Float64Array>;

export interface CalibrationOptions {
  /** Token sequences to run (each starts a fresh context at position 0). */
  sequences: number[][];
}

export function collectHessians(config: LlamaConfig, weights: LlamaWeights, o: CalibrationOptions): LayerHessians[] {
  const qDim = config.nHeads * config.headDim;
  const width: Record<ActivationSite, number> = { attn_in: config.dim, attn_out: qDim, ffn_in: config.dim, ffn_mid: config.hiddenDim };
  const hessians: LayerHessians[] = Array.from({ length: config.nLayers }, () => ({
    attn_in: new Float64Array(width.attn_in ** 2),
    attn_out: new Float64Array(width.attn_out ** 2),
    ffn_in: new Float64Array(width.ffn_in ** 2),
    ffn_mid: new Float64Array(width.ffn_mid ** 2),
  }));
  const maxLen = Math.max(1, ...o.sequences.map((s) => s.length));
  const model = new FloatLlama(config, weights, {
    maxPositions: Math.min(maxLen, config.contextLength),
    observer: (site, layer, x) => {
      const h = hessians[layer][site];
      const n = x.length;
      for (let i = 0; i < n; i++) {
        const xi = x[i];
        if (xi === 0) continue;
        const row = i * n;
        for (let j = 0; j <= i; j++) h[row + j] += xi * x[j];
      }
    },
  });
  for (const seq of o.sequences) model.prefill(seq.slice(0, model.maxPositions), 0);
  for (const layer of hessians) {
    for (const h of Object.values(layer)) {
      const n = Math.round(Math.sqrt(h.length));
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) h[j * n + i] = h[i * n + j];
    }
  }
  return hessians;
}

/** Sequences sampled from the float model (temperature 1, seeded), each starting with BOS. */
export function sampleCalibrationSequences(
  config: LlamaConfig, weights: LlamaWeights, { count = 16, length = 256, seed = 1234, bos = 1 } = {},
): number[][] {
  const len = Math.min(length, config.contextLength);
  const model = new FloatLlama(config, weights, { maxPositions: len });
  const sampler = new Sampler(config.vocabSize, { temperature: 1, topP: 1, seed });
  const out: number[][] = [];
  for (let s = 0; s < count; s++) {
    const seq = [bos];
    for (let pos = 0; seq.length < len; pos++) seq.push(sampler.sample(model.forward(seq[pos], pos), 1));
    out.push(seq);
  }
  return out;
}
