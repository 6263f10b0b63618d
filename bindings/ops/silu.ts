// DI-SiLU / DI-SwiGLU: validated TypeScript entry to di_swiglu_rows (contract in
// assembly/ops/silu.ts). Smoothing factors arrive as int16 mantissas (bindings/offline/channel-factors.ts).

import type { DyadicRuntime } from '../runtime/instance.js';
import type { RowParams } from '../common/rows.js';
import { withScratch } from './arena-io.js';
import { checkExpScale, checkInt, checkRowParams, checkTensor } from './validate.js';

/** 1 / s_c ~ a[c] / 2^k with int16 mantissas a >= 0: the sigmoid runs on gate / s_c. */
export interface SmoothFactors {
  a: Int16Array; // [n]
  k: number;
}

export interface SwigluInput {
  q: Int8Array; // [rows, n]
  params: RowParams; // [rows]
}

function validate(op: string, gate: SwigluInput, up: SwigluInput | null, rows: number, n: number, smooth: SmoothFactors | null): void {
  checkInt(op, 'rows', rows, 1, 2 ** 24);
  checkInt(op, 'n (row length)', n, 1, 2 ** 24);
  checkTensor(op, 'gate', gate?.q, Int8Array, [rows, n]);
  checkRowParams(op, 'gate', gate.params, rows, true);
  if (up) {
    checkTensor(op, 'up', up.q, Int8Array, [rows, n]);
    checkRowParams(op, 'up', up.params, rows, true);
  }
  if (smooth) {
    checkTensor(op, 'smooth.a', smooth.a, Int16Array, [n]);
    checkInt(op, 'smooth.k', smooth.k, -62, 62);
    for (let c = 0; c < n; c++) if (smooth.a[c] < 0) throw new RangeError(`dyadic ${op}: smooth.a[${c}] = ${smooth.a[c]} must be >= 0`);
  }
  for (let r = 0; r < rows; r++) {
    checkExpScale(op, `gate scale of row ${r}${smooth ? ' / s' : ''}`, gate.params.m[r], gate.params.k[r] + (smooth ? smooth.k : 0));
  }
}

function run(rt: DyadicRuntime, gate: SwigluInput, up: SwigluInput | null, rows: number, n: number, smooth: SmoothFactors | null, mode: 0 | 1) {
  return withScratch(rt, (f) => {
    const g = f.put(gate.q, 'swiglu gate [rows, n] int8');
    const gp = f.put(Int32Array.from([...gate.params.m, ...gate.params.k, ...gate.params.z]), 'swiglu gate row params [3, rows]');
    const u = up ? f.put(up.q, 'swiglu up [rows, n] int8') : 0;
    const up3 = up ? f.put(Int32Array.from([...up.params.m, ...up.params.k, ...up.params.z]), 'swiglu up row params [3, rows]') : 0;
    const sm = smooth ? f.put(smooth.a, 'swiglu smoothing [n] int16') : 0;
    const scratch = f.alloc((n + 4) * 4, 'swiglu scratch int32 [n + 4]');
    const out = f.alloc(rows * n * (mode === 1 ? 4 : 1), 'swiglu output [rows, n]');
    const params = f.alloc(rows * 12, 'swiglu output row params [3, rows]');
    const R = rows * 4;
    rt.call(
      'di_swiglu_rows', g, rows, n, n, gp, gp + R, gp + 2 * R,
      u, n, up3, up3 + (up ? R : 0), up3 + (up ? 2 * R : 0),
      sm, smooth?.k ?? 0, scratch, mode, out, n, params, params + R, params + 2 * R,
    );
    return {
      q8: mode === 0 ? f.i8(out, rows * n) : null,
      p32: mode === 1 ? f.i32(out, rows * n) : null,
      m: f.i32(params, rows),
      k: f.i32(params + R, rows),
      z: f.i32(params + 2 * R, rows),
    };
  });
}

/**
 * SwiGLU: gate * sigmoid(gate / s) * up (up = null: SiLU alone), int8 rows with per-row (m, k, z) in and
 * out (the matmul format).
 */
export function swiglu(
  rt: DyadicRuntime, gate: SwigluInput, up: SwigluInput | null, rows: number, n: number, smooth: SmoothFactors | null = null,
): { q: Int8Array; params: RowParams } {
  validate('swiglu', gate, up, rows, n, smooth);
  const r = run(rt, gate, up, rows, n, smooth, 0);
  return { q: r.q8!, params: { m: r.m, k: r.k, z: r.z } };
}

/** The same with an int32 output p and per-row (m, k): y ~ p * m / 2^k. */
export function swigluI32(
  rt: DyadicRuntime, gate: SwigluInput, up: SwigluInput | null, rows: number, n: number, smooth: SmoothFactors | null = null,
): { p: Int32Array; m: Int32Array; k: Int32Array } {
  validate('swiglu', gate, up, rows, n, smooth);
  const r = run(rt, gate, up, rows, n, smooth, 1);
  return { p: r.p32!, m: r.m, k: r.k };
}
