// Integer attention split across threads (bindings/attention/attention.ts runAttention: heads cut
// per thread, di_attention_heads on helpers, di_attention_finish on the main thread) against the scalar
// reference and against one thread: exact on both builds, for 2 and 3 threads (uneven head cuts), and
// through a whole random model (prefill + decode logits of threads: 2 == threads: 1). Each case checks
// that the split really happened (helpers were assigned di_attention_heads), so it cannot pass vacuously.
import { describe, expect, it } from 'vitest';
import type { DyadicRuntime } from '../../bindings/entry/node.js';
import { withScratch } from '../../bindings/ops/arena-io.js';
import { attentionRef, type AttentionArgs } from '../../bindings/attention/attention.ref.js';
import {
  attentionScratchBytes, attentionSplitScratchBytes, attentionWork, runAttention,
} from '../../bindings/attention/attention.js';
import { IntegerLlama } from '../../bindings/model/integer/integer-llama.js';
import { quantizeLlama } from '../../bindings/offline/quantize-model.js';
import { llamaConfig, randomLlamaWeights } from '../../bindings/model/random.js';
import { seeds } from '../helpers/rng.js';
import { threadedRuntimes } from '../helpers/threaded-runtimes.js';
import { DEFAULT_MIN_SPLIT_WORK } from '../../bindings/threads/pool.js';
import { randomCase, type AttentionShape, putAttentionInputs } from '../helpers/attention-case.js';

const threaded = threadedRuntimes();

/** Counts the helper calls of `kernel` assigned while `body` runs. */
function countAssigned<T>(rt: DyadicRuntime, kernel: string, body: () => T): { result: T; assigned: number } {
  const pool = rt.pool;
  if (!pool) return { result: body(), assigned: 0 };
  const original = pool.assign.bind(pool);
  let assigned = 0;
  pool.assign = (slot, name, args) => {
    if (name === kernel) assigned++;
    original(slot, name, args);
  };
  try {
    return { result: body(), assigned };
  } finally {
    pool.assign = original;
  }
}

function runSplit(rt: DyadicRuntime, a: AttentionArgs) {
  const width = a.nHeads * a.headDim;
  const kvWidth = a.nKvHeads * a.headDim;
  const maxLen = Math.max(...a.pos) + 1;
  return withScratch(rt, (f) => {
    const at = {
      ...putAttentionInputs(f, a),
      scratch: f.alloc(attentionScratchBytes(maxLen, a.nHeads, a.headDim), 'scratch'),
      split: f.alloc(attentionSplitScratchBytes(rt.pool?.helpers ?? 0, a.rows, maxLen, a.nHeads, a.headDim), 'split scratch'),
      out: f.alloc(a.rows * width, 'out'), outM: f.alloc(a.rows * 4, 'outM'), outK: f.alloc(a.rows * 4, 'outK'), outZ: f.alloc(a.rows * 4, 'outZ'),
    };
    const { assigned } = countAssigned(rt, 'di_attention_heads', () => runAttention(rt, {
      q: at.q, rows: a.rows, qStride: width, qM: at.qM, qK: at.qK, qZ: at.qZ, pos: at.pos, kc: at.kc, vc: at.vc, kvStride: kvWidth,
      kM: at.kM, kK: at.kK, kZ: at.kZ, vM: at.vM, vK: at.vK, vZ: at.vZ, nHeads: a.nHeads, nKvHeads: a.nKvHeads, headDim: a.headDim,
      cM: a.cM, cK: a.cK, maxLen, out: at.out, outStride: width, outM: at.outM, outK: at.outK, outZ: at.outZ,
    }, at.scratch, { at: at.split, rows: a.rows }));
    return { out: f.i8(at.out, a.rows * width), params: { m: f.i32(at.outM, a.rows), k: f.i32(at.outK, a.rows), z: f.i32(at.outZ, a.rows) }, assigned };
  });
}

