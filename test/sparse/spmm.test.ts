// Block-sparse kernels (assembly/sparse/) against an independent dense oracle and against the dense
// GEMM kernels (bindings/gemm/) on the same pruned weights, on both builds.
import { afterAll, describe, expect, it } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';
import { packWeights } from '../../bindings/gemm/pack.js';
import { matmul } from '../../bindings/gemm/matmul.js';
import { matmulInt8Ref } from '../../bindings/gemm/matmul.ref.js';
import { BLOCK_SHAPES, blockGrid, blockRows, type BlockShape, type SparseBits } from '../../bindings/sparse/format.js';
import { packBlockCsr } from '../../bindings/sparse/pack.js';
import { packSparseWeights, sparseMatmul } from '../../bindings/sparse/matmul.js';
import { pruneBlocks } from '../../bindings/offline/prune.js';
import { SparseLinear } from '../../bindings/sparse/spmm.js';
import { denseOracle, randInt, randomInt8, rng, freshSeed } from './helpers.js';

const BUILDS = ['simd', 'relaxed'] as const;
const BITS: SparseBits[] = [8, 4];
const FRESH = freshSeed();

/** Zero-block patterns the sweep goes through (the list), applied to the block grid. */
type Pattern = 'random' | 'empty rows' | 'all empty' | 'one block' | 'full';
const PATTERNS: Pattern[] = ['random', 'empty rows', 'all empty', 'one block', 'full'];

function patterned(r: () => number, N: number, K: number, bits: SparseBits, block: BlockShape, pattern: Pattern, extreme = false) {
  const lo = bits === 8 ? -128 : -8;
  const hi = bits === 8 ? 127 : 7;
  const values = extreme ? Int8Array.from({ length: N * K }, () => (r() < 0.5 ? lo : hi)) : randomInt8(r, N * K, lo, hi);
  const R = blockRows(block);
  const { NB, KB } = blockGrid(N, K, block);
  const only = randInt(r, 0, NB * KB - 1);
  const keep = (b: number, kb: number): boolean => {
    switch (pattern) {
      case 'random': return r() < 0.5;
      case 'empty rows': return b % 2 === 1 && r() < 0.8;
      case 'all empty': return false;
      case 'one block': return b * KB + kb === only;
      case 'full': return true;
    }
  };
  for (let b = 0; b < NB; b++) {
    for (let kb = 0; kb < KB; kb++) {
      if (keep(b, kb)) continue;
      for (let n = b * R; n < Math.min(N, b * R + R); n++) for (let k = kb * 16; k < Math.min(K, kb * 16 + 16); k++) values[n * K + k] = 0;
    }
  }
  const scales = Float64Array.from({ length: N }, () => 0.0005 + r() * 0.02);
  return { rows: N, cols: K, bits, values, scales };
}

const runtimes = new Map<string, Promise<DyadicRuntime>>();
/** A runtime per build; with threads = 2 its pool splits every call (the sweep's shapes are tiny). */
const runtime = (build: (typeof BUILDS)[number], threads = 1) => {
  const key = `${build} ${threads}`;
  if (!runtimes.has(key)) {
    runtimes.set(key, loadRuntime({ build, threads }).then((rt) => {
      if (rt.pool) rt.pool.minSplitWork = 0;
      return rt;
    }));
  }
  return runtimes.get(key)!;
};
afterAll(async () => {
  for (const rt of runtimes.values()) (await rt).close();
});

