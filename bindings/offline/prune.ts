// Magnitude pruning by blocks: zero the R x 16 blocks (same grid as ./format.ts) whose real magnitude
// sum_{n, k in block} scale[n] * |q[n, k]| is smallest, until a target fraction of blocks is zero.
// 'global' ranks all blocks of the matrix together (channels with small weights lose more blocks);
// 'row' prunes the same fraction from every block row (even work per output channel, like MNN's
// per-row balance). Blocks already all-zero count towards the target. Offline: float allowed here.

import { BLOCK_K, BLOCK_SHAPES, blockGrid, blockRows, type BlockShape } from '../sparse/format.js';
import { packBlockCsr, type IntWeights, type PackOptions, type SparsityReport } from '../sparse/pack.js';
import type { BlockCsr } from '../sparse/format.js';

export type PruneScope = 'global' | 'row';

export interface PruneOptions {
  block: BlockShape;
  /** target fraction of zero blocks, 0..1 */
  sparsity: number;
  scope?: PruneScope;
  name?: string;
}

/** A copy of w with the lowest-magnitude blocks zeroed; values outside the pruned blocks are unchanged. */
export function pruneBlocks<T extends IntWeights>(w: T, options: PruneOptions): T {
  const { block, sparsity } = options;
  const scope = options.scope ?? 'global';
  const name = options.name ?? 'weights';
  if (!BLOCK_SHAPES.includes(block)) throw new RangeError(`dyadic: ${name}: unknown block shape '${block}'`);
  if (!(sparsity >= 0 && sparsity <= 1)) throw new RangeError(`dyadic: ${name}: target sparsity must be in 0..1, got ${sparsity}`);
  if (scope !== 'global' && scope !== 'row') throw new RangeError(`dyadic: ${name}: prune scope must be 'global' or 'row', got '${scope}'`);
  const N = w.rows;
  const K = w.cols;
  if (w.values.length !== N * K) throw new RangeError(`dyadic: ${name} has ${w.values.length} values, expected [${N}, ${K}]`);
  const R = blockRows(block);
  const { NB, KB } = blockGrid(N, K, block);
  const magnitude = new Float64Array(NB * KB); // [NB, KB]
  for (let n = 0; n < N; n++) {
    const s = Math.abs(w.scales[n]);
    for (let k = 0; k < K; k++) magnitude[Math.floor(n / R) * KB + Math.floor(k / BLOCK_K)] += s * Math.abs(w.values[n * K + k]);
  }
  const drop = new Uint8Array(NB * KB); // [NB, KB], 1 = zero this block
  // Ties (equal magnitude, e.g. blocks already zero) break by position, so the result is deterministic.
  const byMagnitude = (ids: number[]) => ids.sort((x, y) => magnitude[x] - magnitude[y] || x - y);
  if (scope === 'global') {
    const target = Math.round(sparsity * NB * KB);
    const order = byMagnitude(Array.from({ length: NB * KB }, (_, i) => i));
    for (let i = 0; i < target; i++) drop[order[i]] = 1;
  } else {
    const target = Math.round(sparsity * KB);
    for (let b = 0; b < NB; b++) {
      const order = byMagnitude(Array.from({ length: KB }, (_, i) => b * KB + i));
      for (let i = 0; i < target; i++) drop[order[i]] = 1;
    }
  }
  const values = Int8Array.from(w.values);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) if (drop[Math.floor(n / R) * KB + Math.floor(k / BLOCK_K)]) values[n * K + k] = 0;
  }
  return { ...w, values };
}

/** Prune to a target block sparsity, then pack; the report gives the sparsity reached and bytes saved. */
export function pruneToBlockCsr(
  w: IntWeights,
  options: PruneOptions & Pick<PackOptions, 'dyadic'>,
): { csr: BlockCsr; report: SparsityReport; pruned: IntWeights } {
  const pruned = pruneBlocks(w, options);
  return { ...packBlockCsr(pruned, options), pruned };
}
