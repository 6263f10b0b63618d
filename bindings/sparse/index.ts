// Block-sparse weights: public surface (re-exported by bindings/index.ts).
export {
  BLOCK_K, BLOCK_SHAPES, MAX_SPARSE_K, blockBytes, blockGrid, blockRows, denseWeightBytes, sparseWeightBytes, storedBlocks,
  type BlockCsr, type BlockShape, type SparseBits,
} from './format.js';
export { packBlockCsr, unpackBlockCsr, type IntWeights, type PackOptions, type SparsityReport } from './pack.js';
export { pruneBlocks, pruneToBlockCsr, type PruneOptions, type PruneScope } from './prune.js';
export { validateBlockCsr, BlockCsrError } from './validate.js';
export { SparseLinear, epilogueShift, type SparseCallArgs } from './spmm.js';
export { packSparseWeights, sparseMatmul } from './matmul.js';
