// Integer RoPE: both wasm builds equal the scalar reference bit for bit (both layouts, head sizes with
// and without SIMD blocks, zero points, extremes), and the output is within ROPE_MAX_ERROR_STEPS int8
// steps of a float64 rotation; the table itself is checked against llama2.c's and HF's formulas.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';
import { rope, ropeI32 } from '../../bindings/ops/rope.js';
import { buildRopeTable, type RopeLayout } from '../../bindings/ops/rope-table.js';
import { ropeRowsI32Ref, ropeRowsI8Ref, ROPE_MAX_ERROR_STEPS } from '../../bindings/ops/rope.ref.js';
import { quantizeRowsI8 } from '../../bindings/offline/quantize-rows.js';
import { dequantizeRows } from '../../bindings/ops/requant.ref.js';
import type { RowParams } from '../../bindings/common/rows.js';
import { Rng, seeds } from '../helpers/rng.js';

const builds = ['simd', 'relaxed'] as const;
const runtimes: Record<string, DyadicRuntime> = {};
beforeAll(async () => {
  for (const b of builds) runtimes[b] = await loadRuntime({ build: b });
});

/** float64 RoPE of one head written from the two published formulas (not from the table). */
function rotate64(x: number[], pos: number, theta: number, layout: RopeLayout): number[] {
  const d = x.length;
  const y = x.slice();
  for (let i = 0; i < d / 2; i++) {
    const a = pos * theta ** (-(2 * i) / d);
    const [j0, j1] = layout === 'adjacent' ? [2 * i, 2 * i + 1] : [i, i + d / 2]; // llama2.c : HF rotate_half
    y[j0] = x[j0] * Math.cos(a) - x[j1] * Math.sin(a);
    y[j1] = x[j0] * Math.sin(a) + x[j1] * Math.cos(a);
  }
  return y;
}

