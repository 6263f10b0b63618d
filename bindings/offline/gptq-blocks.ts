// GPTQ into llama.cpp's block types: a matrix W [rows, cols] is rounded one input column at a time in
// its natural order, each column's rounding error spread over the columns not yet rounded through the
// upper factor of the dampened H^-1 (bindings/quant/gptq.ts), as in gptq.ts. The block types fix one
// scale choice per block (per group inside it): when the sweep reaches a block's first column, each row's
// block is planned once from its error-compensated values (MSE-searched steps weighted by the Hessian's
// diagonal, i.e. the inputs' energy), and every column of the block is then rounded under that plan.
// Without a Hessian it is round-to-nearest under the same searched plans. Offline, float64.
import { type BlockCodec, type BlockPlan, levelOf, levelValue } from './ggml-blocks.js';
import { inverseHessianFactor } from '../quant/gptq.js';

export interface BlockQuantized {
  /** The tensor in the codec's block layout ([rows] rows of cols / blockSize blocks). */
  readonly bytes: Uint8Array;
  /** [rows, cols] what the bytes decode to (float64 arithmetic, for measuring). */
  readonly dequantized: Float32Array;
}

export function gptqBlocks(
  codec: BlockCodec, w: Float32Array, rows: number, cols: number, hessian?: Float64Array, name = 'matrix',
): BlockQuantized {
  const B = codec.blockSize;
  if (w.length !== rows * cols) throw new RangeError(`${codec.name}: ${name} has ${w.length} values, expected ${rows} x ${cols}`);
  if (cols % B !== 0) throw new RangeError(`${codec.name}: ${name} rows of ${cols} are not a multiple of the ${B}-element block`);
  if (hessian && hessian.length !== cols * cols) throw new RangeError(`${codec.name}: ${name}: Hessian has ${hessian.length} entries, expected ${cols}^2`);
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) throw new RangeError(`${codec.name}: ${name}[${Math.floor(i / cols)}][${i % cols}] is ${w[i]}`);
  }
  const work = Float64Array.from(w); // [rows, cols] values being compensated
  const upper = hessian ? inverseHessianFactor(Float64Array.from(hessian), cols) : undefined;
  const importance = new Float64Array(cols); // [cols] diag(H), or 1
  for (let j = 0; j < cols; j++) importance[j] = hessian ? Math.max(hessian[j * cols + j], 0) : 1;
  const blocksPerRow = cols / B;
  const bytes = new Uint8Array(rows * blocksPerRow * codec.blockBytes);
  const dequantized = new Float32Array(rows * cols);
  const plans: BlockPlan[] = new Array(rows);
  const levels = new Int32Array(rows * B); // [rows, B] the current block's levels
  for (let c0 = 0; c0 < cols; c0 += B) {
    const imp = importance.subarray(c0, c0 + B);
    for (let r = 0; r < rows; r++) plans[r] = codec.plan(work.subarray(r * cols + c0, r * cols + c0 + B), imp);
    for (let i = c0; i < c0 + B; i++) {
      const g = Math.floor((i - c0) / codec.groupSize);
      const d = upper ? upper[i * cols + i] : 1;
      for (let r = 0; r < rows; r++) {
        const x = work[r * cols + i];
        const level = levelOf(codec, plans[r], g, x);
        const v = levelValue(plans[r], g, level);
        levels[r * B + (i - c0)] = level;
        dequantized[r * cols + i] = v;
        if (!upper) continue;
        const err = (x - v) / d;
        if (err === 0) continue;
        const row = r * cols;
        const u = i * cols;
        for (let j = i + 1; j < cols; j++) work[row + j] -= err * upper[u + j];
      }
    }
    const blockIndex = c0 / B;
    for (let r = 0; r < rows; r++) {
      codec.pack(plans[r], levels.subarray(r * B, (r + 1) * B), bytes, (r * blocksPerRow + blockIndex) * codec.blockBytes);
    }
  }
  return { bytes, dequantized };
}
