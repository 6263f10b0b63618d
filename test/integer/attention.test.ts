import { describe, expect, it } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';
import { withScratch } from '../../bindings/ops/arena-io.js';
import { attentionAccumulatorsRef, attentionRef, type AttentionArgs } from '../../bindings/attention/attention.ref.js';
import { attentionHeadScratchBytes, attentionScratchBytes, runAttention, type AttentionCall } from '../../bindings/attention/attention.js';
import type { RowParams } from '../../bindings/common/rows.js';
import { seeds } from '../helpers/rng.js';
import { randomCase, putAttentionInputs } from '../helpers/attention-case.js';

/**
 * Runs the kernel on `a`. cuts undefined: di_attention_rows. cuts [0, h1, .., nHeads]: one
 * di_attention_heads call per head range (each with its own head scratch, as threads have), then
 * di_attention_finish -- the thread split's kernel sequence on one thread.
 */
function runKernel(rt: DyadicRuntime, a: AttentionArgs, cuts?: number[]): { out: Int8Array; params: RowParams; acc?: BigInt64Array } {
  const width = a.nHeads * a.headDim;
  const kvWidth = a.nKvHeads * a.headDim;
  const maxLen = Math.max(...a.pos) + 1;
  return withScratch(rt, (f) => {
    const at = {
      ...putAttentionInputs(f, a),
      scratch: f.alloc(attentionScratchBytes(maxLen, a.nHeads, a.headDim), 'scratch'),
      out: f.alloc(a.rows * width, 'out'), outM: f.alloc(a.rows * 4, 'outM'), outK: f.alloc(a.rows * 4, 'outK'), outZ: f.alloc(a.rows * 4, 'outZ'),
    };
    const read = () => ({
      out: f.i8(at.out, a.rows * width), params: { m: f.i32(at.outM, a.rows), k: f.i32(at.outK, a.rows), z: f.i32(at.outZ, a.rows) },
    });
    if (!cuts) {
      rt.call('di_attention_rows', at.q, a.rows, width, at.qM, at.qK, at.qZ, at.pos, at.kc, at.vc, kvWidth,
        at.kM, at.kK, at.kZ, at.vM, at.vK, at.vZ, a.nHeads, a.nKvHeads, a.headDim, a.cM, a.cK,
        at.scratch, maxLen, at.out, width, at.outM, at.outK, at.outZ);
    } else {
      const accStride = width + 3; // a row stride wider than the row: columns are placed by head, not packed
      const acc = f.alloc(a.rows * accStride * 8, 'accumulators'); // int64 [rows, accStride]
      for (let i = 0; i + 1 < cuts.length; i++) {
        const headScratch = f.alloc(attentionHeadScratchBytes(maxLen, a.headDim), `head scratch ${i}`);
        rt.call('di_attention_heads', at.q, a.rows, width, at.qM, at.qK, at.qZ, at.pos, at.kc, at.vc, kvWidth,
          at.kM, at.kK, at.kZ, at.vM, at.vK, at.vZ, a.nHeads, a.nKvHeads, a.headDim, a.cM, a.cK, cuts[i], cuts[i + 1],
          headScratch, maxLen, acc, accStride);
      }
      const rowP = f.alloc((width + 4) * 4, 'row scratch'); // int32 [width + 4]
      rt.call('di_attention_finish', a.rows, at.pos, at.vK, acc, accStride, width, rowP, at.out, width, at.outM, at.outK, at.outZ);
      const accs = new BigInt64Array(a.rows * width); // [rows, width]
      for (let r = 0; r < a.rows; r++) accs.set(new BigInt64Array(rt.arena.memory.buffer, acc + r * accStride * 8, width), r * width);
      return { ...read(), acc: accs };
    }
    return read();
  });
}

// float64 attention on the dequantized inputs: the oracle for the integer pipeline's error budget.
function attentionFloat(a: AttentionArgs): Float64Array {
  const { rows, nHeads, nKvHeads, headDim } = a;
  const width = nHeads * headDim;
  const kvw = nKvHeads * headDim;
  const deq = (v: number, p: RowParams, i: number) => (p.m[i] / 2 ** p.k[i]) * (v - p.z[i]);
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const len = a.pos[r] + 1;
    for (let h = 0; h < nHeads; h++) {
      const g = Math.floor(h / (nHeads / nKvHeads)) * headDim;
      const s = new Float64Array(len);
      for (let t = 0; t < len; t++) {
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += deq(a.q[r * width + h * headDim + d], a.qParams, r) * deq(a.kCache[t * kvw + g + d], a.kParams, t);
        s[t] = dot / Math.sqrt(headDim);
      }
      const mx = Math.max(...s);
      let sum = 0;
      for (let t = 0; t < len; t++) sum += (s[t] = Math.exp(s[t] - mx));
      for (let d = 0; d < headDim; d++) {
        let o = 0;
        for (let t = 0; t < len; t++) o += (s[t] / sum) * deq(a.vCache[t * kvw + g + d], a.vParams, t);
        out[r * width + h * headDim + d] = o;
      }
    }
  }
  return out;
}

