import { describe, expect, it } from 'vitest';
import { loadRuntime } from '../../bindings/entry/node.js';
import { IntegerSampler } from '../../bindings/sampling/integer-sampler.js';

describe('IntegerSampler (integer softmax, integer top-p, integer draw)', async () => {
  const rt = await loadRuntime({ build: 'relaxed' });
  const vocab = 12;
  // real logits = L * 1.5 / 2^10
  const scale = { m: 3, k: 11 };
  const logits = Int32Array.from([0, 700, 1400, -300, 2100, 50, 1800, -2000, 900, 1200, 2000, -10000]);
  const real = Array.from(logits, (l) => (l * scale.m) / 2 ** scale.k);

  function expected(temperature: number, topP: number): number[] {
    const e = real.map((x) => Math.exp(x / temperature));
    const sum = e.reduce((a, b) => a + b);
    const p = e.map((x) => x / sum);
    if (topP >= 1) return p;
    const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a]);
    const keep = new Set<number>();
    let c = 0;
    for (const i of order) {
      keep.add(i);
      c += p[i];
      if (c > topP) break;
    }
    const z = [...keep].reduce((a, i) => a + p[i], 0);
    return p.map((x, i) => (keep.has(i) ? x / z : 0));
  }

  for (const [temperature, topP] of [[1, 1], [0.7, 1], [1, 0.9], [2, 0.5]]) {
    it(`draws with the float64 softmax's frequencies at T=${temperature}, top-p=${topP}`, () => {
      const sampler = new IntegerSampler(rt, vocab, { temperature, topP, seed: 42 });
      const draws = 40000;
      const counts = new Array(vocab).fill(0);
      for (let i = 0; i < draws; i++) counts[sampler.sample(logits, scale)]++;
      const want = expected(temperature, topP);
      for (let t = 0; t < vocab; t++) {
        // 5 standard deviations of a binomial count, plus the Q15 probability grid
        const sd = Math.sqrt(draws * want[t] * (1 - want[t]));
        expect(Math.abs(counts[t] - draws * want[t])).toBeLessThanOrEqual(5 * sd + draws * 2 ** -12 + 1);
        if (want[t] === 0) expect(counts[t]).toBe(0);
      }
    });
  }

  it('is greedy at temperature 0 and reproducible from a seed', () => {
    expect(new IntegerSampler(rt, vocab, { temperature: 0 }).sample(logits, scale)).toBe(4);
    const a = new IntegerSampler(rt, vocab, { seed: 7 });
    const b = new IntegerSampler(rt, vocab, { seed: 7 });
    const c = new IntegerSampler(rt, vocab, { seed: 8 });
    const run = (s: IntegerSampler) => Array.from({ length: 50 }, () => s.sample(logits, scale));
    const ra = run(a);
    expect(run(b)).toEqual(ra);
    expect(run(c)).not.toEqual(ra);
  });
});