describe('RoPE', () => {
  for (const seed of seeds(61)) {
    it(`kernel equals the reference bit for bit: layouts, head sizes, positions, zero points, seed ${seed}`, () => {
      const rng = new Rng(seed);
      for (const layout of ['adjacent', 'half'] as RopeLayout[]) {
        for (const headDim of [2, 4, 6, 8, 10, 16, 24, 32, 48, 64, 80, 128]) {
          const maxPos = rng.int(1, 300);
          const table = buildRopeTable({ headDim, maxPos, theta: rng.pick([10000, 500000, 1e6, 17.5]), layout });
          const rows = rng.int(1, 5);
          const heads = rng.int(1, 4);
          const width = heads * headDim;
          const kind = rng.int(0, 3);
          const q = kind === 0 ? new Int8Array(rows * width).fill(-128) : kind === 1 ? new Int8Array(rows * width).fill(127) : rng.int8s(rows * width);
          const params: RowParams = { m: new Int32Array(rows), k: new Int32Array(rows), z: new Int32Array(rows) };
          for (let r = 0; r < rows; r++) {
            params.m[r] = rng.int(1, 2 ** 16);
            params.k[r] = rng.int(0, 40);
            params.z[r] = rng.pick([-128, 127, rng.int(-128, 127)]);
          }
          const pos = Int32Array.from({ length: rows }, () => rng.int(0, maxPos - 1));
          const args = { x: q, params, rows, heads, table, pos };
          const want8 = ropeRowsI8Ref(args);
          const want32 = ropeRowsI32Ref(args);
          for (const b of builds) {
            const tag = `${b} ${layout} headDim=${headDim} heads=${heads}`;
            const got8 = rope(runtimes[b], { q, params }, rows, heads, table, pos);
            expect(got8.q, tag).toEqual(want8.q);
            expect(got8.params, tag).toEqual(want8.params);
            expect(ropeI32(runtimes[b], { q, params }, rows, heads, table, pos), tag).toEqual(want32);
          }
        }
      }
    });
  }

  for (const seed of seeds(63)) {
    it(`is within ${ROPE_MAX_ERROR_STEPS.toFixed(3)} int8 steps of float64 RoPE (bar: 1 step), seed ${seed}`, () => {
      const rng = new Rng(seed);
      let worst = 0;
      for (const layout of ['adjacent', 'half'] as RopeLayout[]) {
        for (const [headDim, theta] of [[64, 10000], [128, 500000], [48, 1e6], [6, 10000]] as const) {
          const maxPos = 4096;
          const table = buildRopeTable({ headDim, maxPos, theta, layout });
          const rows = 8, heads = 3, width = heads * headDim;
          const real = Array.from({ length: rows * width }, () => rng.normal() * (rng.int(0, 50) === 0 ? 8 : 1) + 0.3);
          const x = quantizeRowsI8(real, rows, width);
          const xd = dequantizeRows(x.q, rows, width, x.params);
          const pos = Int32Array.from({ length: rows }, (_, r) => (r < 2 ? r : rng.int(0, maxPos - 1)));
          const out = ropeRowsI8Ref({ x: x.q, params: x.params, rows, heads, table, pos });
          const yd = dequantizeRows(out.q, rows, width, out.params);
          for (let r = 0; r < rows; r++) {
            const step = out.params.m[r] / 2 ** out.params.k[r];
            for (let h = 0; h < heads; h++) {
              const base = r * width + h * headDim;
              const want = rotate64(Array.from(xd.subarray(base, base + headDim)), pos[r], theta, layout);
              for (let j = 0; j < headDim; j++) {
                const err = Math.abs(yd[base + j] - want[j]) / step;
                worst = Math.max(worst, err);
                expect(err, `${layout} d=${headDim} pos=${pos[r]} j=${j}`).toBeLessThanOrEqual(ROPE_MAX_ERROR_STEPS);
              }
            }
          }
        }
      }
      console.log(`rope max error vs float64: ${worst.toFixed(3)} int8 steps (budget ${ROPE_MAX_ERROR_STEPS.toFixed(3)}, bar 1)`);
    });
  }

  it('position 0 is the identity on the int32 path', () => {
    const table = buildRopeTable({ headDim: 8, maxPos: 4, layout: 'half' });
    const x = { q: Int8Array.from([1, -2, 3, -4, 5, -6, 7, -128]), params: { m: Int32Array.of(3), k: Int32Array.of(5), z: Int32Array.of(-1) } };
    const out = ropeI32(runtimes.simd, x, 1, 1, table, Int32Array.of(0));
    expect(Array.from(out.p)).toEqual(Array.from(x.q, (v) => (v + 1) * 2 ** 14));
    expect([out.m[0], out.k[0]]).toEqual([3, 19]);
  });

  it('rejects bad arguments with errors that name them', () => {
    const rt = runtimes.simd;
    const table = buildRopeTable({ headDim: 8, maxPos: 16, layout: 'adjacent' });
    const params = { m: Int32Array.of(1), k: Int32Array.of(0), z: Int32Array.of(0) };
    expect(() => rope(rt, { q: new Int8Array(8), params }, 1, 1, table, Int32Array.of(16))).toThrow(/positions\[0\] = 16 is outside the table's 0..15/);
    expect(() => rope(rt, { q: new Int8Array(7), params }, 1, 1, table, Int32Array.of(0))).toThrow(/x has 7 elements, expected \[1, 8\]/);
    expect(() => rope(rt, { q: new Int8Array(8), params }, 1, 1, table, new Int32Array(2))).toThrow(/positions has 2 elements, expected \[1\]/);
    expect(() => buildRopeTable({ headDim: 7, maxPos: 4, layout: 'half' })).toThrow(/headDim must be an even integer/);
    expect(() => buildRopeTable({ headDim: 8, maxPos: 4, layout: 'interleaved' as never })).toThrow(/layout must be 'adjacent' or 'half'/);
  });
});
