// DI-MatMul epilogue (assembly/gemm/epilogue.ts): both stages against the BigInt scalar reference, exactly,
// on both builds, and the requantized output against float64 within DI_REQUANT_MAX_ERROR_STEPS.
import { describe, expect, it } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';
import {
  DI_REQUANT_MAX_ERROR_STEPS, rescaleRowsRef, requantRowsRef,
} from '../../bindings/gemm/epilogue.ref.js';
import { rng, randInt, seeds } from '../helpers/rng.js';

const builds = ['simd', 'relaxed'] as const;
const runtimes = new Map<string, DyadicRuntime>();
async function runtime(build: string): Promise<DyadicRuntime> {
  if (!runtimes.has(build)) runtimes.set(build, await loadRuntime({ build: build as 'simd' | 'relaxed' }));
  return runtimes.get(build)!;
}

function put(rt: DyadicRuntime, data: Int32Array, what: string): number {
  const at = rt.arena.alloc(Math.max(4, data.byteLength), what);
  rt.arena.i32(at, data.length).set(data);
  return at;
}

/** Runs both wasm stages on acc [M, N] and returns everything they wrote. */
function runWasm(
  rt: DyadicRuntime, acc: Int32Array, M: number, N: number, rowZero: Int32Array, wsum: Int32Array,
  mant: Int32Array, shift: number, inM: Int32Array, inK: Int32Array, expAdjust: number, inPlace: boolean,
) {
  const mark = rt.arena.mark();
  try {
    const accAt = put(rt, acc, 'acc');
    const pAt = inPlace ? accAt : rt.arena.alloc(acc.byteLength + 4, 'p');
    const rangeAt = put(rt, new Int32Array(2 * M), 'range');
    const zAt = put(rt, rowZero, 'rowZero');
    const wsAt = put(rt, wsum, 'wsum');
    const mAt = put(rt, mant, 'mant');
    rt.call('di_rescale_rows', accAt, N, M, N, zAt, wsAt, mAt, shift, pAt, N, rangeAt);
    const p = rt.arena.i32(pAt, M * N).slice();
    const range = rt.arena.i32(rangeAt, 2 * M).slice();
    const inMAt = put(rt, inM, 'inM');
    const inKAt = put(rt, inK, 'inK');
    const qAt = rt.arena.alloc(M * N + 16, 'q');
    const outAt = put(rt, new Int32Array(3 * M), 'out params');
    rt.call('di_requant_rows', pAt, N, M, N, rangeAt, inMAt, inKAt, expAdjust, qAt, N, outAt, outAt + 4 * M, outAt + 8 * M);
    const q = rt.arena.i8(qAt, M * N).slice();
    const out = rt.arena.i32(outAt, 3 * M).slice();
    return { p, range, q, m: out.subarray(0, M), k: out.subarray(M, 2 * M), z: out.subarray(2 * M) };
  } finally {
    rt.arena.release(mark);
  }
}

interface Case {
  M: number; N: number; acc: Int32Array; rowZero: Int32Array; wsum: Int32Array; mant: Int32Array;
  shift: number; inM: Int32Array; inK: Int32Array; expAdjust: number;
}

/** Random case honouring the stage-1 bound |p| < 2^30: |acc - z*wsum| < 2^28, mant < 2^(shift+1). */
function randomCase(seed: number, M: number, N: number, style: 'random' | 'extreme' | 'zero' | 'positive' | 'negative'): Case {
  const r = rng(seed);
  const shift = randInt(r, 0, 1) === 0 ? 0 : randInt(r, 1, 40);
  const mantMax = shift === 0 ? 1 : Math.min(2 ** 31 - 1, 2 ** (shift + 1) - 1);
  const mant = Int32Array.from({ length: N }, () => randInt(r, 0, mantMax));
  const rowZero = Int32Array.from({ length: M }, () => randInt(r, -128, 127));
  const wsum = Int32Array.from({ length: N }, () => randInt(r, -(2 ** 19), 2 ** 19));
  const acc = new Int32Array(M * N);
  const lim = 2 ** 28 - 1;
  for (let i = 0; i < M; i++) {
    for (let n = 0; n < N; n++) {
      const zw = rowZero[i] * wsum[n];
      let target: number;
      if (style === 'zero') target = 0;
      else if (style === 'extreme') target = r() < 0.5 ? -lim : lim;
      else if (style === 'positive') target = randInt(r, 1, lim);
      else if (style === 'negative') target = randInt(r, -lim, -1);
      else target = randInt(r, -(2 ** randInt(r, 0, 28)) + 1, 2 ** randInt(r, 0, 28) - 1);
      acc[i * N + n] = (target + zw) | 0;
    }
  }
  const inM = Int32Array.from({ length: M }, () => randInt(r, 1, 2 ** 31 - 1));
  const inK = Int32Array.from({ length: M }, () => randInt(r, 0, 60));
  return { M, N, acc, rowZero, wsum, mant, shift, inM, inK, expAdjust: randInt(r, -40, 40) };
}

