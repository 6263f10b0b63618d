// The seed helper: fixed seeds first, then the run's fresh seed; failures carry the seed and replay hint.
import { describe, expect, it } from 'vitest';
import { FRESH_SEED, freshSeed, seeds, withSeed } from './seed.js';

describe('seed helper', () => {
  it(`seeds() keeps the fixed seeds and appends the fresh seed ${FRESH_SEED}`, () => {
    const s = seeds(7, 8);
    expect(s.slice(0, 2)).toEqual([7, 8]);
    expect(s.length).toBeGreaterThanOrEqual(3);
    expect(s[2]).toBe(freshSeed());
    for (const v of s) expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
    if (process.env.DYADIC_SEED) expect(FRESH_SEED).toBe(Number(process.env.DYADIC_SEED));
  });

  it('withSeed names the seed in sync and async failures and passes results through', async () => {
    expect(withSeed(5, (s) => s * 2)).toBe(10);
    expect(() => withSeed(123, () => { throw new Error('boom'); })).toThrow(/^\[seed 123 \(replay: DYADIC_SEED=123\)\] boom$/);
    await expect(withSeed(9, async () => { throw new Error('late'); })).rejects.toThrow(/^\[seed 9 .*\] late$/);
    await expect(withSeed(9, async (s) => s + 1)).resolves.toBe(10);
  });
});
