// Activation-aware smoothing of a whole LLaMA model (bindings/offline/smooth.ts per layer group), as an
// exact float rewrite: norm -> {q, k, v} and norm -> {gate, up} fold 1/s into the norm's gamma; the
// linear -> linear pairs v -> o and up -> down divide the producer's rows. Returns the rewritten float
// weights and the calibration Hessians of the rewritten inputs, for whatever quantizer runs next (the
// integer model's per-channel one, or the llama.cpp block types' GPTQ). Offline, float64 searches.
import type { LlamaConfig } from '../model/config.js';
import type { LayerWeights, LlamaWeights } from '../model/weights.js';
import type { LayerHessians } from './calibrate.js';
import { type RoundTrip, divideRows, scaleColumns, scaleHessian, searchSmoothing } from './smooth.js';

export interface SmoothedModel {
  readonly weights: LlamaWeights;
  readonly hessians: LayerHessians[];
}

/**
 * `roundTripOf(name)` is the quantizer the search scores a tensor against (blk.N.attn_q, ...: tensors may
 * go to different types); in a norm -> linears group the group's first tensor decides for all of it.
 */
export function smoothLlama(
  config: LlamaConfig, w: LlamaWeights, hessians: LayerHessians[], roundTripOf: (name: string) => RoundTrip,
): SmoothedModel {
  const { dim, hiddenDim, nHeads, nKvHeads, headDim } = config;
  const q = nHeads * headDim;
  const kv = nKvHeads * headDim;
  const outLayers: LayerWeights[] = [];
  const outHessians: LayerHessians[] = [];
  w.layers.forEach((l, i) => {
    const h = hessians[i];
    const b = `blk.${i}.`;
    // One norm -> linears group: gamma / s, W[:, j] * s_j, H / (s s^T).
    const smoothGroup = (gamma: Float32Array, mats: Float32Array[], rows: number[], hess: Float64Array, name: string) => {
      const { s } = searchSmoothing(mats.map((m, j) => ({ w: m, rows: rows[j] })), dim, hess, roundTripOf(name));
      return {
        gamma: Float32Array.from(gamma, (g, j) => g / s[j]),
        mats: mats.map((m, j) => scaleColumns(m, rows[j], dim, s)),
        hess: scaleHessian(hess, dim, s),
      };
    };
    const attn = smoothGroup(l.attnNorm, [l.wq, l.wk, l.wv], [q, kv, kv], h.attn_in, b + 'attn_q');
    const ffn = smoothGroup(l.ffnNorm, [l.wGate, l.wUp], [hiddenDim, hiddenDim], h.ffn_in, b + 'ffn_gate');
    // v -> o: a V channel feeds the o columns of every query head in its group (tied factors); up -> down
    // (SwiGLU is linear in up). Dividing the producer's rows leaves its per-row quantization unchanged;
    // only the consumer's columns are searched.
    const group = nHeads / nKvHeads;
    const tie = Int32Array.from({ length: q }, (_, j) => Math.floor(j / headDim / group) * headDim + (j % headDim));
    const so = searchSmoothing([{ w: l.wo, rows: dim }], q, h.attn_out, roundTripOf(b + 'attn_output'), 'mse', tie).s;
    const wv = divideRows(attn.mats[2], kv, dim, Float64Array.from({ length: kv }, (_, r) => so[Math.floor(r / headDim) * group * headDim + (r % headDim)]));
    const wo = scaleColumns(l.wo, dim, q, so);
    const sd = searchSmoothing([{ w: l.wDown, rows: dim }], hiddenDim, h.ffn_mid, roundTripOf(b + 'ffn_down')).s;
    const wUp = divideRows(ffn.mats[1], hiddenDim, dim, sd);
    const wDown = scaleColumns(l.wDown, dim, hiddenDim, sd);
    outLayers.push({
      ...l,
      attnNorm: attn.gamma, wq: attn.mats[0], wk: attn.mats[1], wv, wo,
      ffnNorm: ffn.gamma, wGate: ffn.mats[0], wUp, wDown,
    });
    outHessians.push({ attn_in: attn.hess, attn_out: scaleHessian(h.attn_out, q, so), ffn_in: ffn.hess, ffn_mid: scaleHessian(h.ffn_mid, hiddenDim, sd) });
  });
  return { weights: { ...w, layers: outLayers }, hessians: outHessians };
}
