// Seeded random inputs for tests: every suite runs fixed seeds (reproducible) plus one fresh seed per run
// (new inputs every time); the seed appears in the test name so a failure can be replayed.
export { mulberry32 as rng } from '../../bindings/model/random.js';

/** Integer in [lo, hi], inclusive. */
export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** The fixed seeds plus one fresh seed. */
export function seeds(...fixed: number[]): number[] {
  return [...fixed, (Math.random() * 2 ** 32) >>> 0];
}
