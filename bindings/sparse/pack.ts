// Dense quantized weights -> block-CSR (layout in ./format.ts). Stores every block that holds at least one
// nonzero weight, so weights that already contain zero blocks convert as they are; ./prune.ts zeroes
// blocks first when a target sparsity is wanted. Offline code: the output is validated by construction
// (and again by validateBlockCsr when loaded into a runtime).

import { toDyadicShared } from '../common/to-dyadic.js';
import {
  BLOCK_K, BLOCK_SHAPES, MAX_SPARSE_K, blockBytes, blockWeight, blockGrid, blockRows, denseWeightBytes, setBlockWeight, sparseWeightBytes,
  type BlockCsr, type BlockShape, type SparseBits,
} from './format.js';

/** Integer weights to pack: QuantizedMatrix from bindings/offline/quantize-weights.ts has this shape. */
export interface IntWeights {
  readonly rows: number; // N
  readonly cols: number; // K
  readonly bits: number;
  /** [rows * cols] row-major */
  readonly values: Int8Array;
  /** [rows] real per-channel scales (offline), turned into dyadic mantissas with one shared exponent */
  readonly scales: ArrayLike<number>;
}

export interface PackOptions {
  block: BlockShape;
  /**
   * Precomputed dyadic scales (to share them with a dense layer exactly); default toDyadicShared(scales, 16),
   * the 16-bit mantissas that bindings/gemm/pack.ts derives from float scales, so a dense and a sparse
   * layer packed from the same weights rescale identically.
   */
  dyadic?: { m: Int32Array; k: number };
  name?: string;
}

/** What packing achieved: real block and element sparsity, and the bytes saved against dense. */
export interface SparsityReport {
  readonly blocks: number;
  readonly storedBlocks: number;
  /** fraction of blocks not stored */
  readonly blockSparsity: number;
  /** fraction of the N x K weights that are zero (pruned or already zero) */
  readonly elementSparsity: number;
  readonly denseBytes: number;
  readonly sparseBytes: number;
  /** denseBytes - sparseBytes (negative when the index costs more than the zero blocks save) */
  readonly savedBytes: number;
}

export function packBlockCsr(w: IntWeights, options: PackOptions): { csr: BlockCsr; report: SparsityReport } {
  const name = options.name ?? 'weights';
  const { block } = options;
  const N = w.rows;
  const K = w.cols;
  if (!BLOCK_SHAPES.includes(block)) throw new RangeError(`dyadic: ${name}: unknown block shape '${block}' (expected ${BLOCK_SHAPES.join(' or ')})`);
  if (!Number.isInteger(N) || !Number.isInteger(K) || N < 1 || K < 1 || w.values.length !== N * K) {
    throw new RangeError(`dyadic: ${name} has ${w.values.length} values, expected [${N}, ${K}]`);
  }
  if (K > MAX_SPARSE_K) throw new RangeError(`dyadic: ${name}: K = ${K} exceeds the block-sparse limit ${MAX_SPARSE_K}`);
  const bits: SparseBits = w.bits <= 4 ? 4 : 8;
  const lo = bits === 4 ? -8 : -128;
  const hi = bits === 4 ? 7 : 127;
  const R = blockRows(block);
  const { NB, KB } = blockGrid(N, K, block);

  // Pass 1: which blocks hold a nonzero weight; also range-check every value against the bit width.
  const keep = new Uint8Array(NB * KB); // [NB, KB]
  let zeros = 0;
  for (let n = 0; n < N; n++) {
    const b = Math.floor(n / R);
    for (let k = 0; k < K; k++) {
      const v = w.values[n * K + k];
      if (v < lo || v > hi) throw new RangeError(`dyadic: ${name}[${n}][${k}] = ${v} does not fit ${bits}-bit weights`);
      if (v !== 0) keep[b * KB + Math.floor(k / BLOCK_K)] = 1;
      else zeros++;
    }
  }
  const rowPtr = new Int32Array(NB + 1); // [NB + 1]
  for (let b = 0; b < NB; b++) {
    let c = 0;
    for (let kb = 0; kb < KB; kb++) c += keep[b * KB + kb];
    rowPtr[b + 1] = rowPtr[b] + c;
  }
  const nnzb = rowPtr[NB];
  const colIdx = new Uint16Array(nnzb); // [nnzb]
  const values = new Uint8Array(nnzb * blockBytes(block, bits)); // [nnzb * BB]
  const wsum = new Int32Array(N); // [N]
  // Pass 2: copy the kept blocks.
  for (let b = 0, p = 0; b < NB; b++) {
    for (let kb = 0; kb < KB; kb++) {
      if (!keep[b * KB + kb]) continue;
      colIdx[p] = kb;
      for (let r = 0; r < R; r++) {
        const n = b * R + r;
        if (n >= N) break;
        for (let c = 0; c < BLOCK_K; c++) {
          const k = kb * BLOCK_K + c;
          if (k >= K) break;
          const v = w.values[n * K + k];
          setBlockWeight(values, block, bits, p, r, c, v);
          wsum[n] += v;
        }
      }
      p++;
    }
  }
  const dyadic = options.dyadic ?? toDyadicShared(w.scales, 16);
  if (dyadic.m.length !== N) throw new RangeError(`dyadic: ${name}: ${dyadic.m.length} scale mantissas for ${N} channels`);
  const csr: BlockCsr = { N, K, bits, block, rowPtr, colIdx, values, wsum, scaleM: Int32Array.from(dyadic.m), scaleK: dyadic.k };
  const denseBytes = denseWeightBytes(N, K, bits);
  const sparseBytes = sparseWeightBytes(csr);
  const report: SparsityReport = {
    blocks: NB * KB,
    storedBlocks: nnzb,
    blockSparsity: 1 - nnzb / (NB * KB),
    elementSparsity: zeros / (N * K),
    denseBytes,
    sparseBytes,
    savedBytes: denseBytes - sparseBytes,
  };
  return { csr, report };
}

/** Block-CSR back to dense int8 values [N * K] (row-major): for tests and for the dense comparison. */
export function unpackBlockCsr(csr: BlockCsr): Int8Array {
  const { N, K, block, bits } = csr;
  const R = blockRows(block);
  const out = new Int8Array(N * K); // [N, K]
  const NB = csr.rowPtr.length - 1;
  for (let b = 0; b < NB; b++) {
    for (let p = csr.rowPtr[b]; p < csr.rowPtr[b + 1]; p++) {
      const kb = csr.colIdx[p];
      for (let r = 0; r < R && b * R + r < N; r++) {
        for (let c = 0; c < BLOCK_K && kb * BLOCK_K + c < K; c++) {
          out[(b * R + r) * K + kb * BLOCK_K + c] = blockWeight(csr.values, block, bits, p, r, c);
        }
      }
    }
  }
  return out;
}

