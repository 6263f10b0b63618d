// Group-wise GEMMs split across threads (bindings/gemm/groupwise.ts) against one thread and the scalar
// reference: exact, every codes kind, both builds, shapes that split into uneven tile runs.
import { describe, expect, it } from 'vitest';
import { packGroupwise } from '../../bindings/gemm/groupwise-pack.js';
import { groupwiseMatmul } from '../../bindings/gemm/groupwise.js';
import { groupwiseRef } from '../../bindings/gemm/groupwise.ref.js';
import { GgmlType } from '../../bindings/formats/tensor-types.js';
import { randomBlocks } from '../helpers/blocks.js';
import { rng, randInt, seeds } from '../helpers/rng.js';
import { threadedRuntimes } from '../helpers/threaded-runtimes.js';

const threaded = threadedRuntimes();
const TYPES = [GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_0];
const SHAPES: [number, number, number][] = [[1, 12, 2048], [1, 261, 256], [3, 68, 512], [5, 36, 768]];

describe('threaded group-wise matmul == reference == one thread, exact', () => {
  for (const build of ['simd', 'relaxed'] as const) {
    for (const seed of seeds(51)) {
      it(`${build}, 1..3 threads, seed ${seed}`, async () => {
        const rts = [await threaded(build, 1), await threaded(build, 2), await threaded(build, 3)];
        for (const rt of rts) if (rt.pool) rt.pool.minSplitWork = 0; // split every call
        let s = seed;
        for (const type of TYPES) {
          for (const [M, N, K] of SHAPES) {
            const blocks = randomBlocks(type, N, K, s++, 'random');
            const r = rng(s++);
            const a = Int8Array.from({ length: M * K }, () => randInt(r, -128, 127));
            const zero = Int32Array.from({ length: M }, () => randInt(r, -128, 127));
            const ref = groupwiseRef(type, blocks, N, K, a, M, zero).p;
            for (const rt of rts) {
              const mark = rt.arena.mark();
              const w = packGroupwise(rt, type, blocks, N, K);
              const p = groupwiseMatmul(rt, w, a, { M, zero });
              rt.arena.release(mark);
              expect(p, `type ${type} ${M}x${N}x${K} threads ${rt.threads} seed ${s - 2}`).toEqual(ref);
            }
          }
        }
      });
    }
  }
});
