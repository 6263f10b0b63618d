// DI-Exp and DI-ClippedSoftmax: both wasm builds equal the scalar reference bit for bit over sweeps, and
// the reference meets its accuracy budgets against float64 on random and adversarial rows.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';
import { toDyadic, dyadicValue } from '../../bindings/common/to-dyadic.js';
import { type Dyadic } from '../../bindings/common/dyadic.js';
import { diExp } from '../../bindings/ops/exp.js';
import { softmax } from '../../bindings/ops/softmax.js';
import {
  diExpRowsRef, expParams, EXP_MAX_ABS_ERROR, EXP_MAX_REL_ERROR, EXP_CLIP_NATS, EXP_ONE,
} from '../../bindings/ops/exp.ref.js';
import { softmaxRowsRef, validLength, SOFTMAX_U16_MAX_ABS_ERROR, SOFTMAX_U16_MEAN_ABS_ERROR, SOFTMAX_U16_ROW_SUM_TOLERANCE, SOFTMAX_U8_MAX_ABS_ERROR, SOFTMAX_U8_MEAN_ABS_ERROR, SOFTMAX_U8_SUM_STEP } from '../../bindings/ops/softmax.ref.js';
import { PROB_BITS, PROB_ZERO, type ProbFormat } from '../../bindings/ops/softmax.js';
import { Rng, seeds } from '../helpers/rng.js';

const builds = ['simd', 'relaxed'] as const;
const runtimes: Record<string, DyadicRuntime> = {};
beforeAll(async () => {
  for (const b of builds) runtimes[b] = await loadRuntime({ build: b });
});

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

/** Integer scores for real logits at scale s, saturated to int32. */
function quantizeScores(logits: number[], s: number): Int32Array {
  return Int32Array.from(logits, (v) => Math.max(I32_MIN, Math.min(I32_MAX, Math.round(v / s))));
}

/** float64 softmax of the dequantized valid prefix, zeros after. */
function softmax64(x: Int32Array, s: number, len: number, n: number): Float64Array {
  const p = new Float64Array(n);
  if (len === 0) return p;
  let mx = -Infinity;
  for (let j = 0; j < len; j++) mx = Math.max(mx, x[j]);
  let sum = 0;
  for (let j = 0; j < len; j++) sum += p[j] = Math.exp((x[j] - mx) * s);
  for (let j = 0; j < len; j++) p[j] /= sum;
  return p;
}

