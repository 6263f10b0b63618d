// Seeded random inputs for tests. Seeds come from ./seed.ts (fixed seeds + one fresh seed per run,
// DYADIC_SEED to replay); put the seed in the test name so a failure can be replayed.
import { beforeEach } from 'vitest';
import { mulberry32 } from '../../bindings/model/random.js';

export { mulberry32, mulberry32 as rng };
export { seeds, freshSeed, withSeed, seedLabel } from './seed.js';

/** Integer in [lo, hi], inclusive. */
export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** A seeded source of uniform, integer, normal and int8 draws. */
export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }
  int(lo: number, hi: number): number {
    return randInt(this.next, lo, hi);
  }
  normal(): number {
    const u = Math.max(this.next(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  int8s(n: number): Int8Array {
    const a = new Int8Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(-128, 127);
    return a;
  }
}

/**
 * A uniform [0, 1) source from `seed` (usually freshSeed(); name it in the test or describe title), restarted
 * before each test of the file, so a test draws the same values whether run alone (`-t`) or with the rest.
 */
export function seededPerTest(seed: number): () => number {
  let next = mulberry32(seed);
  beforeEach(() => {
    next = mulberry32(seed);
  });
  return () => next();
}
