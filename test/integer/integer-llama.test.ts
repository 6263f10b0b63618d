import { describe, expect, it } from 'vitest';
import { loadRuntime } from '../../bindings/entry/node.js';
import type { LlamaConfig } from '../../bindings/model/config.js';
import type { LlamaWeights } from '../../bindings/model/weights.js';
import { quantizeLlama } from '../../bindings/model/integer/quantize-model.js';
import { IntegerLlama } from '../../bindings/model/integer/integer-llama.js';
import { ReferenceIntegerLlama } from '../../bindings/model/integer/reference-forward.js';
import { rng, seeds } from '../gemm/rng.js';

export function randomModel(seed: number, c: Partial<LlamaConfig> = {}): { config: LlamaConfig; weights: LlamaWeights } {
  const config: LlamaConfig = {
    architecture: 'llama', dim: 32, hiddenDim: 44, nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 8, vocabSize: 40,
    contextLength: 24, ropeTheta: 10000, ropeLayout: 'adjacent', ropeDim: 8, rmsEps: 1e-5, tiedEmbeddings: false, qkvBias: false, ...c,
  };
  const r = rng(seed);
  const gauss = (n: number, std: number) =>
    Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()) * std);
  const { dim, hiddenDim: hd, nHeads, nKvHeads, headDim, vocabSize } = config;
  const q = nHeads * headDim;
  const kv = nKvHeads * headDim;
  const weights: LlamaWeights = {
    tokenEmbedding: gauss(vocabSize * dim, 1),
    layers: Array.from({ length: config.nLayers }, () => ({
      attnNorm: Float32Array.from(gauss(dim, 0.2), (v) => 1 + v),
      wq: gauss(q * dim, 0.3), wk: gauss(kv * dim, 0.3), wv: gauss(kv * dim, 0.3), wo: gauss(dim * q, 0.2),
      ffnNorm: Float32Array.from(gauss(dim, 0.2), (v) => 1 + v),
      wGate: gauss(hd * dim, 0.3), wDown: gauss(dim * hd, 0.2), wUp: gauss(hd * dim, 0.3),
    })),
    finalNorm: Float32Array.from(gauss(dim, 0.2), (v) => 1 + v),
    output: gauss(vocabSize * dim, 0.3),
  };
  return { config, weights };
}

describe('integer LLaMA forward vs its scalar TypeScript reference', async () => {
  const runtimes = await Promise.all([loadRuntime({ build: 'simd' }), loadRuntime({ build: 'relaxed' })]);
  const shapes: Partial<LlamaConfig>[] = [
    {},
    { dim: 48, hiddenDim: 100, nHeads: 6, nKvHeads: 6, headDim: 8, ropeDim: 8, ropeLayout: 'half', nLayers: 1 },
  ];
  for (const seed of seeds(11)) {
    for (const shape of shapes) {
      for (const bits of [8, 4, 6, 7] as const) {
        it(`W${bits}A8 logits equal bit for bit on both builds through prefill and decode (${JSON.stringify(shape)}, seed ${seed})`, () => {
          const { config, weights } = randomModel(seed, shape);
          const qm = quantizeLlama(config, weights, { bits });
          const r = rng(seed + 1);
          const tokens = Array.from({ length: 9 }, () => Math.floor(r() * config.vocabSize));
          let reference: Int32Array[] | undefined;
          for (const rt of runtimes) {
            const model = new IntegerLlama(rt, qm, `w${bits}a8`, { maxPositions: 16, maxBatch: 5 });
            const ref = new ReferenceIntegerLlama(qm, model.referenceScales(), 16, model.invSqrtHeadDim);
            const steps: [number[], number][] = [[tokens.slice(0, 5), 0], [tokens.slice(5, 6), 5], [tokens.slice(6, 9), 6]];
            const got: Int32Array[] = [];
            for (const [chunk, start] of steps) {
              const g = model.forwardIntRows(chunk, start);
              const want = ref.forwardRows(chunk, start);
              expect(g.m).toEqual(want.m);
              expect(g.k).toEqual(want.k);
              expect(g.logits).toEqual(want.logits);
              got.push(g.logits);
            }
            if (reference) expect(got).toEqual(reference);
            reference = got;
          }
        });
      }
    }
  }
});