describe('block-sparse kernels vs the dense oracle (int32, zero point folded)', () => {
  const Ns = [1, 3, 4, 5, 8, 13];
  const Ks = [1, 8, 15, 16, 17, 32, 48, 100];
  const Ms = [1, 2, 3, 4, 5, 7, 16, 17];
  for (const build of BUILDS) {
    for (const bits of BITS) {
      for (const block of BLOCK_SHAPES) {
        for (const [seed, threads] of [[1, 1], [FRESH, 1], [FRESH, 2]]) {
          it(`${build} int${bits} ${block}: N x K x M x zero-block pattern sweep (seed ${seed}, ${threads} thread(s))`, async () => {
            const rt = await runtime(build, threads);
            expect(rt.threads).toBe(threads);
            const r = rng(seed * 7 + bits);
            let cases = 0;
            for (const N of Ns) {
              for (const K of Ks) {
                for (const pattern of PATTERNS) {
                  const w = patterned(r, N, K, bits, block, pattern);
                  const { csr } = packBlockCsr(w, { block });
                  const layer = SparseLinear.load(rt, csr, `sweep ${N}x${K}`);
                  const M = Ms[cases++ % Ms.length];
                  const a = randomInt8(r, M * K);
                  const za = Int32Array.from({ length: M }, () => randInt(r, -128, 127));
                  const { out, rowRange } = layer.multiply(a, M, za);
                  const want = denseOracle(a, M, K, za, w.values, N);
                  if (!out.every((v, i) => v === want[i])) {
                    expect(Array.from(out), `N=${N} K=${K} M=${M} ${pattern}`).toEqual(Array.from(want));
                  }
                  // each row's range widens (0, 0) by its outputs (merged across threads when split)
                  const wantRange = new Int32Array(2 * M);
                  for (let i = 0; i < M; i++) {
                    for (let n = 0; n < N; n++) {
                      wantRange[2 * i] = Math.min(wantRange[2 * i], want[i * N + n]);
                      wantRange[2 * i + 1] = Math.max(wantRange[2 * i + 1], want[i * N + n]);
                    }
                  }
                  expect(rowRange, `rowRange N=${N} K=${K} M=${M} ${pattern}`).toEqual(wantRange);
                }
              }
            }
            expect(cases).toBe(Ns.length * Ks.length * PATTERNS.length);
          });
        }
        it(`${build} int${bits} ${block}: -128/127 everywhere, zero points at both ends, K up to the limit`, async () => {
          const rt = await runtime(build);
          const r = rng(99);
          for (const [N, K, M] of [[5, 33, 3], [8, 4096, 2], [4, 65536, 1]]) {
            const w = patterned(r, N, K, bits, block, 'full', true);
            const layer = SparseLinear.load(rt, packBlockCsr(w, { block }).csr);
            for (const [av, z] of [[-128, 127], [127, -128], [-128, -128], [127, 127]]) {
              const a = new Int8Array(M * K).fill(av);
              for (let i = 0; i < a.length; i += 3) a[i] = av === -128 ? 127 : -128; // mix both extremes
              const za = new Int32Array(M).fill(z);
              const { out } = layer.multiply(a, M, za);
              const want = denseOracle(a, M, K, za, w.values, N);
              expect(Array.from(out), `N=${N} K=${K} a=${av} z=${z}`).toEqual(Array.from(want));
            }
          }
        });
      }
    }
  }
});

describe('block-sparse = dense kernel on the same pruned weights (epilogue int32 and int8 outputs)', () => {
  for (const build of BUILDS) {
    for (const bits of BITS) {
      for (const block of BLOCK_SHAPES) {
        it(`${build} int${bits} ${block}: sparseMatmul equals matmul bit for bit, and the dense reference (seed ${FRESH})`, async () => {
          const rt = await runtime(build);
          const r = rng(FRESH + bits * 13);
          for (const [N, K, M, sparsity] of [[4, 16, 1, 0.5], [13, 100, 5, 0.3], [32, 64, 17, 0.9], [7, 33, 2, 0], [20, 48, 4, 1], [64, 256, 33, 0.7]]) {
            const w0 = patterned(r, N, K, bits, block, 'full');
            if (bits === 4) for (let i = 0; i < w0.values.length; i++) w0.values[i] = Math.max(-7, w0.values[i]); // quantizer's range
            const w = pruneBlocks(w0, { block, sparsity, scope: r() < 0.5 ? 'global' : 'row' });
            const dense = packWeights(rt, w.values, { N, K, bits, scale: w.scales });
            const sparse = packSparseWeights(rt, packBlockCsr(w, { block, dyadic: dense.scale }).csr);
            expect(sparse.shift).toBe(dense.shift);
            const a = randomInt8(r, M * K);
            const zero = Int32Array.from({ length: M }, () => randInt(r, -128, 127));
            const scaleM = Int32Array.from({ length: M }, () => randInt(r, 1, 60000));
            const scaleK = Int32Array.from({ length: M }, () => randInt(r, 10, 30));
            const opts = { M, zero, scaleM, scaleK };
            const d32 = matmul(rt, dense, a, { ...opts, output: 'int32' });
            const s32 = sparseMatmul(rt, sparse, a, { ...opts, output: 'int32' });
            expect(s32.data).toEqual(d32.data);
            expect(s32.scale).toEqual(d32.scale);
            const d8 = matmul(rt, dense, a, { ...opts, output: 'int8' });
            const s8 = sparseMatmul(rt, sparse, a, { ...opts, output: 'int8' });
            expect(s8.data).toEqual(d8.data);
            expect(s8.scale).toEqual(d8.scale);
            const ref = matmulInt8Ref({ w: w.values, N, K, a, M, zero, mant: dense.scale.m, scaleK: dense.scale.k, shift: dense.shift, rowM: scaleM, rowK: scaleK });
            expect(s8.data).toEqual(ref.q);
            expect(s8.scale.z).toEqual(ref.params.z);
          }
        });
      }
    }
  }
});

