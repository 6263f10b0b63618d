// Residual add (int32 stream + int8 branch, different per-row dyadic scales) and requantization of the
// stream to int8: both wasm builds equal the scalar references bit for bit, and both are within their
// budgets of float64.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';
import { residualAdd, requantizeRows } from '../../bindings/ops/residual.js';
import { residualAddRef, RESIDUAL_MAX_ERROR_UNITS } from '../../bindings/ops/residual.ref.js';
import { type Residual } from '../../bindings/common/rows.js';
import { requantI32RowsRef, dequantizeRows, dequantizeI32Rows, REQUANT_MAX_ERROR_STEPS } from '../../bindings/ops/requant.ref.js';
import { quantizeRowsI8, quantizeRowsI32 } from '../../bindings/offline/quantize-rows.js';
import type { RowParams } from '../../bindings/common/rows.js';
import { Rng, seeds } from '../helpers/rng.js';

const builds = ['simd', 'relaxed'] as const;
const runtimes: Record<string, DyadicRuntime> = {};
beforeAll(async () => {
  for (const b of builds) runtimes[b] = await loadRuntime({ build: b });
});

const LIM = 2 ** 30 - 1;

function randomStream(rng: Rng, rows: number, n: number): Residual {
  const a: Residual = { p: new Int32Array(rows * n), m: new Int32Array(rows), k: new Int32Array(rows) };
  for (let r = 0; r < rows; r++) {
    const kind = rng.int(0, 4);
    const mag = 2 ** rng.int(0, 29);
    for (let j = 0; j < n; j++) {
      a.p[r * n + j] = kind === 0 ? 0 : kind === 1 ? rng.pick([LIM, -LIM]) : Math.max(-LIM, Math.min(LIM, Math.round(rng.normal() * mag)));
    }
    a.m[r] = rng.int(1, 2 ** 31 - 1);
    a.k[r] = rng.int(-10, 70);
  }
  return a;
}

function randomBranch(rng: Rng, rows: number, n: number): { q: Int8Array; params: RowParams } {
  const kind = rng.int(0, 3);
  const q = kind === 0 ? new Int8Array(rows * n).fill(-128) : kind === 1 ? new Int8Array(rows * n).fill(127) : rng.int8s(rows * n);
  const params: RowParams = { m: new Int32Array(rows), k: new Int32Array(rows), z: new Int32Array(rows) };
  for (let r = 0; r < rows; r++) {
    params.m[r] = rng.int(1, 2 ** 16);
    params.k[r] = rng.int(-10, 70);
    params.z[r] = rng.pick([-128, 127, rng.int(-128, 127)]);
  }
  return { q, params };
}