// Decode rows (1) and prefill tails, GQA, heads that cut unevenly over 2 and 3 threads, head sizes off the
// kernel's blocks. These runtimes split every call (minSplitWork = 0); the model case below keeps the
// default threshold, so the real decision is tested there.
const SHAPES: AttentionShape[] = [
  { rows: 1, nHeads: 6, nKvHeads: 6, headDim: 48, maxPos: 130 },
  { rows: 1, nHeads: 5, nKvHeads: 1, headDim: 27, maxPos: 300 },
  { rows: 4, nHeads: 8, nKvHeads: 2, headDim: 64, maxPos: 40 },
  { rows: 7, nHeads: 3, nKvHeads: 3, headDim: 13, maxPos: 200 },
  { rows: 2, nHeads: 2, nKvHeads: 1, headDim: 96, maxPos: 90 },
];
describe('integer attention across threads == reference == one thread, exact', () => {
  for (const build of ['simd', 'relaxed'] as const) {
    for (const seed of seeds(51)) {
      it(`${build}: runAttention on 1, 2 and 3 threads equals the scalar reference, seed ${seed}`, async () => {
        const rts = [await threaded(build, 1), await threaded(build, 2), await threaded(build, 3)];
        expect(rts.map((rt) => rt.threads)).toEqual([1, 2, 3]);
        for (const rt of rts) if (rt.pool) rt.pool.minSplitWork = 0;
        for (const [i, shape] of SHAPES.entries()) {
          for (const extreme of [false, true]) {
            const a = randomCase(seed + i, shape, extreme, i === 1 ? 'wide' : 'narrow');
            const ref = attentionRef(a);
            for (const rt of rts) {
              const got = runSplit(rt, a);
              const at = `${JSON.stringify(shape)} extreme=${extreme}, ${rt.threads} thread(s)`;
              expect(got.assigned, `${at}: helpers assigned`).toBe(Math.min(rt.threads, shape.nHeads) - 1);
              expect(got.params, at).toEqual(ref.params);
              expect(got.out, at).toEqual(ref.out);
            }
          }
        }
      });
    }
  }

  for (const seed of seeds(61)) {
    it(`a random model's integer logits through prefill and decode: threads 2 == threads 1 (relaxed and simd), seed ${seed}`, async () => {
      const config = llamaConfig({ dim: 96, hiddenDim: 160, nLayers: 2, nHeads: 6, nKvHeads: 3, vocabSize: 64, contextLength: 256 });
      const qm = quantizeLlama(config, randomLlamaWeights(config, seed), { bits: 8 });
      for (const build of ['relaxed', 'simd'] as const) {
        const [one, two] = [await threaded(build, 1), await threaded(build, 2)];
        // the default threshold, fixed (assigning it stops the pool's load-dependent fallback to one thread,
        // which would make the split counts below depend on how busy the machine is): decode at positions
        // 192.. has enough work to split
        two.pool!.minSplitWork = DEFAULT_MIN_SPLIT_WORK;
        expect(attentionWork(193, config.nHeads, config.headDim)).toBeGreaterThanOrEqual(two.pool!.minSplitWork);
        const models = [one, two].map((rt) => new IntegerLlama(rt, qm, 'w8a8', { maxPositions: 256, maxBatch: 48 }));
        let token = seed % 64;
        const next = () => (token = (token * 37 + 11) % 64);
        const steps: [number[], number][] = [];
        for (let start = 0; start < 192; start += 48) steps.push([Array.from({ length: 48 }, next), start]); // prefill 0..191
        for (let pos = 192; pos < 196; pos++) steps.push([[next()], pos]); // decode
        const split = { prefill: 0, decode: 0 };
        for (const [tokens, start] of steps) {
          const want = models[0].forwardIntRows(tokens, start);
          const { result: got, assigned } = countAssigned(two, 'di_attention_heads', () => models[1].forwardIntRows(tokens, start));
          split[tokens.length > 1 ? 'prefill' : 'decode'] += assigned;
          expect(got, `${build} rows ${start}..${start + tokens.length - 1}`).toEqual(want);
        }
        expect(split.prefill, `${build}: prefill attention split across threads`).toBeGreaterThan(0);
        expect(split.decode, `${build}: decode attention split across threads`).toBeGreaterThan(0);
      }
    });
  }
});
