// Shared helpers of the block-sparse tests: seeded random integers and the independent dense oracle.

import { randInt } from '../helpers/rng.js';

export { rng, randInt, seeds, freshSeed } from '../helpers/rng.js';

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
