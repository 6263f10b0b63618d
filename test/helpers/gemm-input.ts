// Random and extreme GEMM inputs for the dense kernel tests (test/gemm/matmul.test.ts and the threaded
// runs in test/threads/): weights at `bits`, activations, zero points and scales, as the scalar reference
// (bindings/gemm/matmul.ref.ts) takes them.
import type { WeightBits } from '../../bindings/gemm/pack.js';
import type { ReferenceInput } from '../../bindings/gemm/matmul.ref.js';
import { rng, randInt } from './rng.js';

export type Style = 'random' | 'max' | 'min' | 'mixed-extreme';

export function makeInput(seed: number, bits: WeightBits, M: number, N: number, K: number, style: Style): ReferenceInput {
  const r = rng(seed);
  const wlo = -(2 ** (bits - 1));
  const whi = 2 ** (bits - 1) - 1;
  const w = new Int8Array(N * K);
  const a = new Int8Array(M * K);
  const zero = new Int32Array(M);
  if (style === 'max') {
    // (a - z) = 255 and w at its most negative: the largest |acc| the K limit allows
    a.fill(127); w.fill(wlo); zero.fill(-128);
  } else if (style === 'min') {
    a.fill(-128); w.fill(wlo); zero.fill(127);
  } else {
    const ext = style === 'mixed-extreme';
    for (let i = 0; i < w.length; i++) w[i] = ext ? (r() < 0.5 ? wlo : whi) : randInt(r, wlo, whi);
    for (let i = 0; i < a.length; i++) a[i] = ext ? (r() < 0.5 ? -128 : 127) : randInt(r, -128, 127);
    for (let i = 0; i < M; i++) zero[i] = ext ? (r() < 0.5 ? -128 : 127) : randInt(r, -128, 127);
  }
  const scaleK = randInt(r, 10, 40);
  const mant = Int32Array.from({ length: N }, () => (style === 'random' ? randInt(r, 1, 2 ** 16 - 1) : 2 ** 31 - 1 - randInt(r, 0, 3)));
  const rowM = Int32Array.from({ length: M }, () => randInt(r, 1, 2 ** 31 - 1));
  const rowK = Int32Array.from({ length: M }, () => randInt(r, 0, 40));
  return { w, N, K, a, M, zero, mant, scaleK, shift: 0, rowM, rowK };
}

