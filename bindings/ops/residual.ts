// Residual add and requantization of the int32 residual stream: validated TypeScript entries to
// di_residual_add_rows (assembly/ops/residual.ts) and di_requant_i32_rows
// (assembly/ops/requant.ts).

import type { DyadicRuntime } from '../runtime/instance.js';
import type { RowParams } from '../common/rows.js';
import { withScratch } from './arena-io.js';
import type { Residual } from '../common/rows.js';
import { checkInt, checkRowParams, checkTensor } from './validate.js';

function checkResidual(op: string, a: Residual, rows: number, n: number): void {
  checkInt(op, 'rows', rows, 1, 2 ** 24);
  checkInt(op, 'n (row length)', n, 1, 2 ** 24);
  checkTensor(op, 'residual p', a?.p, Int32Array, [rows, n]);
  checkRowParams(op, 'residual', a, rows, false);
  for (let i = 0; i < a.p.length; i++) {
    if (a.p[i] >= 2 ** 30 || a.p[i] <= -(2 ** 30)) {
      throw new RangeError(`dyadic ${op}: the residual stream needs |p| < 2^30, p[${Math.floor(i / n)}, ${i % n}] = ${a.p[i]}`);
    }
  }
}

/** a (int32 residual, per-row scale) + b (int8 branch output, per-row scale and zero point) -> int32 residual. */
export function residualAdd(rt: DyadicRuntime, a: Residual, b: { q: Int8Array; params: RowParams }, rows: number, n: number): Residual {
  const op = 'residualAdd';
  checkResidual(op, a, rows, n);
  checkTensor(op, 'branch q', b?.q, Int8Array, [rows, n]);
  checkRowParams(op, 'branch', b.params, rows, true);
  return withScratch(rt, (f) => {
    const R = rows * 4;
    const aOff = f.put(a.p, 'residual [rows, n] int32');
    const ap = f.put(Int32Array.from([...a.m, ...a.k]), 'residual row scales [2, rows]');
    const bOff = f.put(b.q, 'branch [rows, n] int8');
    const bp = f.put(Int32Array.from([...b.params.m, ...b.params.k, ...b.params.z]), 'branch row params [3, rows]');
    const out = f.alloc(rows * n * 4, 'residual output [rows, n] int32');
    const op2 = f.alloc(rows * 8, 'residual output row scales [2, rows]');
    rt.call('di_residual_add_rows', aOff, rows, n, n, ap, ap + R, bOff, n, bp, bp + R, bp + 2 * R, out, n, op2, op2 + R);
    return { p: f.i32(out, rows * n), m: f.i32(op2, rows), k: f.i32(op2 + R, rows) };
  });
}

/** int32 rows (|p| < 2^30, per-row scale) -> int8 rows with per-row (m, k, z), the matmul input format. */
export function requantizeRows(rt: DyadicRuntime, a: Residual, rows: number, n: number): { q: Int8Array; params: RowParams } {
  const op = 'requantizeRows';
  checkResidual(op, a, rows, n);
  return withScratch(rt, (f) => {
    const R = rows * 4;
    const aOff = f.put(a.p, 'requant input [rows, n] int32');
    const ap = f.put(Int32Array.from([...a.m, ...a.k]), 'requant input row scales [2, rows]');
    const out = f.alloc(rows * n, 'requant output [rows, n] int8');
    const params = f.alloc(rows * 12, 'requant output row params [3, rows]');
    rt.call('di_requant_i32_rows', aOff, rows, n, n, ap, ap + R, out, n, params, params + R, params + 2 * R);
    return { q: f.i8(out, rows * n), params: { m: f.i32(params, rows), k: f.i32(params + R, rows), z: f.i32(params + 2 * R, rows) } };
  });
}