describe('DI-Exp', () => {
  it('per-row parameters: wasm exp_params equals the reference for mantissas and exponents across the range', () => {
    const rng = new Rng(7);
    for (const b of builds) {
      const rt = runtimes[b];
      const mark = rt.arena.mark();
      const out = rt.arena.alloc(16, 'params');
      const cases: Array<[number, number]> = [[1, 0], [1, -12], [I32_MAX, 0], [I32_MAX, 62], [1, 62], [I32_MAX, -20], [0, 5], [-7, 3]];
      for (let i = 0; i < 400; i++) cases.push([rng.int(1, I32_MAX), rng.int(-40, 90)]);
      for (const [m, k] of cases) {
        rt.call('exp_params_into', m, k, out);
        const got = Array.from(rt.arena.i32(out, 4));
        const p = expParams(m, k);
        expect(got, `m=${m} k=${k}`).toEqual([p.pre, p.mul, p.shift, p.clipU]);
        // the kernels rely on z < 2^20 (q <= 31) over the whole clip range
        expect(Math.floor(Math.floor(p.clipU / 2 ** p.pre) * p.mul / 2 ** p.shift)).toBeLessThan(2 ** 20);
      }
      rt.arena.release(mark);
    }
  });

  for (const seed of seeds(11)) {
    it(`kernel equals the reference bit for bit (n sweep, extremes), seed ${seed}`, () => {
      const rng = new Rng(seed);
      for (const n of [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 33, 64, 255, 4096]) {
        const rows = rng.int(1, 3);
        const x = new Int32Array(rows * n);
        for (let i = 0; i < x.length; i++) {
          const kind = rng.int(0, 9);
          x[i] = kind === 0 ? I32_MIN : kind === 1 ? 0 : kind === 2 ? rng.int(1, 1000) : -rng.int(0, 2 ** rng.int(0, 31) - 1);
        }
        const scale = { m: rng.int(1, I32_MAX), k: 0 };
        scale.k = 31 - Math.clz32(scale.m) - rng.int(-30, 11);
        const want = diExpRowsRef(x, rows, n, Int32Array.of(scale.m), Int32Array.of(scale.k), 0);
        for (const b of builds) expect(diExp(runtimes[b], x, rows, n, scale), `${b} n=${n}`).toEqual(want);
      }
    });
  }

  it(`meets its budget against float64 exp (relative ${EXP_MAX_REL_ERROR}) for scales 2^-30..2^11`, () => {
    const rng = new Rng(5);
    let worst = 0;
    for (let t = 0; t < 300; t++) {
      const s = 2 ** rng.uniform(-30, 11.9);
      const d = toDyadic(s, 16);
      const sv = dyadicValue(d);
      const p = expParams(d.m, d.k);
      for (let i = 0; i < 50; i++) {
        const real = -rng.uniform(0, EXP_CLIP_NATS);
        const u = Math.min(Math.round(-real / sv), 2 ** 31 - 1);
        const want = Math.exp(-u * sv);
        if (-u * sv < -EXP_CLIP_NATS) continue;
        const got = diExpRowsRef(Int32Array.of(-u), 1, 1, Int32Array.of(d.m), Int32Array.of(d.k), 0)[0] / EXP_ONE;
        const err = Math.abs(got - want) - EXP_MAX_ABS_ERROR;
        worst = Math.max(worst, err / want);
        expect(Math.abs(got - want), `s=${sv} u=${u} params=${JSON.stringify(p)}`).toBeLessThanOrEqual(EXP_MAX_REL_ERROR * want + EXP_MAX_ABS_ERROR);
      }
    }
    console.log(`DI-Exp worst relative error ${worst.toExponential(2)} (budget ${EXP_MAX_REL_ERROR})`);
  });
});

