// DI-SiLU / DI-SwiGLU: both wasm builds equal the scalar reference bit for bit (with and without up and
// smoothing, extremes), and the reference meets its budgets against float64.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';
import { swiglu, swigluI32, type SmoothFactors } from '../../bindings/ops/silu.js';
import { quantizeSmoothing } from '../../bindings/offline/channel-factors.js';
import { swigluRowsI32Ref, swigluRowsI8Ref, SILU_I32_MAX_ERROR_OF_ROW_MAX, SILU_I8_MAX_ERROR_OF_ROW_MAX } from '../../bindings/ops/silu.ref.js';
import { quantizeRowsI8 } from '../../bindings/offline/quantize-rows.js';
import { dequantizeRows, dequantizeI32Rows } from '../../bindings/ops/requant.ref.js';
import type { RowParams } from '../../bindings/common/rows.js';
import { Rng, seeds } from '../helpers/rng.js';

const builds = ['simd', 'relaxed'] as const;
const runtimes: Record<string, DyadicRuntime> = {};
beforeAll(async () => {
  for (const b of builds) runtimes[b] = await loadRuntime({ build: b });
});

function randomParams(rng: Rng, rows: number): RowParams {
  const p: RowParams = { m: new Int32Array(rows), k: new Int32Array(rows), z: new Int32Array(rows) };
  for (let r = 0; r < rows; r++) {
    p.m[r] = rng.int(2 ** 14, 2 ** 16);
    p.k[r] = rng.int(14, 26); // with smoothing (1/s up to 2^3, k up to +12) the sigmoid scale stays within 2^-30..
    p.z[r] = rng.pick([-128, 127, 0, rng.int(-128, 127)]);
  }
  return p;
}

