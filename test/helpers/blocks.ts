// Random llama.cpp block tensors for the group-wise kernel tests: every quant byte random (any bit
// pattern is a valid stored quant), the f16 scale fields chosen by a style (random magnitudes across a
// wide exponent range and both signs, zero, the largest halves, subnormals), so no encoder is needed.
import { rng, randInt } from './rng.js';
import { groupwiseFormat } from '../../bindings/gemm/groupwise-blocks.js';
import { GgmlType } from '../../bindings/formats/tensor-types.js';

/** Byte offsets of the f16 fields (d, and dmin/m where present) within a block of each type. */
export const HALF_FIELDS: Record<number, number[]> = {
  [GgmlType.Q8_0]: [0], [GgmlType.IQ4_NL]: [0], [GgmlType.Q4_0]: [0], [GgmlType.Q5_0]: [0],
  [GgmlType.Q4_1]: [0, 2], [GgmlType.Q5_1]: [0, 2], [GgmlType.Q4_K]: [0, 2], [GgmlType.Q5_K]: [0, 2],
  [GgmlType.Q6_K]: [208], [GgmlType.Q3_K]: [108], [GgmlType.Q2_K]: [80, 82],
};

/** 'worst': every quant bit set and every half +65504, so all group sums share one sign (the int32 windows' bound). */
export type BlockStyle = 'random' | 'zero-scales' | 'max-quants' | 'max-scales' | 'tiny-scales' | 'mixed' | 'worst';

/** A half with exponent field in [elo, ehi] (1..30), random mantissa and sign. */
function randHalf(r: () => number, elo: number, ehi: number): number {
  return (r() < 0.5 ? 0x8000 : 0) | (randInt(r, elo, ehi) << 10) | randInt(r, 0, 1023);
}

export function randomBlocks(type: number, N: number, K: number, seed: number, style: BlockStyle = 'random'): Uint8Array {
  const f = groupwiseFormat(type)!;
  const r = rng(seed);
  const nb = (N * K) / f.blockSize;
  const out = new Uint8Array(nb * f.blockBytes);
  for (let i = 0; i < out.length; i++) out[i] = style === 'max-quants' || style === 'worst' ? 0xff : randInt(r, 0, 255);
  for (let b = 0; b < nb; b++) {
    // rows share a magnitude so a row mixes close and far scales, as real tensors do
    for (const at of HALF_FIELDS[type]) {
      let h: number;
      if (style === 'zero-scales' || (style === 'mixed' && r() < 0.2)) h = r() < 0.5 ? 0 : 0x8000;
      else if (style === 'worst') h = 0x7bff;
      else if (style === 'max-scales') h = (r() < 0.5 ? 0x8000 : 0) | 0x7bff; // 65504
      else if (style === 'tiny-scales') h = randInt(r, 1, 1023); // subnormal
      else h = randHalf(r, 2, 20);
      const p = b * f.blockBytes + at;
      out[p] = h & 0xff;
      out[p + 1] = h >> 8;
    }
  }
  return out;
}
