// Seeded random inputs for the gemm tests: every run draws a fresh seed (printed in the test name on
// failure via the returned seed) and fixed seeds cover known cases, as the house rules ask.

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [lo, hi], inclusive. */
export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** One fresh seed per run plus fixed ones. */
export function seeds(...fixed: number[]): number[] {
  return [...fixed, (Math.random() * 2 ** 32) >>> 0];
}
