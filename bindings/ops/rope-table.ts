// RoPE tables, built at load time in float (offline) and stored as int16 fixed point for the integer
// kernel (assembly/ops/rope.ts holds the table's contract).

/** 0: adjacent pairs (x[2i], x[2i+1]) as in llama2.c and GGUF; 1: half-split (x[i], x[i + d/2]) as in HF. */
export type RopeLayout = 'adjacent' | 'half';
export const ROPE_LAYOUT_CODE: Record<RopeLayout, number> = { adjacent: 0, half: 1 };
/** Fraction bits of the cos/sin entries (1.0 = 2^14 fits int16 with sign). */
export const ROPE_FRAC_BITS = 14;

export interface RopeTable {
  /** int16 [maxPos, headDim, 2]: (C, S) per position and element, see assembly/ops/rope.ts. */
  data: Int16Array;
  headDim: number;
  maxPos: number;
  layout: RopeLayout;
  theta: number;
}

/** The pair index of element j and whether j is the pair's first member. */
export function ropePair(j: number, headDim: number, layout: RopeLayout): { pair: number; first: boolean; partner: number } {
  const half = headDim >> 1;
  if (layout === 'adjacent') return { pair: j >> 1, first: (j & 1) === 0, partner: j ^ 1 };
  return j < half ? { pair: j, first: true, partner: j + half } : { pair: j - half, first: false, partner: j - half };
}

/** Frequencies w_i = theta^(-2i / headDim) of the headDim/2 pairs. */
export function ropeFrequencies(headDim: number, theta: number): Float64Array {
  const w = new Float64Array(headDim >> 1);
  for (let i = 0; i < w.length; i++) w[i] = theta ** (-(2 * i) / headDim);
  return w;
}

export function buildRopeTable(o: { headDim: number; maxPos: number; theta?: number; layout: RopeLayout }): RopeTable {
  const { headDim, maxPos, layout } = o;
  const theta = o.theta ?? 10000;
  if (!Number.isInteger(headDim) || headDim < 2 || headDim % 2 !== 0 || headDim > 65536) {
    throw new RangeError(`dyadic rope: headDim must be an even integer in 2..65536, got ${headDim}`);
  }
  if (!Number.isInteger(maxPos) || maxPos < 1 || maxPos * headDim > 2 ** 27) {
    throw new RangeError(`dyadic rope: maxPos must be an integer >= 1 with maxPos * headDim <= 2^27, got ${maxPos}`);
  }
  if (!(theta > 1) || !Number.isFinite(theta)) throw new RangeError(`dyadic rope: theta must be finite and > 1, got ${theta}`);
  if (layout !== 'adjacent' && layout !== 'half') throw new RangeError(`dyadic rope: layout must be 'adjacent' or 'half', got '${String(layout)}'`);
  const w = ropeFrequencies(headDim, theta);
  const one = 2 ** ROPE_FRAC_BITS;
  const data = new Int16Array(maxPos * headDim * 2); // [maxPos, headDim, 2]
  for (let t = 0; t < maxPos; t++) {
    for (let j = 0; j < headDim; j++) {
      const { pair, first } = ropePair(j, headDim, layout);
      const c = Math.round(Math.cos(t * w[pair]) * one);
      const s = Math.round(Math.sin(t * w[pair]) * one);
      data[(t * headDim + j) * 2] = c;
      data[(t * headDim + j) * 2 + 1] = first ? -s : s;
    }
  }
  return { data, headDim, maxPos, layout, theta };
}