describe('residual add', () => {
  for (const seed of [...seeds(71), 1934918855]) {
    it(`kernel equals the reference bit for bit: n sweep, extremes, scale ratios from 2^-80 to 2^80, seed ${seed}`, () => {
      const rng = new Rng(seed);
      for (const n of [1, 2, 3, 4, 5, 15, 16, 17, 31, 32, 33, 64, 100, 512, 4096]) {
        const rows = n >= 512 ? 2 : rng.int(1, 5);
        const a = randomStream(rng, rows, n);
        const b = randomBranch(rng, rows, n);
        const want = residualAddRef(a, b, rows, n);
        for (const v of want.p) expect(Math.abs(v)).toBeLessThan(2 ** 30);
        for (const bld of builds) expect(residualAdd(runtimes[bld], a, b, rows, n), `${bld} n=${n}`).toEqual(want);
      }
    });
  }

  for (const seed of seeds(73)) {
    it(`is within ${RESIDUAL_MAX_ERROR_UNITS} output units of float64 and keeps 28-29 significant bits, seed ${seed}`, () => {
      const rng = new Rng(seed);
      let worst = 0;
      for (let trial = 0; trial < 40; trial++) {
        const rows = 3, n = rng.pick([64, 512, 4096]);
        const ratio = 2 ** rng.uniform(-30, 30); // branch magnitude relative to the stream
        const a = quantizeRowsI32(Array.from({ length: rows * n }, () => rng.normal()), rows, n);
        const b = quantizeRowsI8(Array.from({ length: rows * n }, () => rng.normal() * ratio), rows, n);
        const out = residualAddRef(a, b, rows, n);
        const ad = dequantizeI32Rows(a.p, rows, n, a);
        const bd = dequantizeRows(b.q, rows, n, b.params);
        const od = dequantizeI32Rows(out.p, rows, n, out);
        for (let r = 0; r < rows; r++) {
          const unit = out.m[r] / 2 ** out.k[r];
          let mx = 0;
          for (let j = 0; j < n; j++) {
            const i = r * n + j;
            const err = Math.abs(od[i] - (ad[i] + bd[i])) / unit;
            worst = Math.max(worst, err);
            expect(err, `ratio=${ratio} n=${n}`).toBeLessThanOrEqual(RESIDUAL_MAX_ERROR_UNITS);
            mx = Math.max(mx, Math.abs(out.p[i]));
          }
          expect(mx).toBeLessThan(2 ** 29);
          expect(mx).toBeGreaterThanOrEqual(2 ** 26);
        }
      }
      console.log(`residual add max error vs float64: ${worst.toFixed(3)} units of the output scale`);
    });
  }

  it('a chain of 64 adds stays within the stream contract and tracks float64', () => {
    const rng = new Rng(77);
    const rows = 2, n = 96;
    let a = quantizeRowsI32(Array.from({ length: rows * n }, () => rng.normal() * 0.01), rows, n);
    const exact = dequantizeI32Rows(a.p, rows, n, a);
    for (let step = 0; step < 64; step++) {
      const b = quantizeRowsI8(Array.from({ length: rows * n }, () => rng.normal() * 2 ** rng.uniform(-4, 4)), rows, n);
      const bd = dequantizeRows(b.q, rows, n, b.params);
      a = residualAdd(runtimes.relaxed, a, b, rows, n);
      for (let i = 0; i < exact.length; i++) exact[i] += bd[i];
    }
    const got = dequantizeI32Rows(a.p, rows, n, a);
    for (let r = 0; r < rows; r++) {
      const unit = a.m[r] / 2 ** a.k[r];
      for (let j = 0; j < n; j++) expect(Math.abs(got[r * n + j] - exact[r * n + j]) / unit).toBeLessThanOrEqual(64);
    }
  });

  it('rejects bad arguments with errors that name them', () => {
    const rt = runtimes.simd;
    const a: Residual = { p: new Int32Array(4), m: Int32Array.of(1), k: Int32Array.of(0) };
    const b = { q: new Int8Array(4), params: { m: Int32Array.of(1), k: Int32Array.of(0), z: Int32Array.of(0) } };
    expect(() => residualAdd(rt, { ...a, p: Int32Array.of(0, 2 ** 30, 0, 0) }, b, 1, 4)).toThrow(/needs \|p\| < 2\^30, p\[0, 1\] = 1073741824/);
    expect(() => residualAdd(rt, a, { ...b, q: new Int8Array(5) }, 1, 4)).toThrow(/branch q has 5 elements, expected \[1, 4\]/);
    expect(() => residualAdd(rt, a, { ...b, params: { ...b.params, m: Int32Array.of(0) } }, 1, 4)).toThrow(/branch.m\[0\] = 0/);
    expect(() => requantizeRows(rt, { ...a, k: new Int32Array(2) }, 1, 4)).toThrow(/residual.k has 2 elements, expected \[1\]/);
  });
});

describe('requantizeRows (int32 stream -> int8 matmul input)', () => {
  for (const seed of seeds(81)) {
    it(`kernel equals the reference bit for bit and is within ${REQUANT_MAX_ERROR_STEPS.toFixed(4)} steps of float64, seed ${seed}`, () => {
      const rng = new Rng(seed);
      let worst = 0;
      for (const n of [1, 2, 3, 15, 16, 17, 33, 64, 100, 4096]) {
        const rows = rng.int(1, 4);
        const a = randomStream(rng, rows, n);
        const want = requantI32RowsRef(a.p, rows, n, a);
        for (const bld of builds) expect(requantizeRows(runtimes[bld], a, rows, n), `${bld} n=${n}`).toEqual(want);
        const yd = dequantizeRows(want.q, rows, n, want.params);
        const xd = dequantizeI32Rows(a.p, rows, n, a);
        for (let r = 0; r < rows; r++) {
          const step = want.params.m[r] / 2 ** want.params.k[r];
          for (let j = 0; j < n; j++) {
            const err = Math.abs(yd[r * n + j] - xd[r * n + j]) / step;
            worst = Math.max(worst, err);
            expect(err).toBeLessThanOrEqual(REQUANT_MAX_ERROR_STEPS);
          }
        }
      }
      console.log(`requantize max error vs float64: ${worst.toFixed(4)} steps`);
    });
  }

  it('keeps m_y right when a 31-bit input mantissa meets a 14-bit multiplier (negative shift in the m_y division)', () => {
    // R just below a power of two gives M = floor(253 * 2^S / R) < 2^14; with m_a = 2^31 - 1, t + 1 < 0
    const n = 32;
    const a: Residual = { p: Int32Array.from({ length: 2 * n }, (_, i) => (i % n === 0 ? 65535 : i % n === 1 ? 0 : (i * 977) % 65535)), m: Int32Array.of(2 ** 31 - 1, 2 ** 31 - 1), k: Int32Array.of(40, -3) };
    const want = requantI32RowsRef(a.p, 2, n, a);
    for (const bld of builds) {
      const got = requantizeRows(runtimes[bld], a, 2, n);
      expect(got, bld).toEqual(want);
      expect(got.params.m[0]).toBeGreaterThan(2 ** 14);
    }
  });
});
