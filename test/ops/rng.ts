// Seeded random numbers for the operator tests: each suite runs a fixed seed (reproducible) and a fresh
// one (new inputs every run); the seed is in the test name so a failure can be replayed.
import { mulberry32 } from '../../bindings/model/random.js';

export { mulberry32 };

export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
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

/** One fixed seed and one fresh seed per run. */
export function seeds(fixed: number): number[] {
  return [fixed, (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0];
}
