import { describe, expect, it } from 'vitest';
import { loadRuntime } from '../../bindings/entry/node.js';
import { llamaConfig, randomLlamaWeights } from '../../bindings/model/random.js';
import { quantizeLlama } from '../../bindings/offline/quantize-model.js';
import { IntegerLlama, integerModelBytes } from '../../bindings/model/integer/integer-llama.js';

describe('memory planning of the integer model', () => {
  const config = llamaConfig({ dim: 96, hiddenDim: 256, nLayers: 3, nHeads: 4, nKvHeads: 2, vocabSize: 1000, contextLength: 256 });
  const weights = randomLlamaWeights(config, 3);

  for (const bits of [8, 4] as const) {
    it(`the up-front estimate bounds what the W${bits} plan really allocates, within 25%`, async () => {
      const q = quantizeLlama(config, weights, { bits });
      const rt = await loadRuntime({ build: 'simd' });
      const before = rt.arena.usedBytes;
      const model = new IntegerLlama(rt, q, `w${bits}a8`, { maxPositions: 256, maxBatch: 16 });
      const used = model.memoryBytes - before;
      const estimate = integerModelBytes(q, 256, 16).total;
      expect(estimate).toBeGreaterThanOrEqual(used);
      expect(estimate).toBeLessThan(used * 1.25);
    });
  }

  it('refuses a model over the memory limit up front, naming its size, before allocating anything', async () => {
    const q = quantizeLlama(config, weights, { bits: 8 });
    const limit = Math.floor(integerModelBytes(q, 256, 32).total / 2);
    const rt = await loadRuntime({ build: 'simd', memoryLimitBytes: limit });
    const before = rt.arena.usedBytes;
    expect(() => new IntegerLlama(rt, q, 'w8a8', { maxPositions: 256 })).toThrow(
      /the w8a8 model needs about \d+ bytes of wasm memory \(weights \d+, KV cache \d+ for 256 positions, activations \d+\), over the limit of \d+ bytes/,
    );
    expect(rt.arena.usedBytes).toBe(before);
  });
});
