// RoPE on int8 q/k: validated TypeScript entry to di_rope_rows (contract in assembly/ops/rope.ts).

import type { DyadicRuntime } from '../runtime/instance.js';
import type { RowParams } from '../common/rows.js';
import { withScratch } from './arena-io.js';
import { ROPE_LAYOUT_CODE, type RopeTable } from './rope-table.js';
import { checkInt, checkRowParams, checkTensor } from './validate.js';

export interface RopeInput {
  q: Int8Array; // [rows, heads * headDim]
  params: RowParams; // [rows]
}

function validate(op: string, x: RopeInput, rows: number, heads: number, table: RopeTable, pos: Int32Array): void {
  checkInt(op, 'rows', rows, 1, 2 ** 24);
  checkInt(op, 'heads', heads, 1, 2 ** 16);
  if (!table || !(table.data instanceof Int16Array)) throw new TypeError(`dyadic ${op}: table must come from buildRopeTable`);
  checkTensor(op, 'table.data', table.data, Int16Array, [table.maxPos, table.headDim, 2]);
  checkTensor(op, 'x', x?.q, Int8Array, [rows, heads * table.headDim]);
  checkRowParams(op, 'x', x.params, rows, true);
  checkTensor(op, 'positions', pos, Int32Array, [rows]);
  for (let r = 0; r < rows; r++) {
    if (pos[r] < 0 || pos[r] >= table.maxPos) {
      throw new RangeError(`dyadic ${op}: positions[${r}] = ${pos[r]} is outside the table's 0..${table.maxPos - 1}`);
    }
  }
}

function run(rt: DyadicRuntime, x: RopeInput, rows: number, heads: number, table: RopeTable, pos: Int32Array, mode: 0 | 1) {
  const hd = table.headDim;
  const width = heads * hd;
  // upload only the table rows these positions use
  let lo = pos[0], hi = pos[0];
  for (const t of pos) {
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  const slice = table.data.subarray(lo * hd * 2, (hi + 1) * hd * 2);
  const rel = pos.map((t) => t - lo);
  return withScratch(rt, (f) => {
    const xOff = f.put(x.q, 'rope x [rows, heads * headDim] int8');
    const R = rows * 4;
    const pr = f.put(Int32Array.from([...x.params.m, ...x.params.k, ...x.params.z]), 'rope row params [3, rows]');
    const tab = f.put(slice, 'rope table rows [positions, headDim, 2] int16');
    const posOff = f.put(rel, 'rope positions [rows]');
    const scratch = f.alloc((width + 4) * 4, 'rope scratch int32 [width + 4]');
    const out = f.alloc(rows * width * (mode === 1 ? 4 : 1), 'rope output [rows, width]');
    const params = f.alloc(rows * 12, 'rope output row params [3, rows]');
    rt.call(
      'di_rope_rows', xOff, rows, heads, hd, width, pr, pr + R, pr + 2 * R,
      ROPE_LAYOUT_CODE[table.layout], tab, hi - lo + 1, posOff, scratch, mode, out, width, params, params + R, params + 2 * R,
    );
    return {
      q8: mode === 0 ? f.i8(out, rows * width) : null,
      p32: mode === 1 ? f.i32(out, rows * width) : null,
      m: f.i32(params, rows),
      k: f.i32(params + R, rows),
      z: f.i32(params + 2 * R, rows),
    };
  });
}

/** Rotates int8 rows (one token's heads per row) at the given positions; int8 out with per-row (m, k, z). */
export function rope(rt: DyadicRuntime, x: RopeInput, rows: number, heads: number, table: RopeTable, positions: Int32Array): { q: Int8Array; params: RowParams } {
  validate('rope', x, rows, heads, table, positions);
  const r = run(rt, x, rows, heads, table, positions, 0);
  return { q: r.q8!, params: { m: r.m, k: r.k, z: r.z } };
}

/** The same rotation with int32 output p and per-row (m, k): y ~ p * m / 2^k (no requantization). */
export function ropeI32(rt: DyadicRuntime, x: RopeInput, rows: number, heads: number, table: RopeTable, positions: Int32Array): { p: Int32Array; m: Int32Array; k: Int32Array } {
  validate('rope', x, rows, heads, table, positions);
  const r = run(rt, x, rows, heads, table, positions, 1);
  return { p: r.p32!, m: r.m, k: r.k };
}
