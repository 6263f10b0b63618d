// Shared helpers of the block-sparse tests: seeded random integers and the independent dense oracle.

/** mulberry32: small seeded PRNG so failures reproduce from the printed seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function randomInt8(r: () => number, n: number, lo = -128, hi = 127): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = randInt(r, lo, hi);
  return out;
}

/**
 * Oracle: out[i, n] = sum_k (a[i, k] - za[i]) * w[n, k] over the dense N x K weights, straight from the
 * definition (no blocks, no packing), exact in float64 (|terms| < 2^53).
 */
export function denseOracle(a: Int8Array, M: number, K: number, za: Int32Array, w: Int8Array, N: number): Int32Array {
  const out = new Int32Array(M * N); // [M, N]
  for (let i = 0; i < M; i++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (a[i * K + k] - za[i]) * w[n * K + k];
      out[i * N + n] = s;
    }
  }
  return out;
}
