// Group-wise kernels (llama.cpp block types) through packGroupwise + groupwiseMatmul against the scalar
// reference from the definition (bindings/gemm/groupwise.ref.ts): exact, every type, both builds, shape
// sweeps and extreme quants/scales. Then the kept precision against float64 of the file's own
// dequantized weights (bindings/formats/tensor-types.ts decodes blocks independently).
import { describe, expect, it } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';
import { packGroupwise } from '../../bindings/gemm/groupwise-pack.js';
import { groupwiseMatmul } from '../../bindings/gemm/groupwise.js';
import { groupwiseIntegerWeights, groupwiseRef } from '../../bindings/gemm/groupwise.ref.js';
import { GROUPWISE_FORMATS, GW_SCALE_MAX, GW_WEIGHT_ERROR_UNITS, qmaxOf } from '../../bindings/gemm/groupwise-blocks.js';
import { decodeTensor } from '../../bindings/formats/tensor-types.js';
import { randomBlocks, type BlockStyle } from '../helpers/blocks.js';
import { rng, randInt, seeds } from '../helpers/rng.js';

let rts: Record<'simd' | 'relaxed', DyadicRuntime> | undefined;
async function runtimes() {
  rts ??= { simd: await loadRuntime({ build: 'simd' }), relaxed: await loadRuntime({ build: 'relaxed' }) };
  return rts;
}

function activations(seed: number, M: number, K: number, extreme: boolean | 'worst'): { a: Int8Array; zero: Int32Array } {
  const r = rng(seed);
  if (extreme === 'worst') return { a: new Int8Array(M * K).fill(-128), zero: new Int32Array(M).fill(127) };
  const a = Int8Array.from({ length: M * K }, () => (extreme ? (r() < 0.5 ? -128 : 127) : randInt(r, -128, 127)));
  const zero = Int32Array.from({ length: M }, () => (extreme ? (r() < 0.5 ? -128 : 127) : randInt(r, -128, 127)));
  return { a, zero };
}

/** Runs one case; returns max |p| (sweeps check their outputs use the int32 range: an all-zero comparison proves nothing). */
async function check(type: number, N: number, K: number, M: number, seed: number, style: BlockStyle, where: string): Promise<number> {
  const blocks = randomBlocks(type, N, K, seed, style);
  const { a, zero } = activations(seed + 1, M, K, style === 'worst' ? 'worst' : style !== 'random');
  const ref = groupwiseRef(type, blocks, N, K, a, M, zero);
  for (const build of ['simd', 'relaxed'] as const) {
    const rt = (await runtimes())[build];
    const mark = rt.arena.mark();
    const w = packGroupwise(rt, type, blocks, N, K, 'test');
    const p = groupwiseMatmul(rt, w, a, { M, zero });
    rt.arena.release(mark);
    expect(w.scale.k, `${where} ${build} E`).toBe(ref.E);
    expect(p, `${where} ${build}`).toEqual(ref.p);
  }
  return ref.p.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

const TYPES = [...GROUPWISE_FORMATS.values()];

describe('group-wise kernels == scalar reference, both builds, exact', () => {
  for (const f of TYPES) {
    for (const seed of seeds(101, 102)) {
      it(`${f.name} seed ${seed}: K one block .. several, M 1..5, N remainders`, async () => {
        let s = seed;
        let largest = 0;
        const Ks = f.blockSize === 256 ? [256, 512, 768] : [32, 64, 96, 256, 288];
        for (const K of Ks) {
          for (const M of [1, 2, 3, 4, 5]) {
            for (const N of [1, 3, 4, 5, 9]) {
              const style = (['random', 'mixed'] as const)[s % 2];
              largest = Math.max(largest, await check(f.type, N, K, M, s++, style, `${f.name} M=${M} N=${N} K=${K} seed=${s - 1} ${style}`));
            }
          }
        }
        expect(largest).toBeGreaterThan(2 ** 22);
      });
    }
    it(`${f.name}: extreme quants and scales (all-ones bits, 65504, subnormal, zero), long K, cache blocks`, async () => {
      for (const style of ['zero-scales', 'max-quants', 'max-scales', 'tiny-scales', 'mixed', 'worst'] as const) {
        const largest = await check(f.type, 6, f.blockSize === 256 ? 4096 : 2048, 3, 7, style, `${f.name} ${style}`);
        if (style === 'zero-scales') expect(largest).toBe(0);
        else expect(largest, style).toBeGreaterThan(2 ** 20);
      }
      await check(f.type, 203, 2048, 2, seeds(9)[1], 'random', `${f.name} N=203 K=2048`);
      await check(f.type, 5, 256 * 33, 1, 3, 'random', `${f.name} K=8448`);
    });
  }
});

describe('kept precision against float64 of the file\'s dequantized weights', () => {
  for (const f of TYPES) {
    it(`${f.name}: |W 2^-e - w| <= GW_WEIGHT_ERROR_UNITS(qmax) 2^-e, and 2^-e < 2 max|group scale| / GW_SCALE_MAX`, () => {
      for (const seed of seeds(201)) {
        const [N, K] = [7, f.blockSize === 256 ? 512 : 128];
        const blocks = randomBlocks(f.type, N, K, seed, 'random');
        const w = decodeTensor(f.type, blocks, N * K); // float32 holds these exactly? no: f16 x small ints, checked in float64 below
        const { W, e } = groupwiseIntegerWeights(f.type, blocks, N, K);
        for (let n = 0; n < N; n++) {
          const unit = 2 ** -e[n];
          let worst = 0;
          let rowMax = 0;
          for (let k = 0; k < K; k++) {
            worst = Math.max(worst, Math.abs(W[n * K + k] * unit - w[n * K + k]));
            rowMax = Math.max(rowMax, Math.abs(w[n * K + k]));
          }
          // float32 rounding of the float decode itself: 2^-24 relative
          expect(worst, `${f.name} seed ${seed} row ${n}`).toBeLessThanOrEqual(GW_WEIGHT_ERROR_UNITS(qmaxOf(f)) * unit + rowMax * 2 ** -23);
          expect(unit * GW_SCALE_MAX, `${f.name} row ${n} exponent as large as allowed`).toBeLessThanOrEqual(2 * rowMax + 1e-30);
        }
      }
    });
  }
});

describe('group-wise errors name what is wrong', () => {
  it('bad shapes and types', async () => {
    const rt = (await runtimes()).relaxed;
    expect(() => packGroupwise(rt, 0, new Uint8Array(8), 1, 2, 'x')).toThrow(/type F32 has no group-wise kernel/);
    expect(() => packGroupwise(rt, 2, new Uint8Array(18), 1, 48, 'x')).toThrow(/K = 48 must be a multiple of Q4_0's block of 32/);
    expect(() => packGroupwise(rt, 2, new Uint8Array(17), 1, 32, 'x')).toThrow(/17 bytes of Q4_0 blocks, expected 18 for \[1, 32\]/);
    const w = packGroupwise(rt, 2, new Uint8Array(18), 1, 32, 'x');
    expect(() => groupwiseMatmul(rt, w, new Int8Array(31), { M: 1 })).toThrow(/activations must be an Int8Array \[M, K\] = \[1, 32\]/);
  });
});
