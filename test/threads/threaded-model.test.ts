// The integer model on two threads against its scalar TypeScript reference and against one thread: every
// logit equal through prefill and decode, for dense modes at every weight / activation width, and with
// block-sparse layers. The pools split every call (minSplitWork = 0), so the tiny test shapes exercise
// the same splits as a real model's large ones.
import { afterAll, describe, expect, it } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';
import { quantizeLlama, type QuantizeOptions } from '../../bindings/offline/quantize-model.js';
import { IntegerLlama } from '../../bindings/model/integer/integer-llama.js';
import { ReferenceIntegerLlama } from '../../bindings/model/integer/integer-llama.ref.js';
import { llamaConfig, randomLlamaWeights } from '../../bindings/model/random.js';
import { rng, seeds } from '../helpers/rng.js';
import { oracleInvSqrtHeadDim, oracleScales } from '../integer/helpers/oracle-scales.js';

const runtimes: DyadicRuntime[] = [];
afterAll(() => runtimes.forEach((rt) => rt.close()));

async function runtimePair(build: 'simd' | 'relaxed'): Promise<[DyadicRuntime, DyadicRuntime]> {
  const one = await loadRuntime({ build });
  const two = await loadRuntime({ build, threads: 2 });
  expect(two.threads).toBe(2);
  two.pool!.minSplitWork = 0;
  runtimes.push(two);
  return [one, two];
}

const SHAPE = { dim: 48, hiddenDim: 100, nLayers: 2, nHeads: 6, nKvHeads: 3, vocabSize: 70, contextLength: 24 };
const CASES: [string, QuantizeOptions][] = [
  ['w8a8', { bits: 8 }], ['w4a8', { bits: 4 }], ['w6a8', { bits: 6 }], ['w7a8', { bits: 7 }],
  ['w6a6', { bits: 6, activationBits: 6 }], ['w4a4', { bits: 4, activationBits: 4 }],
  ['w8 sparse 4x16', { bits: 8, sparsity: 0.5, sparseBlock: '4x16' }], ['w4 sparse 1x16', { bits: 4, sparsity: 0.5, sparseBlock: '1x16' }],
];

describe('integer model on two threads == one thread == scalar reference', () => {
  for (const build of ['simd', 'relaxed'] as const) {
    for (const seed of seeds(5)) {
      it(`${build}: every mode through prefill chunks and decode steps, seed ${seed}`, async () => {
        const [one, two] = await runtimePair(build);
        const config = llamaConfig(SHAPE);
        const weights = randomLlamaWeights(config, seed);
        const r = rng(seed + 1);
        const tokens = Array.from({ length: 10 }, () => Math.floor(r() * config.vocabSize));
        const steps: [number[], number][] = [[tokens.slice(0, 5), 0], [tokens.slice(5, 6), 5], [tokens.slice(6, 9), 6], [tokens.slice(9), 9]];
        for (const [mode, options] of CASES) {
          const qm = quantizeLlama(config, weights, options);
          const models = [one, two].map((rt) => {
            const mark = rt.arena.mark();
            return { model: new IntegerLlama(rt, qm, mode, { maxPositions: 16, maxBatch: 5 }), rt, mark };
          });
          const ref = new ReferenceIntegerLlama(qm, oracleScales(qm), 16, oracleInvSqrtHeadDim(config.headDim));
          for (const [chunk, start] of steps) {
            const want = ref.forwardRows(chunk, start);
            for (const { model, rt } of models) {
              const where = `${mode} ${rt.threads} thread(s), tokens at ${start}..${start + chunk.length - 1}`;
              const got = model.forwardIntRows(chunk, start);
              expect(got.logits, where).toEqual(want.logits);
              expect([got.m, got.k], where).toEqual([want.m, want.k]);
            }
          }
          for (const { rt, mark } of models) rt.arena.release(mark);
        }
      });
    }
  }
});
