// A prefill without onLogits computes the LM head for the prompt's last position only; with onLogits
// (eval) for every position. Both must give the last position the same logits and scale bit for bit, and
// the all-positions run must agree with forwardIntRows over the same chunks (an independent path).
import { describe, expect, it } from 'vitest';
import { loadRuntime } from '../../bindings/entry/node.js';
import { quantizeLlama } from '../../bindings/offline/quantize-model.js';
import { IntegerLlama } from '../../bindings/model/integer/integer-llama.js';
import { llamaConfig, randomLlamaWeights } from '../../bindings/model/random.js';
import { rng, seeds } from '../helpers/rng.js';

describe('prefill computes only the last position\'s logits unless asked for all', async () => {
  const runtimes = await Promise.all([loadRuntime({ build: 'simd' }), loadRuntime({ build: 'relaxed' })]);
  const config = llamaConfig({ dim: 32, hiddenDim: 44, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 40, contextLength: 32 });
  for (const seed of seeds(23)) {
    // prompt lengths: within one chunk, exactly one chunk, one past a chunk (last chunk of one row), several chunks
    for (const length of [1, 3, 5, 6, 11, 14]) {
      it(`last-position logits equal the all-positions run's last row (${length} tokens, maxBatch 5, seed ${seed})`, () => {
        const weights = randomLlamaWeights(config, seed);
        const qm = quantizeLlama(config, weights, { bits: 8 });
        const r = rng(seed + length);
        const tokens = Array.from({ length }, () => Math.floor(r() * config.vocabSize));
        for (const rt of runtimes) {
          const model = new IntegerLlama(rt, qm, 'w8a8', { maxPositions: 16, maxBatch: 5 });
          const all: Int32Array[] = [];
          const scales: { m: number; k: number }[] = [];
          model.prefill(tokens, 0, (_, logits) => {
            all.push((logits as Int32Array).slice());
            scales.push({ ...model.logitDyadic });
          });
          expect(all).toHaveLength(length);
          // independent path: forwardIntRows over the same chunks
          for (let s = 0; s < length; s += 5) {
            const rows = model.forwardIntRows(tokens.slice(s, s + 5), s);
            for (let i = 0; i < rows.m.length; i++) {
              expect(rows.logits.subarray(i * config.vocabSize, (i + 1) * config.vocabSize)).toEqual(all[s + i]);
              expect({ m: rows.m[i], k: rows.k[i] }).toEqual(scales[s + i]);
            }
          }
          const last = model.prefill(tokens, 0).slice();
          expect(last).toEqual(all[length - 1]);
          expect(model.logitDyadic).toEqual(scales[length - 1]);
          // and the cache it leaves is the same: the next decode step agrees
          const next = model.forward(tokens[0], length).slice();
          model.prefill(tokens, 0, () => {});
          expect(model.forward(tokens[0], length)).toEqual(next);
        }
      });
    }
  }
});
