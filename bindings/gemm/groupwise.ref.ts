// Scalar reference of the group-wise kernels (assembly/gemm/groupwise.ts), straight from the contract:
// decode each row's blocks (bindings/gemm/groupwise-blocks.ts), form W[k] = S[g] (u[k] - off) - Mx[g],
// then T = sum_k (a - z) W exactly (|T| < 2^53 by the K limit) and p = round_half_up(T / 2^sh) with the
// shifts of groupwiseShifts. No packing, no lane order, no windows, no prepared rows.
import { checkBlockTensor, groupwiseShifts } from './groupwise-pack.js';
import { decodeRow, integerRow, newDecodedRow } from './groupwise-blocks.js';

/** The integer weights of a block tensor: W [N, K] (as numbers) and the row exponents. */
export function groupwiseIntegerWeights(type: number, blocks: Uint8Array, N: number, K: number): { W: Float64Array; e: Int32Array } {
  const f = checkBlockTensor(type, blocks, N, K, 'reference');
  const row = newDecodedRow(f, K);
  const S = new Int32Array(K / f.G);
  const Mx = new Int32Array(K / f.G);
  const W = new Float64Array(N * K); // [N, K] integers
  const e = new Int32Array(N);
  const rowBytes = (K / f.blockSize) * f.blockBytes;
  for (let n = 0; n < N; n++) {
    decodeRow(f, blocks, n * rowBytes, K, row);
    e[n] = integerRow(row.sd, row.sm, S, Mx);
    for (let k = 0; k < K; k++) W[n * K + k] = S[Math.floor(k / f.G)] * (row.codes[k] - f.off) - Mx[Math.floor(k / f.G)];
  }
  return { W, e };
}

export function groupwiseRef(type: number, blocks: Uint8Array, N: number, K: number, a: Int8Array, M: number, zero: Int32Array): { p: Int32Array; E: number } {
  const { W, e } = groupwiseIntegerWeights(type, blocks, N, K);
  const absW = new Float64Array(N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) absW[n] += Math.abs(W[n * K + k]);
  const { E, shifts } = groupwiseShifts(e, absW);
  const p = new Int32Array(M * N); // [M, N]
  for (let i = 0; i < M; i++) {
    for (let n = 0; n < N; n++) {
      let t = 0;
      for (let k = 0; k < K; k++) t += (a[i * K + k] - zero[i]) * W[n * K + k];
      const sh = shifts[n];
      p[i * N + n] = sh > 0 ? Math.floor((t + 2 ** (sh - 1)) / 2 ** sh) : t;
    }
  }
  return { p, E };
}
