// Load-time validation of a block-CSR tensor (./format.ts). The kernels trust row pointers and column
// indices (no bounds checks in the hot loop), so everything that could make them read out of bounds or
// compute a wrong answer is checked here once, in O(N + K + nnzb * block), and reported by name.

import {
  BLOCK_K, BLOCK_SHAPES, MAX_SPARSE_K, blockBytes, blockGrid, blockRows, blockWeight, type BlockCsr,
} from './format.js';

export class BlockCsrError extends RangeError {
  constructor(name: string, problem: string) {
    super(`dyadic: block-CSR tensor ${name}: ${problem}`);
    this.name = 'BlockCsrError';
  }
}

export function validateBlockCsr(csr: BlockCsr, name = 'weights'): void {
  const fail = (problem: string): never => {
    throw new BlockCsrError(name, problem);
  };
  const { N, K, bits, block } = csr;
  if (!BLOCK_SHAPES.includes(block)) fail(`unknown block shape '${String(block)}' (expected ${BLOCK_SHAPES.join(' or ')})`);
  if (bits !== 8 && bits !== 4) fail(`bits must be 8 or 4, got ${String(bits)}`);
  if (!Number.isInteger(N) || N < 1) fail(`N must be a positive integer, got ${N}`);
  if (!Number.isInteger(K) || K < 1 || K > MAX_SPARSE_K) fail(`K must be an integer in 1..${MAX_SPARSE_K}, got ${K}`);
  if (!(csr.rowPtr instanceof Int32Array)) fail('rowPtr must be an Int32Array');
  if (!(csr.colIdx instanceof Uint16Array)) fail('colIdx must be a Uint16Array');
  if (!(csr.values instanceof Uint8Array)) fail('values must be a Uint8Array');
  if (!(csr.wsum instanceof Int32Array) || csr.wsum.length !== N) fail(`wsum must be an Int32Array of N = ${N}, got length ${csr.wsum?.length}`);
  if (!(csr.scaleM instanceof Int32Array) || csr.scaleM.length !== N) fail(`scaleM must be an Int32Array of N = ${N}, got length ${csr.scaleM?.length}`);
  if (!Number.isInteger(csr.scaleK) || csr.scaleK < 0 || csr.scaleK > 62) fail(`scaleK must be an integer in 0..62, got ${csr.scaleK}`);
  for (let n = 0; n < N; n++) if (csr.scaleM[n] < 0) fail(`scaleM[${n}] = ${csr.scaleM[n]} is negative`);

  const { NB, KB } = blockGrid(N, K, block);
  const { rowPtr, colIdx } = csr;
  if (rowPtr.length !== NB + 1) {
    fail(`rowPtr has ${rowPtr.length} entries, expected NB + 1 = ${NB + 1} for N = ${N} with ${block} blocks (block shape mismatch?)`);
  }
  if (rowPtr[0] !== 0) fail(`rowPtr[0] = ${rowPtr[0]}, expected 0`);
  for (let b = 0; b < NB; b++) {
    if (rowPtr[b + 1] < rowPtr[b]) fail(`rowPtr decreases at block row ${b}: ${rowPtr[b]} -> ${rowPtr[b + 1]}`);
    if (rowPtr[b + 1] - rowPtr[b] > KB) fail(`block row ${b} has ${rowPtr[b + 1] - rowPtr[b]} blocks, more than the KB = ${KB} block columns`);
  }
  const nnzb = rowPtr[NB];
  if (colIdx.length !== nnzb) fail(`rowPtr[${NB}] = ${nnzb} but colIdx has ${colIdx.length} entries`);
  const BB = blockBytes(block, bits);
  if (csr.values.length !== nnzb * BB) {
    fail(`values has ${csr.values.length} bytes, expected ${nnzb} blocks x ${BB} bytes = ${nnzb * BB} for int${bits} ${block} (block shape mismatch?)`);
  }
  for (let b = 0; b < NB; b++) {
    for (let p = rowPtr[b]; p < rowPtr[b + 1]; p++) {
      if (colIdx[p] >= KB) fail(`colIdx[${p}] = ${colIdx[p]} (block row ${b}) is out of range: K = ${K} has ${KB} block columns`);
      if (p > rowPtr[b] && colIdx[p] <= colIdx[p - 1]) fail(`colIdx is not strictly increasing in block row ${b} at entry ${p} (${colIdx[p - 1]}, ${colIdx[p]})`);
    }
  }
  // Padding entries must be zero and wsum must match the payload: a wrong wsum would silently shift every
  // output by za * (error), so it is recomputed here rather than trusted.
  const R = blockRows(block);
  const wsum = new Int32Array(N); // [N]
  for (let b = 0; b < NB; b++) {
    for (let p = rowPtr[b]; p < rowPtr[b + 1]; p++) {
      for (let r = 0; r < R; r++) {
        for (let c = 0; c < BLOCK_K; c++) {
          const v = blockWeight(csr.values, block, bits, p, r, c);
          const n = b * R + r;
          const k = colIdx[p] * BLOCK_K + c;
          if (n >= N || k >= K) {
            if (v !== 0) fail(`block ${p} holds ${v} at padding position (channel ${n}, k ${k}) outside [${N}, ${K}]`);
          } else {
            wsum[n] += v;
          }
        }
      }
    }
  }
  for (let n = 0; n < N; n++) if (wsum[n] !== csr.wsum[n]) fail(`wsum[${n}] = ${csr.wsum[n]} but the stored weights sum to ${wsum[n]}`);
}