describe('DI-ClippedSoftmax', () => {
  for (const seed of seeds(21)) {
    it(`kernel equals the reference bit for bit: formats, lengths, masks, per-row scales, seed ${seed}`, () => {
      const rng = new Rng(seed);
      const formats: ProbFormat[] = ['u8', 'i8', 'u16'];
      for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 512, 4096]) {
        const rows = n >= 512 ? 2 : rng.int(1, 6);
        const x = new Int32Array(rows * n);
        const spread = 2 ** rng.int(0, 30);
        for (let i = 0; i < x.length; i++) {
          const kind = rng.int(0, 19);
          x[i] = kind === 0 ? I32_MIN : kind === 1 ? I32_MAX : Math.round(rng.normal() * spread) | 0;
        }
        const perRow = rng.int(0, 1) === 1;
        const m = new Int32Array(rows);
        const k = new Int32Array(rows);
        for (let r = 0; r < rows; r++) {
          m[r] = rng.int(1, 2 ** rng.int(1, 31) - 1);
          k[r] = 31 - Math.clz32(m[r]) - rng.int(-30, 11);
        }
        const valid = rng.pick([{ start: n, step: 0 }, { start: 1, step: 1 }, { start: n - rows + 1, step: 1 }, { start: rng.int(-2, n), step: rng.int(-1, 2) }]);
        const format = rng.pick(formats);
        const want = softmaxRowsRef({
          scores: x, rows, n, scaleM: perRow ? m : m.subarray(0, 1), scaleK: perRow ? k : k.subarray(0, 1),
          scaleStep: perRow ? 1 : 0, valid0: valid.start, validStep: valid.step, format,
        });
        for (const b of builds) {
          const got = softmax(runtimes[b], x, rows, n, {
            scale: perRow ? { m, k } : { m: m[0], k: k[0] }, valid, format,
          });
          expect(Int32Array.from(got), `${b} n=${n} rows=${rows} ${format} valid=${JSON.stringify(valid)}`).toEqual(want);
        }
      }
    });
  }

  it('honours row strides in the kernel (scores and output wider than n)', () => {
    const rng = new Rng(3);
    const rows = 3, n = 37, sStride = 45, oStride = 41;
    const x = new Int32Array(rows * sStride);
    for (let i = 0; i < x.length; i++) x[i] = rng.int(-5000, 5000);
    const dense = new Int32Array(rows * n);
    for (let r = 0; r < rows; r++) dense.set(x.subarray(r * sStride, r * sStride + n), r * n);
    const want = softmaxRowsRef({ scores: dense, rows, n, scaleM: Int32Array.of(300), scaleK: Int32Array.of(16), scaleStep: 0, valid0: n, validStep: 0, format: 'u16' });
    for (const b of builds) {
      const rt = runtimes[b];
      const mark = rt.arena.mark();
      const sc = rt.arena.alloc(x.byteLength, 'scores');
      rt.arena.i32(sc, x.length).set(x);
      const mk = rt.arena.alloc(8, 'scale');
      rt.arena.i32(mk, 2).set([300, 16]);
      const out = rt.arena.alloc(rows * oStride * 2, 'out');
      rt.arena.u16(out, rows * oStride).fill(0xabcd);
      const scratch = rt.arena.alloc(n * 4, 'scratch');
      rt.call('di_softmax_rows', sc, rows, n, sStride, mk, mk + 4, 0, n, 0, out, oStride, 2, scratch);
      const o = rt.arena.u16(out, rows * oStride);
      for (let r = 0; r < rows; r++) {
        expect(Int32Array.from(o.subarray(r * oStride, r * oStride + n))).toEqual(want.subarray(r * n, (r + 1) * n));
        expect(Array.from(o.subarray(r * oStride + n, (r + 1) * oStride)).every((v) => v === 0xabcd)).toBe(true);
      }
      rt.arena.release(mark);
    }
  });

  for (const seed of seeds(31)) {
    it(`meets the accuracy budgets against float64 on random and adversarial rows, seed ${seed}`, () => {
      const rng = new Rng(seed);
      type Case = { name: string; logits: number[]; s: number };
      const cases: Case[] = [];
      const gauss = (n: number, sd: number) => Array.from({ length: n }, () => rng.normal() * sd);
      for (const n of [64, 256, 512, 4096]) {
        for (const sd of [1, 3, 8]) cases.push({ name: `N(0,${sd}) n=${n}`, logits: gauss(n, sd), s: 2 ** rng.uniform(-16, -4) });
        cases.push({ name: `peaked n=${n}`, logits: Array.from({ length: n }, (_, i) => (i === 3 ? 30 : rng.normal())), s: 2 ** -10 });
        cases.push({ name: `flat n=${n}`, logits: new Array(n).fill(0.25), s: 2 ** -8 });
        cases.push({ name: `nearly flat n=${n}`, logits: gauss(n, 0.01), s: 2 ** -20 });
        cases.push({ name: `outliers n=${n}`, logits: Array.from({ length: n }, () => (rng.int(0, 50) === 0 ? rng.uniform(50, 200) : rng.normal() * 2)), s: 2 ** -6 });
        cases.push({ name: `two tied maxima n=${n}`, logits: Array.from({ length: n }, (_, i) => (i < 2 ? 5 : rng.normal())), s: 2 ** -12 });
      }
      cases.push({ name: 'coarse scale (s = 2)', logits: gauss(512, 6), s: 2 });
      cases.push({ name: 'fine scale (s = 2^-28)', logits: gauss(512, 0.02), s: 2 ** -28 });
      cases.push({ name: 'scale near the top of the range', logits: gauss(512, 3000), s: 2 ** 11.5 });
      cases.push({ name: 'int32 extremes', logits: Array.from({ length: 64 }, (_, i) => (i % 2 ? 2 ** 31 : -(2 ** 31)) * 2 ** -20), s: 2 ** -20 });
      const report: Record<string, number> = {};
      for (const format of ['u16', 'u8'] as ProbFormat[]) {
        const maxBudget = format === 'u16' ? SOFTMAX_U16_MAX_ABS_ERROR : SOFTMAX_U8_MAX_ABS_ERROR;
        const meanBudget = format === 'u16' ? SOFTMAX_U16_MEAN_ABS_ERROR : SOFTMAX_U8_MEAN_ABS_ERROR;
        let worstMax = 0, worstMean = 0, worstSum = 0;
        for (const c of cases) {
          const d = toDyadic(c.s, 16);
          const sv = dyadicValue(d);
          const n = c.logits.length;
          const x = quantizeScores(c.logits, sv);
          for (const valid of [n, Math.max(1, n >> 1)]) {
            const q = softmaxRowsRef({ scores: x, rows: 1, n, scaleM: Int32Array.of(d.m), scaleK: Int32Array.of(d.k), scaleStep: 0, valid0: valid, validStep: 0, format });
            const ref = softmax64(x, sv, validLength(valid, 0, 0, n), n);
            let mx = 0, sumAbs = 0, sum = 0;
            for (let j = 0; j < n; j++) {
              const p = (q[j] - PROB_ZERO[format]) / 2 ** PROB_BITS[format];
              const e = Math.abs(p - ref[j]);
              mx = Math.max(mx, e);
              sumAbs += e;
              sum += p;
            }
            const mean = sumAbs / n;
            expect(mx, `${format} ${c.name} valid=${valid}: max abs error`).toBeLessThanOrEqual(maxBudget);
            expect(mean, `${format} ${c.name} valid=${valid}: mean abs error`).toBeLessThanOrEqual(meanBudget);
            const sumErr = Math.abs(sum - 1);
            if (format === 'u16') expect(sumErr, `${c.name}: row sum`).toBeLessThanOrEqual(SOFTMAX_U16_ROW_SUM_TOLERANCE);
            else expect(sumErr, `${c.name}: row sum`).toBeLessThanOrEqual(valid * SOFTMAX_U8_SUM_STEP + 2 ** -8);
            worstMax = Math.max(worstMax, mx);
            worstMean = Math.max(worstMean, mean);
            worstSum = Math.max(worstSum, sumErr);
          }
        }
        report[`${format} max`] = worstMax;
        report[`${format} mean`] = worstMean;
        report[`${format} |sum-1|`] = worstSum;
      }
      console.log(`softmax vs float64 (worst over ${cases.length * 2} rows per format): ${JSON.stringify(report)}`);
    });
  }

  it('reference sanity: a flat row gives equal probabilities and masked columns are exactly 0', () => {
    const q = softmaxRowsRef({ scores: new Int32Array(8).fill(77), rows: 1, n: 8, scaleM: Int32Array.of(1), scaleK: Int32Array.of(4), scaleStep: 0, valid0: 4, validStep: 0, format: 'u16' });
    expect(Array.from(q)).toEqual([8192, 8192, 8192, 8192, 0, 0, 0, 0]);
  });

  it('rejects bad arguments with errors that name them', () => {
    const rt = runtimes.simd;
    const x = new Int32Array(6);
    expect(() => softmax(rt, x, 2, 4, { scale: { m: 1, k: 3 } })).toThrow(/scores has 6 elements, expected \[2, 4\] = 8/);
    expect(() => softmax(rt, new Float32Array(6) as never, 2, 3, { scale: { m: 1, k: 3 } })).toThrow(/scores must be a Int32Array, got Float32Array/);
    expect(() => softmax(rt, x, 2, 3, { scale: { m: 0, k: 3 } })).toThrow(/scale.m must be an integer in 1\.\./);
    expect(() => softmax(rt, x, 2, 3, { scale: { m: 1, k: 40 } })).toThrow(/scale = 1 \/ 2\^40 is outside the supported range/);
    expect(() => softmax(rt, x, 2, 3, { scale: { m: 1, k: 3 }, format: 'f32' as never })).toThrow(/unknown format 'f32'/);
    expect(() => softmax(rt, x, 2, 3, { scale: { m: new Int32Array(1), k: new Int32Array(2) } })).toThrow(/scale.m has 1 elements, expected \[2\]/);
    expect(() => softmax(rt, x, 0, 3, { scale: { m: 1, k: 3 } })).toThrow(/rows must be an integer/);
  });
});
