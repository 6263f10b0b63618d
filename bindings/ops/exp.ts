// DI-Exp: validated TypeScript entry to di_exp_rows (contract in assembly/ops/exp.ts).

import type { DyadicRuntime } from '../runtime/instance.js';
import type { Dyadic } from '../common/dyadic.js';
import { withScratch } from './arena-io.js';
import { checkExpScale, checkInt, checkTensor } from './validate.js';

/** exp(x * s) in Q29 for x [rows, n] int32 <= 0 (positive x count as 0), one dyadic scale s. */
export function diExp(rt: DyadicRuntime, x: Int32Array, rows: number, n: number, scale: Dyadic): Int32Array {
  const op = 'exp';
  checkInt(op, 'rows', rows, 1, 2 ** 24);
  checkInt(op, 'n (row length)', n, 1, 2 ** 24);
  checkTensor(op, 'x', x, Int32Array, [rows, n]);
  checkInt(op, 'scale.m', scale?.m, 1, 2 ** 31 - 1);
  checkInt(op, 'scale.k', scale.k, -62, 126);
  checkExpScale(op, 'scale', scale.m, scale.k);
  return withScratch(rt, (f) => {
    const xOff = f.put(x, 'exp input [rows, n] int32');
    const mOff = f.put(Int32Array.of(scale.m), 'exp scale mantissa');
    const kOff = f.put(Int32Array.of(scale.k), 'exp scale exponent');
    const out = f.alloc(rows * n * 4, 'exp output [rows, n] int32');
    rt.call('di_exp_rows', xOff, rows, n, n, mOff, kOff, 0, out, n);
    return f.i32(out, rows * n);
  });
}