// Budget of the integer attention against float64 on the same int8 inputs, relative to the row's max |o|:
// softmax probabilities in Q15 (SOFTMAX_U16_MAX_ABS_ERROR 1e-3 each) weighting V, plus the int8 output
// rounding (half a step of 1/254 of the row's range).
const ATTENTION_MAX_ERROR_OF_ROW_MAX = 0.02;

describe('integer attention (di_attention_rows)', async () => {
  const runtimes = await Promise.all([loadRuntime({ build: 'simd' }), loadRuntime({ build: 'relaxed' })]);
  const shapes = [
    { rows: 1, nHeads: 8, nKvHeads: 4, headDim: 8, maxPos: 1 },
    { rows: 1, nHeads: 8, nKvHeads: 4, headDim: 8, maxPos: 37 },
    { rows: 5, nHeads: 6, nKvHeads: 6, headDim: 48, maxPos: 20 },
    { rows: 3, nHeads: 9, nKvHeads: 3, headDim: 64, maxPos: 130 },
    { rows: 1, nHeads: 2, nKvHeads: 1, headDim: 4, maxPos: 512 },
    // head sizes around the kernel's blocks (16 and 8 columns in P x V, 8 in QK) and odd ones
    { rows: 2, nHeads: 4, nKvHeads: 2, headDim: 24, maxPos: 19 },
    { rows: 3, nHeads: 3, nKvHeads: 1, headDim: 27, maxPos: 42 },
    { rows: 2, nHeads: 5, nKvHeads: 5, headDim: 13, maxPos: 66 },
    { rows: 1, nHeads: 4, nKvHeads: 4, headDim: 1, maxPos: 9 },
    { rows: 1, nHeads: 2, nKvHeads: 2, headDim: 31, maxPos: 3 },
  ];
  for (const seed of seeds(1, 2)) {
    for (const shape of shapes) {
      it(`equals the scalar reference bit for bit on both builds: ${JSON.stringify(shape)} seed ${seed}`, () => {
        for (const extreme of [false, true]) {
          const a = randomCase(seed, shape, extreme);
          const ref = attentionRef(a);
          const refAcc = attentionAccumulatorsRef(a).acc;
          for (const rt of runtimes) {
            const got = runKernel(rt, a);
            expect(got.params, `${rt.build} params`).toEqual(ref.params);
            expect(got.out, `${rt.build} out`).toEqual(ref.out);
          }
          for (const rt of runtimes) {
            // the thread split's kernels on one thread: uneven head ranges, an empty one, the whole row
            const n = shape.nHeads;
            for (const cuts of [[0, n], [0, 0, Math.ceil(n / 3), n], [0, n - 1, n]]) {
              const got = runKernel(rt, a, cuts);
              expect(got.acc, `${rt.build} heads ${cuts} int64 accumulators`).toEqual(refAcc);
              expect(got.params, `${rt.build} heads ${cuts} params`).toEqual(ref.params);
              expect(got.out, `${rt.build} heads ${cuts} out`).toEqual(ref.out);
            }
          }
          if (extreme) continue;
          const want = attentionFloat(a);
          const width = shape.nHeads * shape.headDim;
          for (let r = 0; r < shape.rows; r++) {
            let rowMax = 0;
            let err = 0;
            for (let j = 0; j < width; j++) rowMax = Math.max(rowMax, Math.abs(want[r * width + j]));
            for (let j = 0; j < width; j++) {
              const got = (ref.params.m[r] / 2 ** ref.params.k[r]) * (ref.out[r * width + j] - ref.params.z[r]);
              err = Math.max(err, Math.abs(got - want[r * width + j]));
            }
            expect(err).toBeLessThanOrEqual(ATTENTION_MAX_ERROR_OF_ROW_MAX * rowMax + 1e-12);
          }
        }
      });
    }
  }

  // Wide mantissas push c = P * m_v past int32 (up to 2^46): the split-coefficient P x V path.
  for (const seed of seeds(3)) {
    for (const shape of [shapes[2], shapes[3], shapes[6], shapes[7]]) {
      it(`wide mantissas (c beyond int32) equal the reference bit for bit: ${JSON.stringify(shape)} seed ${seed}`, () => {
        for (const extreme of [false, true]) {
          const a = randomCase(seed, shape, extreme, 'wide');
          const ref = attentionRef(a);
          const refAcc = attentionAccumulatorsRef(a).acc;
          let wideCoefficients = false; // the case must really reach the split path: some c >= 2^31
          for (let s = 0; s < a.vParams.m.length; s++) wideCoefficients ||= 32767 * a.vParams.m[s] / 2 ** (a.vParams.k[s] - Math.min(...a.vParams.k)) >= 2 ** 31;
          expect(wideCoefficients).toBe(true);
          for (const rt of runtimes) {
            for (const cuts of [undefined, [0, 1, shape.nHeads]]) {
              const got = runKernel(rt, a, cuts);
              if (cuts) expect(got.acc, `${rt.build} heads ${cuts} int64 accumulators`).toEqual(refAcc);
              expect(got.params, `${rt.build} ${cuts ?? 'rows'} params`).toEqual(ref.params);
              expect(got.out, `${rt.build} ${cuts ?? 'rows'} out`).toEqual(ref.out);
            }
          }
        }
      });
    }
  }

  // Uniform attention over a long row (q at its zero point: every score 0, so every position keeps
  // P > 0): hundreds of position pairs, so the fast P x V path flushes its int32 sums more than once;
  // v at -128 / 127 (extreme) is the largest |v| it multiplies.
  for (const seed of seeds(4)) {
    it(`uniform attention over 600 positions equals the reference bit for bit, seed ${seed}`, () => {
      for (const extreme of [false, true]) {
        const a = randomCase(seed, { rows: 2, nHeads: 3, nKvHeads: 1, headDim: 56, maxPos: 600 }, extreme);
        for (let r = 0; r < a.rows; r++) a.q.fill(a.qParams.z[r], r * 3 * 56, (r + 1) * 3 * 56);
        const ref = attentionRef(a);
        const refAcc = attentionAccumulatorsRef(a).acc;
        for (const rt of runtimes) {
          const got = runKernel(rt, a, [0, 2, 3]);
          expect(got.acc, `${rt.build} int64 accumulators`).toEqual(refAcc);
          expect(got.out, `${rt.build} out`).toEqual(ref.out);
          expect(runKernel(rt, a).out, `${rt.build} out`).toEqual(ref.out);
        }
      }
    });
  }

  // Small P x V sums: V mantissas of 1..3 keep |o| below 2^29, so the row is shifted left before its
  // quantization; and V at its zero points gives o = 0 (an all-zero row).
  for (const seed of seeds(5)) {
    it(`small and zero accumulators (left shifts, all-zero rows) equal the reference bit for bit, seed ${seed}`, () => {
      for (const zeroV of [false, true]) {
        const a = randomCase(seed, { rows: 3, nHeads: 5, nKvHeads: 5, headDim: 13, maxPos: 45 });
        const kvw = 5 * 13;
        for (let t = 0; t < 45; t++) {
          a.vParams.m[t] = 1 + (t % 3);
          if (zeroV) a.vCache.fill(a.vParams.z[t], t * kvw, (t + 1) * kvw);
        }
        const ref = attentionRef(a);
        const refAcc = attentionAccumulatorsRef(a).acc;
        for (const rt of runtimes) {
          const got = runKernel(rt, a, [0, 3, 5]);
          expect(got.acc, `${rt.build} int64 accumulators`).toEqual(refAcc);
          expect(got.params, `${rt.build} params`).toEqual(ref.params);
          expect(got.out, `${rt.build} out`).toEqual(ref.out);
          expect(runKernel(rt, a).out, `${rt.build} out (rows)`).toEqual(ref.out);
        }
        if (zeroV) expect(refAcc.every((v) => v === 0n)).toBe(true);
        else expect(refAcc.some((v) => v !== 0n) && refAcc.every((v) => v < 2n ** 29n && v > -(2n ** 29n))).toBe(true);
      }
    });
  }

  it('runAttention names the argument that is wrong before any kernel runs', () => {
    const rt = runtimes[0];
    const mark = rt.arena.mark();
    const pos = rt.arena.alloc(16, 'pos', 16);
    rt.arena.i32(pos, 2).set([5, 9]); // pos [rows]
    const scratch = rt.arena.alloc(attentionScratchBytes(8, 2, 8), 'scratch', 16);
    const base: AttentionCall = {
      q: 0, rows: 2, qStride: 16, qM: 0, qK: 0, qZ: 0, pos, kc: 0, vc: 0, kvStride: 16, kM: 0, kK: 0, kZ: 0, vM: 0, vK: 0, vZ: 0,
      nHeads: 2, nKvHeads: 1, headDim: 8, cM: 1, cK: 0, maxLen: 8, out: 0, outStride: 16, outM: 0, outK: 0, outZ: 0,
    };
    try {
      expect(() => runAttention(rt, base, scratch)).toThrow(/pos\[1\] = 9 is outside 0\.\.7/);
      expect(() => runAttention(rt, { ...base, nKvHeads: 3 }, scratch)).toThrow(/nHeads 2 must be a positive multiple of nKvHeads 3/);
      expect(() => runAttention(rt, { ...base, headDim: 8.5 }, scratch)).toThrow(/headDim must be an integer/);
      expect(() => runAttention(rt, base, scratch + 4)).toThrow(/scratch offset .* 16-byte aligned/);
    } finally {
      rt.arena.release(mark);
    }
  });
});