describe('DI-SwiGLU', () => {
  for (const seed of [...seeds(51), 230019476]) {
    it(`kernel equals the reference bit for bit: n sweep, SiLU/SwiGLU, smoothing, extremes, seed ${seed}`, () => {
      const rng = new Rng(seed);
      for (const n of [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 512, 4096]) {
        const rows = n >= 512 ? 2 : rng.int(1, 4);
        const fill = (): Int8Array => {
          const kind = rng.int(0, 3);
          const a = rng.int8s(rows * n);
          if (kind === 0) a.fill(-128);
          if (kind === 1) a.fill(127);
          return a;
        };
        const gate = { q: fill(), params: randomParams(rng, rows) };
        const up = rng.int(0, 2) ? { q: fill(), params: randomParams(rng, rows) } : null;
        let smooth: SmoothFactors | null = null;
        if (rng.int(0, 1)) smooth = quantizeSmoothing(Array.from({ length: n }, () => 2 ** rng.uniform(-3, 3)));
        const args = { gate: gate.q, gateParams: gate.params, up: up?.q ?? null, upParams: up?.params ?? null, smooth: smooth?.a ?? null, smoothK: smooth?.k ?? 0, rows, n };
        const want8 = swigluRowsI8Ref(args);
        const want32 = swigluRowsI32Ref(args);
        for (const b of builds) {
          const tag = `${b} n=${n} up=${!!up} smooth=${!!smooth}`;
          const got8 = swiglu(runtimes[b], gate, up, rows, n, smooth);
          expect(got8.q, tag).toEqual(want8.q);
          expect(got8.params, tag).toEqual(want8.params);
          const got32 = swigluI32(runtimes[b], gate, up, rows, n, smooth);
          expect(got32, tag).toEqual(want32);
        }
      }
    });
  }

  for (const seed of seeds(53)) {
    it(`meets its budgets against float64 (max error relative to the row's max |output|), seed ${seed}`, () => {
      const rng = new Rng(seed);
      let worst32 = 0, worst8 = 0;
      for (const n of [64, 512, 4096]) {
        for (const sd of [0.5, 2, 6, 20]) {
          for (const mode of ['silu', 'swiglu', 'smoothed'] as const) {
            const rows = 2;
            const g = Array.from({ length: rows * n }, () => rng.normal() * sd * (rng.int(0, 200) === 0 ? 10 : 1));
            const u = Array.from({ length: rows * n }, () => rng.normal());
            const gate = quantizeRowsI8(g, rows, n);
            const up = mode === 'silu' ? null : quantizeRowsI8(u, rows, n);
            const sF = mode === 'smoothed' ? Array.from({ length: n }, () => 2 ** rng.uniform(-2, 2)) : null;
            const smooth = sF ? quantizeSmoothing(sF) : null;
            // float64 oracle on the dequantized inputs and the quantized smoothing factors
            const gd = dequantizeRows(gate.q, rows, n, gate.params);
            const ud = up ? dequantizeRows(up.q, rows, n, up.params) : null;
            const want = new Float64Array(rows * n);
            for (let i = 0; i < rows * n; i++) {
              const c = i % n;
              const t = smooth ? gd[i] * (smooth.a[c] / 2 ** smooth.k) : gd[i];
              want[i] = (gd[i] / (1 + Math.exp(-t))) * (ud ? ud[i] : 1);
            }
            const args = { gate: gate.q, gateParams: gate.params, up: up?.q ?? null, upParams: up?.params ?? null, smooth: smooth?.a ?? null, smoothK: smooth?.k ?? 0, rows, n };
            const r32 = swigluRowsI32Ref(args);
            const y32 = dequantizeI32Rows(r32.p, rows, n, r32);
            const r8 = swigluRowsI8Ref(args);
            const y8 = dequantizeRows(r8.q, rows, n, r8.params);
            for (let r = 0; r < rows; r++) {
              let mx = 0, e32 = 0, e8 = 0;
              for (let j = 0; j < n; j++) {
                const i = r * n + j;
                mx = Math.max(mx, Math.abs(want[i]));
                e32 = Math.max(e32, Math.abs(y32[i] - want[i]));
                e8 = Math.max(e8, Math.abs(y8[i] - want[i]));
              }
              if (mx === 0) continue;
              const tag = `${mode} n=${n} sd=${sd} row ${r}`;
              expect(e32 / mx, `${tag} int32`).toBeLessThanOrEqual(SILU_I32_MAX_ERROR_OF_ROW_MAX);
              expect(e8 / mx, `${tag} int8`).toBeLessThanOrEqual(SILU_I8_MAX_ERROR_OF_ROW_MAX);
              worst32 = Math.max(worst32, e32 / mx);
              worst8 = Math.max(worst8, e8 / mx);
            }
          }
        }
      }
      console.log(`swiglu max error / row max |y| vs float64: int32 out ${worst32.toExponential(2)}, int8 out ${worst8.toExponential(2)}`);
    });
  }

  it('rejects bad arguments with errors that name them', () => {
    const rt = runtimes.simd;
    const p = { m: Int32Array.of(1 << 15), k: Int32Array.of(20), z: Int32Array.of(0) };
    const gate = { q: new Int8Array(4), params: p };
    expect(() => swiglu(rt, gate, { q: new Int8Array(3), params: p }, 1, 4)).toThrow(/up has 3 elements, expected \[1, 4\]/);
    expect(() => swiglu(rt, { q: new Int8Array(4), params: { ...p, z: Int32Array.of(300) } }, null, 1, 4)).toThrow(/gate.z\[0\] = 300 is outside -128..127/);
    expect(() => swiglu(rt, { q: new Uint8Array(4) as never, params: p }, null, 1, 4)).toThrow(/gate must be a Int8Array, got Uint8Array/);
    expect(() => swiglu(rt, gate, null, 1, 4, { a: new Int16Array(2), k: 3 })).toThrow(/smooth.a has 2 elements, expected \[4\]/);
    expect(() => swiglu(rt, { q: new Int8Array(4), params: { ...p, k: Int32Array.of(90) } }, null, 1, 4)).toThrow(/gate scale of row 0 = 32768 \/ 2\^90 is outside/);
  });
});
