import { describe, expect, it } from 'vitest';
import { loadRuntime } from '../../bindings/entry/node.js';
import { withScratch } from '../../bindings/ops/arena-io.js';
import { reduceLevelsRef } from '../../bindings/ops/levels.ref.js';
import type { RowParams } from '../../bindings/common/rows.js';
import { rng, randInt, seeds } from '../helpers/rng.js';

describe('reduce_levels_rows (A6/A4 activations)', async () => {
  const runtimes = await Promise.all([loadRuntime({ build: 'simd' }), loadRuntime({ build: 'relaxed' })]);
  for (const seed of seeds(5)) {
    for (const bits of [2, 4, 6, 7]) {
      it(`equals the reference and stays within half a new step of the original values (${bits} bits, seed ${seed})`, () => {
        const r = rng(seed + bits);
        const rows = 7;
        const n = 37;
        const q = new Int8Array(rows * n);
        const params: RowParams = { m: new Int32Array(rows), k: new Int32Array(rows), z: new Int32Array(rows) };
        for (let i = 0; i < rows; i++) {
          const lo = randInt(r, -128, 127);
          const hi = i === 0 ? lo : randInt(r, lo, 127); // row 0: a constant row
          for (let j = 0; j < n; j++) q[i * n + j] = randInt(r, lo, hi);
          params.z[i] = randInt(r, -128, 127);
          params.m[i] = randInt(r, 2 ** 14, 2 ** 16);
          params.k[i] = randInt(r, 10, 30);
        }
        const ref = reduceLevelsRef(q, rows, n, params, bits);
        for (const rt of runtimes) {
          const got = withScratch(rt, (f) => {
            const at = f.put(q, 'q');
            const m = f.put(params.m, 'm');
            const k = f.put(params.k, 'k');
            const z = f.put(params.z, 'z');
            rt.call('reduce_levels_rows', at, rows, n, n, m, k, z, bits);
            return { q: f.i8(at, rows * n), params: { m: f.i32(m, rows), k: f.i32(k, rows), z: f.i32(z, rows) } };
          });
          expect(got).toEqual(ref);
        }
        // float64 oracle: each value moves by at most half a new step (plus the mantissa's rounding)
        for (let i = 0; i < rows; i++) {
          const levels = new Set(Array.from(ref.q.subarray(i * n, (i + 1) * n)));
          expect(levels.size).toBeLessThanOrEqual(2 ** bits);
          const s0 = params.m[i] / 2 ** params.k[i];
          const s1 = ref.params.m[i] / 2 ** ref.params.k[i];
          for (let j = 0; j < n; j++) {
            const before = s0 * (q[i * n + j] - params.z[i]);
            const after = s1 * (ref.q[i * n + j] - ref.params.z[i]);
            expect(Math.abs(after - before)).toBeLessThanOrEqual(s1 * 1.001 + 1e-12);
          }
        }
      });
    }
  }
});
