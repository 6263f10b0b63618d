// Planning for di_attention_rows (assembly/attention.ts): its scratch size and the 1/sqrt(headDim) constant.
import { toDyadic } from '../../quant/dyadic.js';

/** Bytes of scratch di_attention_rows needs for rows attending to at most maxLen positions. */
export function attentionScratchBytes(maxLen: number, nHeads: number, headDim: number): number {
  const width = nHeads * headDim;
  const lenCap = ((maxLen + 7) & ~3) * 4;
  return 3 * lenCap + (maxLen + 2) * 8 + width * 8 + (width + 4) * 4 + 16;
}

/** 1/sqrt(headDim) as a dyadic with a 15-bit mantissa (chosen once at load; offline arithmetic). */
export function inverseSqrtHeadDim(headDim: number): { m: number; k: number } {
  return toDyadic(1 / Math.sqrt(headDim), 15);
}
