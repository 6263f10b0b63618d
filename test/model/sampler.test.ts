import { describe, expect, it } from 'vitest';
import { Sampler, argmax } from '../../bindings/sampling/sampler.js';
import { Xorshift64Star } from '../../bindings/sampling/xorshift.js';
import { freshSeed, rng } from '../helpers/rng.js';

const SEED = freshSeed();

const softmax = (l: number[], t: number) => {
  const m = Math.max(...l);
  const e = l.map((x) => Math.exp((x - m) / t));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
};

describe('sampling', () => {
  it("draws run.c's xorshift64* stream (values computed with Python's integers)", () => {
    const r = new Xorshift64Star(42);
    expect([1, 2, 3, 4, 5].map(() => r.nextU32())).toEqual([1456360119, 3359763283, 3393612768, 4054632243, 3283045847]);
    const f = new Xorshift64Star(42).nextFloat();
    expect(f).toBe((1456360119 >>> 8) / 16777216);
  });

  it(`is greedy at temperature 0 (first maximum on ties), seed ${SEED}`, () => {
    const r = rng(SEED);
    const logits = Float32Array.from([0.5, 3, -1, 3, 2]);
    expect(new Sampler(5, { temperature: 0 }).sample(logits)).toBe(1);
    expect(argmax(logits)).toBe(1);
    const random = Float32Array.from({ length: 1000 }, () => r() * 10 - 5);
    let best = 0;
    random.forEach((v, i) => (best = v > random[best] ? i : best));
    expect(new Sampler(1000, { temperature: 0 }).sample(random)).toBe(best);
  });

  it(`samples the softmax distribution at temperature T (chi-square against float64 probabilities), seed ${SEED}`, () => {
    const logits = [2, 1, 0.5, 0, -1, -3];
    for (const t of [0.5, 1, 2]) {
      const p = softmax(logits, t);
      const s = new Sampler(6, { temperature: t, topP: 1, seed: SEED + t * 1000 });
      const n = 20000;
      const counts = new Array(6).fill(0);
      const arr = Float32Array.from(logits);
      for (let i = 0; i < n; i++) counts[s.sample(arr)]++;
      const chi2 = counts.reduce((a, c, i) => a + (c - n * p[i]) ** 2 / (n * p[i]), 0);
      expect(chi2).toBeLessThan(30); // 5 degrees of freedom: P(chi2 > 30) < 2e-5
    }
  });

  it('only samples inside the top-p nucleus, in proportion', () => {
    // probabilities 0.5, 0.3, 0.15, 0.05: the 0.7-nucleus is {0, 1} (0.5 + 0.3 first exceeds 0.7).
    const logits = Float32Array.from([0.5, 0.3, 0.15, 0.05].map(Math.log));
    const s = new Sampler(4, { temperature: 1, topP: 0.7, seed: 99 });
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 10000; i++) counts[s.sample(logits)]++;
    expect(counts[2] + counts[3]).toBe(0);
    expect(counts[0] / 10000).toBeGreaterThan(0.6); // 0.5 / 0.8 = 0.625 expected
    expect(counts[0] / 10000).toBeLessThan(0.65);
  });

  it('is reproducible with a seed and differs across seeds', () => {
    const logits = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i) * 3);
    const run = (seed: number) => {
      const s = new Sampler(512, { temperature: 1, topP: 0.9, seed });
      return Array.from({ length: 50 }, () => s.sample(logits));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('refuses bad settings by name', () => {
    expect(() => new Sampler(4, { temperature: -1 })).toThrow(/temperature -1/);
    expect(() => new Sampler(4, { topP: 1.5 })).toThrow(/top-p 1.5/);
    expect(() => new Sampler(4, { temperature: NaN })).toThrow(/temperature NaN/);
  });
});
