// GPTQ into llama.cpp's block types: a matrix W [rows, cols] is rounded one input column at a time, each
// column's rounding error spread over the columns not yet rounded through the upper factor of the
// dampened H^-1 (bindings/offline/gptq.ts). The block types fix one scale choice per block (per group
// inside it): each row's block is planned once (MSE-searched steps weighted by the Hessian's diagonal,
// i.e. the inputs' energy) and every column of the block is rounded under that plan; see
// GptqBlocksOptions.order for when. Without a Hessian it is round-to-nearest under the same searched
// plans. Offline, float64.
import { type BlockCodec, type BlockPlan, levelOf, levelValue } from './ggml-blocks.js';
import { inverseHessianFactor } from './gptq.js';

export interface BlockQuantized {
  /** The tensor in the codec's block layout ([rows] rows of cols / blockSize blocks). */
  readonly bytes: Uint8Array;
  /** [rows, cols] what the bytes decode to (float64 arithmetic, for measuring). */
  readonly dequantized: Float32Array;
}

export interface GptqBlocksOptions {
  /**
   * 'act' (default with a Hessian): every block is planned first from the original weights (static
   * groups), then columns are rounded in descending order of the Hessian's diagonal (the GPTQ reference's
   * --act-order with --static-groups). 'natural': columns left to right, each block planned when the sweep
   * reaches it from its error-compensated values.
   */
  order?: 'act' | 'natural';
  /** [cols] weight of each column's error in the scale searches (default: the Hessian's diagonal, or 1). */
  importance?: Float64Array;
}

export function gptqBlocks(
  codec: BlockCodec, w: Float32Array, rows: number, cols: number, hessian?: Float64Array, name = 'matrix', o: GptqBlocksOptions = {},
): BlockQuantized {
  const B = codec.blockSize;
  if (w.length !== rows * cols) throw new RangeError(`${codec.name}: ${name} has ${w.length} values, expected ${rows} x ${cols}`);
  if (cols % B !== 0) throw new RangeError(`${codec.name}: ${name} rows of ${cols} are not a multiple of the ${B}-element block`);
  if (hessian && hessian.length !== cols * cols) throw new RangeError(`${codec.name}: ${name}: Hessian has ${hessian.length} entries, expected ${cols}^2`);
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) throw new RangeError(`${codec.name}: ${name}[${Math.floor(i / cols)}][${i % cols}] is ${w[i]}`);
  }
  const importance = new Float64Array(cols); // [cols] diag(H), or 1
  for (let j = 0; j < cols; j++) importance[j] = o.importance ? o.importance[j] : hessian ? Math.max(hessian[j * cols + j], 0) : 1;
  const act = hessian !== undefined && (o.order ?? 'act') === 'act';
  // perm[i] = the column rounded i-th; the work matrix and H^-1's factor are in that order
  const perm = Array.from({ length: cols }, (_, i) => i);
  if (act) perm.sort((a, b) => importance[b] - importance[a] || a - b);
  let upper: Float64Array | undefined;
  if (hessian) {
    const hp = new Float64Array(cols * cols); // [cols, cols] H permuted
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) hp[i * cols + j] = hessian[perm[i] * cols + perm[j]];
    upper = inverseHessianFactor(hp, cols);
  }
  const work = new Float64Array(rows * cols); // [rows, cols] values being compensated, permuted columns
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) work[r * cols + i] = w[r * cols + perm[i]];
  const blocksPerRow = cols / B;
  const plans: BlockPlan[] = new Array(rows * blocksPerRow); // [rows, blocks]
  const planBlock = (r: number, blk: number, from: Float64Array | Float32Array, at: (c: number) => number) => {
    const xs = new Float64Array(B);
    for (let c = 0; c < B; c++) xs[c] = from[at(blk * B + c)];
    plans[r * blocksPerRow + blk] = codec.plan(xs, importance.subarray(blk * B, (blk + 1) * B));
  };
  if (act) for (let r = 0; r < rows; r++) for (let blk = 0; blk < blocksPerRow; blk++) planBlock(r, blk, w, (c) => r * cols + c);
  const position = new Int32Array(cols); // [cols] where each original column sits in the work order
  for (let i = 0; i < cols; i++) position[perm[i]] = i;
  const levels = new Int32Array(rows * cols); // [rows, cols] original column order
  const dequantized = new Float32Array(rows * cols);
  for (let i = 0; i < cols; i++) {
    const c = perm[i];
    const blk = Math.floor(c / B);
    if (!act && c % B === 0) for (let r = 0; r < rows; r++) planBlock(r, blk, work, (cc) => r * cols + position[cc]);
    const g = Math.floor((c % B) / codec.groupSize);
    const d = upper ? upper[i * cols + i] : 1;
    for (let r = 0; r < rows; r++) {
      const plan = plans[r * blocksPerRow + blk];
      const x = work[r * cols + i];
      const level = levelOf(codec, plan, g, x);
      const v = levelValue(plan, g, level);
      levels[r * cols + c] = level;
      dequantized[r * cols + c] = v;
      if (!upper) continue;
      const err = (x - v) / d;
      if (err === 0) continue;
      const row = r * cols;
      const u = i * cols;
      for (let j = i + 1; j < cols; j++) work[row + j] -= err * upper[u + j];
    }
  }
  const bytes = new Uint8Array(rows * blocksPerRow * codec.blockBytes);
  for (let r = 0; r < rows; r++) {
    for (let blk = 0; blk < blocksPerRow; blk++) {
      codec.pack(plans[r * blocksPerRow + blk], levels.subarray(r * cols + blk * B, r * cols + (blk + 1) * B), bytes, (r * blocksPerRow + blk) * codec.blockBytes);
    }
  }
  return { bytes, dequantized };
}
