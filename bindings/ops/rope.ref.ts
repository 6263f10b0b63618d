// Scalar reference of the integer RoPE (assembly/ops/rope.ts holds the contract).

import type { RowParams } from '../common/rows.js';
import { requantI32RowsRef, REQUANT_MAX_ERROR_STEPS } from './requant.ref.js';
import { ropePair, ROPE_FRAC_BITS, type RopeTable } from './rope-table.js';

/**
 * Accuracy budget against float64 rotation of the dequantized input, in int8 steps of the output:
 * the requantization (half a step + m_y rounding) plus the int16 table's rounding (2^-15 of |x| per
 * term, under 0.01 step). Issue bar: 1 step.
 */
export const ROPE_MAX_ERROR_STEPS = REQUANT_MAX_ERROR_STEPS + 0.02;

export interface RopeRefArgs {
  x: Int8Array; // [rows, heads * headDim]
  params: RowParams; // [rows]
  rows: number;
  heads: number;
  table: RopeTable;
  pos: Int32Array; // [rows]
}

/** Reference of di_rope_rows mode 1: p [rows, width] int32, scale (m, k + 14). */
export function ropeRowsI32Ref(a: RopeRefArgs): { p: Int32Array; m: Int32Array; k: Int32Array } {
  const { headDim } = a.table;
  const width = a.heads * headDim;
  const p = new Int32Array(a.rows * width); // [rows, width]
  for (let r = 0; r < a.rows; r++) {
    const t = Math.max(0, Math.min(a.table.maxPos - 1, a.pos[r]));
    const z = a.params.z[r];
    for (let h = 0; h < a.heads; h++) {
      for (let j = 0; j < headDim; j++) {
        const { partner } = ropePair(j, headDim, a.table.layout);
        const base = r * width + h * headDim;
        const C = a.table.data[(t * headDim + j) * 2];
        const S = a.table.data[(t * headDim + j) * 2 + 1];
        p[base + j] = (a.x[base + j] - z) * C + (a.x[base + partner] - z) * S;
      }
    }
  }
  return { p, m: a.params.m.slice(), k: a.params.k.map((k) => k + ROPE_FRAC_BITS) };
}

/** Reference of di_rope_rows mode 0: int8 [rows, width] with per-row (m, k, z). */
export function ropeRowsI8Ref(a: RopeRefArgs): { q: Int8Array; params: RowParams } {
  const r = ropeRowsI32Ref(a);
  return requantI32RowsRef(r.p, a.rows, a.heads * a.table.headDim, r);
}