describe('call arguments (checked before the kernel runs)', () => {
  it('runs on strided rows in place, copies unpadded rows, and writes nothing outside the output rows', async () => {
    const rt = await runtime('relaxed');
    const r = rng(5);
    const N = 9, K = 37, M = 3, aStride = 64, outStride = 12;
    const w = patterned(r, N, K, 4, '4x16', 'random');
    const layer = SparseLinear.load(rt, packBlockCsr(w, { block: '4x16' }).csr);
    const a = randomInt8(r, M * K);
    const za = Int32Array.from({ length: M }, () => randInt(r, -20, 20));
    const want = denseOracle(a, M, K, za, w.values, N);
    const ar = rt.arena;
    for (const padding of ['zeros', 'garbage']) {
      const aAt = ar.alloc(M * aStride, 'a'); // [M][aStride] int8
      const zAt = ar.alloc(4 * M, 'za');
      const outAt = ar.alloc(4 * M * outStride, 'out'); // [M][outStride] int32
      const rAt = ar.alloc(8 * M, 'range');
      ar.ensure(ar.usedBytes + layer.scratchBytes(M));
      const av = ar.i8(aAt, M * aStride);
      av.fill(padding === 'zeros' ? 0 : 77);
      for (let i = 0; i < M; i++) av.set(a.subarray(i * K, (i + 1) * K), i * aStride);
      ar.i32(zAt, M).set(za);
      ar.i32(outAt, M * outStride).fill(-1);
      ar.i32(rAt, 2 * M).fill(0);
      layer.run({ a: aAt, aStride, M, rowZero: zAt, out: outAt, outStride, rowRange: rAt, mode: 'int32' });
      const out = ar.i32(outAt, M * outStride);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < outStride; j++) expect(out[i * outStride + j]).toBe(j < N ? want[i * N + j] : -1);
      }
    }
  });

  it('names the bad argument instead of trapping', async () => {
    const rt = await runtime('simd');
    const w = patterned(rng(3), 8, 32, 8, '4x16', 'random');
    const layer = SparseLinear.load(rt, packBlockCsr(w, { block: '4x16' }).csr, 'blk.3.ffn_up');
    const mem = rt.arena.memory.buffer.byteLength;
    const ok = { a: 0, aStride: 32, M: 1, rowZero: 0, out: 0, outStride: 8, rowRange: 0, mode: 'int32' as const };
    expect(() => layer.run({ ...ok, M: 0 })).toThrow(/blk.3.ffn_up: M \(activation rows\) must be an integer in 1/);
    expect(() => layer.run({ ...ok, aStride: 31 })).toThrow(/activation row stride \(bytes, >= K = 32\)/);
    expect(() => layer.run({ ...ok, outStride: 4 })).toThrow(/output row stride \(elements, >= N = 8\)/);
    expect(() => layer.run({ ...ok, a: mem - 10 })).toThrow(/activations \[1 x 32\] int8 at offset .* past wasm memory/);
    expect(() => layer.run({ ...ok, out: mem - 8 })).toThrow(/output \[1 x 8\] int32/);
    expect(() => layer.run({ ...ok, mode: 'rescale', shift: 63 })).toThrow(/rescale shift must be an integer in 0..62, got 63/);
    const zAt = rt.arena.alloc(4, 'z');
    rt.arena.i32(zAt, 1)[0] = 300;
    expect(() => layer.run({ ...ok, rowZero: zAt })).toThrow(/rowZero\[0\] = 300 is outside -128..127/);
    expect(() => layer.multiply(new Int8Array(31), 1, new Int32Array(1))).toThrow(/activations have 31 values, expected \[1, 32\]/);
    const other = await loadRuntime({ build: 'simd' });
    expect(() => sparseMatmul(other, layer, new Int8Array(32), { M: 1 })).toThrow(/belong to another runtime/);
    expect(() => sparseMatmul(rt, layer, new Int8Array(33), { M: 1 })).toThrow(/activations has 33 elements, expected \[M, K\] = \[1, 32\]/);
  });
});