describe('DI-MatMul epilogue: wasm == scalar reference, exactly', () => {
  const shapes: Array<[number, number]> = [];
  for (const M of [1, 2, 3, 5]) for (const N of [1, 3, 4, 5, 15, 16, 17, 31, 33, 64, 100]) shapes.push([M, N]);
  for (const seed of seeds(1, 2, 3)) {
    for (const style of ['random', 'extreme', 'zero', 'positive', 'negative'] as const) {
      it(`seed ${seed}, ${style} rows, M 1..5 x N 1..100, both builds, in place and not`, async () => {
        let s = seed;
        for (const [M, N] of shapes) {
          const c = randomCase(s++, M, N, style);
          const ref1 = rescaleRowsRef(c.acc, M, N, c.rowZero, c.wsum, c.mant, c.shift);
          const ref2 = requantRowsRef(ref1.p, M, N, ref1.range, { m: c.inM, k: c.inK }, c.expAdjust);
          for (const build of builds) {
            const rt = await runtime(build);
            for (const inPlace of [false, true]) {
              const got = runWasm(rt, c.acc, M, N, c.rowZero, c.wsum, c.mant, c.shift, c.inM, c.inK, c.expAdjust, inPlace);
              const where = `${build} M=${M} N=${N} seed=${s - 1} shift=${c.shift}`;
              expect(got.p, where).toEqual(ref1.p);
              expect(got.range, where).toEqual(ref1.range);
              expect(got.q, where).toEqual(ref2.q);
              expect(got.m, where).toEqual(ref2.params.m);
              expect(got.k, where).toEqual(ref2.params.k);
              expect(got.z, where).toEqual(ref2.params.z);
            }
          }
        }
      });
    }
  }
});

describe('DI-MatMul epilogue: requantized output against float64', () => {
  for (const seed of seeds(7, 8)) {
    it(`seed ${seed}: |dequant(q) - y| <= ${DI_REQUANT_MAX_ERROR_STEPS} steps + half a unit of p; params in range; extremes hit`, () => {
      const r = rng(seed);
      for (let trial = 0; trial < 200; trial++) {
        const N = randInt(r, 1, 300);
        const c = randomCase(seed * 1000 + trial, 1, N, (['random', 'extreme', 'positive', 'negative'] as const)[trial % 4]);
        const { p, range } = rescaleRowsRef(c.acc, 1, N, c.rowZero, c.wsum, c.mant, c.shift);
        const { q, params } = requantRowsRef(p, 1, N, range, { m: c.inM, k: c.inK }, c.expAdjust);
        const [m, k, z] = [params.m[0], params.k[0], params.z[0]];
        expect(m).toBeGreaterThanOrEqual(2 ** 14);
        expect(m).toBeLessThanOrEqual(2 ** 16);
        expect(z).toBeGreaterThanOrEqual(-128);
        expect(z).toBeLessThanOrEqual(127);
        const step = m * 2 ** -k;
        const unitP = c.inM[0] * 2 ** -(c.inK[0] + c.expAdjust); // real value of one unit of p
        let maxQ = -129;
        let minQ = 128;
        for (let n = 0; n < N; n++) {
          // float64 truth from the raw accumulator, independent of stage 1's integer rounding
          const corrected = c.acc[n] - c.rowZero[0] * c.wsum[n];
          const y = (corrected * c.mant[n]) / 2 ** c.shift * unitP;
          const err = Math.abs(step * (q[n] - z) - y);
          expect(err, `n=${n}`).toBeLessThanOrEqual(DI_REQUANT_MAX_ERROR_STEPS * step + 0.5 * unitP + Math.abs(y) * 1e-12);
          maxQ = Math.max(maxQ, q[n]);
          minQ = Math.min(minQ, q[n]);
        }
        // zero is in the range, and the range spans 253 levels (assembly/ops/requant.ts): the row max
        // lands on the top levels unless the row is all <= 0, the row min on the bottom ones
        if (range[1] > 0) expect(maxQ).toBeGreaterThanOrEqual(125);
        if (range[0] < 0) expect(minQ).toBeLessThanOrEqual(-126);
        // the range is used: the step is about (hi - lo) / 253 units of p
        const R = Math.max(range[1] - range[0], 1);
        expect(step / unitP / (R / 253)).toBeCloseTo(1, 2);
      }
    });
  }
});
