// Bits per tensor under a size budget (`dyadic quantize --target-bpw X`): each matrix's sensitivity is
// measured as the change of the model's mean NLL on calibration sequences when that matrix alone is
// quantized at a width (every other weight float), then widths are chosen greedily to fit the budget
// with the least predicted loss (the sum of the chosen widths' measured changes). Offline, float.
import type { LlamaConfig } from '../model/config.js';
import type { LlamaWeights } from '../model/weights.js';
import { FloatLlama } from '../model/float-llama.js';
import { negativeLogLikelihood } from '../model/evaluate.js';
import { type BlockCodec } from './ggml-blocks.js';
import { encodeMatrix, modelTensor } from './llamacpp-gguf.js';

export interface MatrixInfo {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
}

/** Mean NLL of next-token prediction over `sequences` (each from position 0) with the float forward. */
export function sequencesNll(config: LlamaConfig, weights: LlamaWeights, sequences: number[][]): number {
  const maxLen = Math.max(2, ...sequences.map((s) => s.length));
  const model = new FloatLlama(config, weights, { maxPositions: Math.min(maxLen, config.contextLength) });
  let sum = 0;
  let count = 0;
  for (const seq of sequences) {
    const n = Math.min(seq.length, model.maxPositions);
    if (n < 2) continue;
    model.prefill(seq.slice(0, n - 1), 0, (i, logits) => {
      sum += negativeLogLikelihood(logits, seq[i + 1]);
      count++;
    });
  }
  return sum / count;
}

/** The weights with one llama.cpp-named tensor replaced (the others shared, not copied). */
export function replaceTensor(w: LlamaWeights, name: string, values: Float32Array): LlamaWeights {
  if (name === 'token_embd.weight') return { ...w, tokenEmbedding: values, output: w.output === w.tokenEmbedding ? values : w.output };
  if (name === 'output.weight') return { ...w, output: values };
  const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(name);
  const field = m && ({ attn_q: 'wq', attn_k: 'wk', attn_v: 'wv', attn_output: 'wo', ffn_gate: 'wGate', ffn_up: 'wUp', ffn_down: 'wDown' } as const)[m[2] as 'attn_q'];
  if (!m || !field) throw new RangeError(`replaceTensor: "${name}" is not a matrix of the model`);
  const layers = w.layers.slice();
  layers[Number(m[1])] = { ...layers[Number(m[1])], [field]: values };
  return { ...w, layers };
}

/** sensitivity.get(name).get(bits) = NLL change when that matrix alone takes `typeFor(bits, cols)`. */
export type Sensitivity = Map<string, Map<number, number>>;

export function measureSensitivity(
  config: LlamaConfig, weights: LlamaWeights, matrices: readonly MatrixInfo[], bits: readonly number[],
  typeFor: (bits: number, cols: number) => BlockCodec, sequences: number[][],
  onProgress?: (done: number, total: number) => void,
): { base: number; sensitivity: Sensitivity } {
  const base = sequencesNll(config, weights, sequences);
  const sensitivity: Sensitivity = new Map();
  let done = 0;
  for (const m of matrices) {
    const values = modelTensor(weights, m.name);
    if (!values) throw new RangeError(`measureSensitivity: the model has no "${m.name}"`);
    const row = new Map<number, number>();
    for (const b of bits) {
      const q = encodeMatrix(typeFor(b, m.cols), values, m.rows, m.cols, { gptq: true, name: m.name }).dequantized;
      row.set(b, sequencesNll(config, replaceTensor(weights, m.name, q), sequences) - base);
      onProgress?.(++done, matrices.length * bits.length);
    }
    sensitivity.set(m.name, row);
  }
  return { base, sensitivity };
}

export interface BitAllocation {
  /** Chosen bits of each matrix. */
  readonly bits: Map<string, number>;
  /** Stored bits of the matrices over their parameters. */
  readonly bitsPerParameter: number;
  /** Sum of the chosen widths' measured NLL changes. */
  readonly predictedLoss: number;
}

/**
 * Starts every matrix at its widest width and repeatedly narrows the matrix whose next narrower width
 * costs the least predicted loss per stored bit saved, until the matrices fit `targetBpw` bits per
 * parameter (or nothing narrows further). `storedBits(name, bits)` is a matrix's exact size in a width.
 */
export function allocateBits(
  matrices: readonly MatrixInfo[], bits: readonly number[], sensitivity: Sensitivity, targetBpw: number,
  storedBits: (m: MatrixInfo, bits: number) => number,
): BitAllocation {
  const widths = [...bits].sort((a, b) => b - a); // widest first
  const at = new Map(matrices.map((m) => [m.name, 0])); // index into widths
  const params = matrices.reduce((n, m) => n + m.rows * m.cols, 0);
  const loss = (m: MatrixInfo, i: number) => Math.max(0, sensitivity.get(m.name)?.get(widths[i]) ?? 0);
  let total = matrices.reduce((n, m) => n + storedBits(m, widths[0]), 0);
  while (total > targetBpw * params) {
    let best: { m: MatrixInfo; rate: number; saved: number } | undefined;
    for (const m of matrices) {
      const i = at.get(m.name)!;
      if (i + 1 >= widths.length) continue;
      const saved = storedBits(m, widths[i]) - storedBits(m, widths[i + 1]);
      if (saved <= 0) continue;
      // a width that measures better than the wider one costs nothing more (measurement noise)
      const rate = Math.max(0, loss(m, i + 1) - loss(m, i)) / saved;
      if (!best || rate < best.rate) best = { m, rate, saved };
    }
    if (!best) break;
    at.set(best.m.name, at.get(best.m.name)! + 1);
    total -= best.saved;
  }
  const chosen = new Map(matrices.map((m) => [m.name, widths[at.get(m.name)!]]));
  const predictedLoss = matrices.reduce((n, m) => n + loss(m, at.get(m.name)!), 0);
  return { bits: chosen, bitsPerParameter: total / params, predictedLoss };
}
