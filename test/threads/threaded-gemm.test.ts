// Dense GEMMs split across threads (bindings/gemm/parallel.ts) against the scalar reference and against
// one thread: exact, every bit width, both builds, shapes large enough to split (DEFAULT_MIN_SPLIT_WORK) with
// channel counts that cut into uneven tile runs, and the per-row ranges merged across threads.
import { describe, expect, it } from 'vitest';
import { packWeights, type WeightBits } from '../../bindings/gemm/pack.js';
import { matmul } from '../../bindings/gemm/matmul.js';
import { DEFAULT_MIN_SPLIT_WORK } from '../../bindings/threads/pool.js';
import { matmulInt32Ref, matmulInt8Ref } from '../../bindings/gemm/matmul.ref.js';
import { makeInput, type Style } from '../helpers/gemm-input.js';
import { seeds } from '../helpers/rng.js';
import { threadedRuntimes } from '../helpers/threaded-runtimes.js';

const threaded = threadedRuntimes();

// (M, N, K): N from one 4-channel tile past the split (N = 8) to odd tile counts, M across the 2- and
// 4-row tiles, K across blocks; every shape has M * Np * Kp >= DEFAULT_MIN_SPLIT_WORK so it really splits.
const SHAPES: [number, number, number][] = [
  [1, 8, 8192], [1, 12, 5500], [1, 132, 520], [1, 261, 300], [2, 100, 1000], [3, 68, 999], [4, 36, 2049],
  [5, 203, 130], [7, 44, 257], [17, 20, 200], [33, 9, 260], [64, 16, 96],
];

describe('threaded dense matmul == reference == one thread, exact', () => {
  it('every shape of the sweep is big enough to split', () => {
    for (const [M, N, K] of SHAPES) expect(M * Math.ceil(N / 4) * 4 * K, `${M}x${N}x${K}`).toBeGreaterThanOrEqual(DEFAULT_MIN_SPLIT_WORK);
  });

  for (const build of ['simd', 'relaxed'] as const) {
    for (const bits of [8, 4, 6, 7] as WeightBits[]) {
      for (const seed of seeds(41)) {
        it(`${build} W${bits}A8, 2 and 3 threads, seed ${seed}`, async () => {
          const rts = [await threaded(build, 1), await threaded(build, 2), await threaded(build, 3)];
          expect(rts.map((rt) => rt.threads)).toEqual([1, 2, 3]);
          let s = seed;
          for (const [M, N, K] of SHAPES) {
            const style: Style = (['random', 'mixed-extreme', 'max', 'min'] as const)[s % 4];
            const x = makeInput(s++, bits, M, N, K, style);
            const where = `W${bits} M=${M} N=${N} K=${K} ${style} seed=${s - 1}`;
            const outs = rts.map((rt) => {
              const mark = rt.arena.mark();
              const packed = packWeights(rt, x.w, { N, K, bits, scale: { m: x.mant, k: x.scaleK } });
              x.shift = packed.shift;
              const opts = { M, zero: x.zero, scaleM: x.rowM, scaleK: x.rowK };
              const r = { p: matmul(rt, packed, x.a, { ...opts, output: 'int32' }), q: matmul(rt, packed, x.a, opts) };
              rt.arena.release(mark);
              return r;
            });
            const ref32 = matmulInt32Ref(x);
            const ref8 = matmulInt8Ref(x);
            for (const [t, o] of outs.entries()) {
              const at = `${where}, ${t + 1} thread(s)`;
              expect(o.p.data, at).toEqual(ref32.p);
              expect(o.q.data, at).toEqual(ref8.q);
              expect([o.q.scale.m, o.q.scale.k, o.q.scale.z], at).toEqual([ref8.params.m, ref8.params.k, ref8.params.z]);
            }
          }
        });
      }
    }
  }
});
