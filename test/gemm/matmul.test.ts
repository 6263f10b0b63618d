// Dense GEMM/GEMV kernels through the public API (packWeights + matmul) against the scalar reference
// computed from the definition (bindings/gemm/matmul.ref.ts): exact, for every bit width, on both builds.
import { describe, expect, it } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';
import { packWeights, blockK, type WeightBits, type WeightScale } from '../../bindings/gemm/pack.js';
import { matmul } from '../../bindings/gemm/matmul.js';
import { matmulInt32Ref, matmulInt8Ref, type ReferenceInput } from '../../bindings/gemm/matmul.ref.js';
import { DI_REQUANT_MAX_ERROR_STEPS } from '../../bindings/gemm/epilogue.ref.js';
import { rng, randInt, seeds } from '../helpers/rng.js';
import { makeInput, type Style } from '../helpers/gemm-input.js';

const BITS: WeightBits[] = [8, 4, 6, 7];
let rts: Record<'simd' | 'relaxed', DyadicRuntime> | undefined;
async function runtimes() {
  rts ??= { simd: await loadRuntime({ build: 'simd' }), relaxed: await loadRuntime({ build: 'relaxed' }) };
  return rts;
}

async function check(bits: WeightBits, x: ReferenceInput, where: string) {
  const all = await runtimes();
  const scale: WeightScale = { m: x.mant, k: x.scaleK };
  const outs: Record<string, { p: Int32Array; q: Int8Array; m: Int32Array; k: Int32Array; z: Int32Array }> = {};
  for (const build of ['simd', 'relaxed'] as const) {
    const rt = all[build];
    const mark = rt.arena.mark();
    const packed = packWeights(rt, x.w, { N: x.N, K: x.K, bits, scale });
    x.shift = packed.shift;
    const opts = { M: x.M, zero: x.zero, scaleM: x.rowM, scaleK: x.rowK };
    const r32 = matmul(rt, packed, x.a, { ...opts, output: 'int32' });
    const r8 = matmul(rt, packed, x.a, { ...opts, output: 'int8' });
    rt.arena.release(mark);
    outs[build] = { p: r32.data, q: r8.data, m: r8.scale.m, k: r8.scale.k, z: r8.scale.z };
    expect(r32.scale.k, where).toEqual(x.rowK.map((v) => v + x.scaleK - packed.shift));
  }
  const ref32 = matmulInt32Ref(x);
  const ref8 = matmulInt8Ref(x);
  for (const build of ['simd', 'relaxed'] as const) {
    const o = outs[build];
    const at = `${where} ${build}`;
    expect(o.p, at).toEqual(ref32.p);
    expect(o.q, at).toEqual(ref8.q);
    expect(o.m, at).toEqual(ref8.params.m);
    expect(o.k, at).toEqual(ref8.params.k);
    expect(o.z, at).toEqual(ref8.params.z);
  }
}

/** K values at, below, above and not multiples of the block, plus a few larger ones. */
function kSweep(bits: WeightBits): number[] {
  const b = blockK(bits);
  return [...new Set([1, b - 1, b, b + 1, 2 * b, 3 * b - 5, 16, 17, 100, 257])].filter((k) => k >= 1);
}

describe('dense matmul == reference, both builds, exact', () => {
  for (const bits of BITS) {
    for (const seed of seeds(11, 12)) {
      it(`W${bits}A8 seed ${seed}: M 1..9 x N 1..13 x K sweep`, async () => {
        let s = seed;
        for (const K of kSweep(bits)) {
          for (let M = 1; M <= 9; M++) {
            for (const N of [1, 3, 4, 5, 8, 13]) {
              const style: Style = (['random', 'mixed-extreme'] as const)[s % 2];
              await check(bits, makeInput(s++, bits, M, N, K, style), `W${bits} M=${M} N=${N} K=${K} seed=${s - 1} ${style}`);
            }
          }
        }
      });
    }
    it(`W${bits}A8: M 16..130 (tile remainders), N across cache blocks`, async () => {
      let s = seeds(21)[1];
      for (const [M, N, K] of [[16, 12, 64], [17, 7, 96], [33, 5, 40], [64, 9, 33], [127, 4, 64], [130, 6, 130]]) {
        await check(bits, makeInput(s++, bits, M, N, K, 'random'), `W${bits} M=${M} N=${N} K=${K} seed=${s - 1}`);
      }
      // N large enough to cross the kernels' channel blocks (L2 budget) with a long K
      await check(bits, makeInput(s++, bits, 3, 203, 4100, 'random'), `W${bits} M=3 N=203 K=4100 seed=${s - 1}`);
    });
    it(`W${bits}A8: K = 16384 and extreme values everywhere (-128/127, zero points at both ends)`, async () => {
      for (const style of ['max', 'min', 'mixed-extreme'] as const) {
        await check(bits, makeInput(5, bits, 3, 5, 16384, style), `W${bits} K=16384 ${style}`);
      }
      await check(bits, makeInput(6, bits, 2, 3, 16384 - 3, 'random'), `W${bits} K=16381 random`);
    });
  }
});

describe('dense matmul against float64 (the real-valued product)', () => {
  for (const bits of BITS) {
    it(`W${bits}A8: int8 output dequantizes to a_real x w_real^T within the DI-MatMul error budget`, async () => {
      const rt = (await runtimes()).relaxed;
      const r = rng(seeds(31)[1]);
      const [M, N, K] = [5, 37, 300];
      const x = makeInput(randInt(r, 0, 2 ** 30), bits, M, N, K, 'random');
      const wScale = Float64Array.from({ length: N }, () => 0.001 + 0.05 * r()); // float scales, made dyadic by packWeights
      const mark = rt.arena.mark();
      const packed = packWeights(rt, x.w, { N, K, bits, scale: wScale });
      const out = matmul(rt, packed, x.a, { M, zero: x.zero, scaleM: x.rowM, scaleK: x.rowK });
      const p = matmul(rt, packed, x.a, { M, zero: x.zero, scaleM: x.rowM, scaleK: x.rowK, output: 'int32' });
      rt.arena.release(mark);
      for (let i = 0; i < M; i++) {
        const sa = x.rowM[i] / 2 ** x.rowK[i];
        const step = out.scale.m[i] / 2 ** out.scale.k[i];
        const unitP = p.scale.m[i] / 2 ** p.scale.k[i];
        for (let n = 0; n < N; n++) {
          let acc = 0;
          for (let k = 0; k < K; k++) acc += (x.a[i * K + k] - x.zero[i]) * x.w[n * K + k];
          // the weight scale as packWeights stored it (dyadic), so the check isolates the integer pipeline
          const y = acc * sa * (packed.scale.m[n] / 2 ** packed.scale.k);
          expect(Math.abs(unitP * p.data[i * N + n] - y), `int32 ${i},${n}`).toBeLessThanOrEqual(0.5 * unitP + Math.abs(y) * 1e-12);
          const got = step * (out.data[i * N + n] - out.scale.z[i]);
          expect(Math.abs(got - y), `int8 ${i},${n}`).toBeLessThanOrEqual(DI_REQUANT_MAX_ERROR_STEPS * step + 0.5 * unitP + Math.abs(y) * 1e-12);
        }
        // and the float scale itself is within half a unit of the shared-exponent mantissa
        for (let n = 0; n < N; n++) expect(Math.abs(packed.scale.m[n] - wScale[n] * 2 ** packed.scale.k)).toBeLessThanOrEqual(0.5);
      }
    });
  }
});

describe('matmul and packWeights refuse bad input with the tensor and shape named', () => {
  it('errors', async () => {
    const rt = (await runtimes()).relaxed;
    const w = new Int8Array(4 * 8);
    expect(() => packWeights(rt, new Uint8Array(32) as never, { N: 4, K: 8, bits: 8 })).toThrow(/weights must be an Int8Array \[N, K\]/);
    expect(() => packWeights(rt, w, { N: 4, K: 9, bits: 8 })).toThrow(/weights has 32 elements, expected \[N, K\] = \[4, 9\]/);
    expect(() => packWeights(rt, w, { N: 4, K: 8, bits: 5 as never })).toThrow(/bits must be 8, 7, 6 or 4/);
    const big = new Int8Array(32); big[9] = 8;
    expect(() => packWeights(rt, big, { N: 4, K: 8, bits: 4 })).toThrow(/weights\[1, 1\] = 8 is outside -8..7 for 4-bit weights \(shape \[4, 8\]\)/);
    big[9] = -33;
    expect(() => packWeights(rt, big, { N: 4, K: 8, bits: 6 })).toThrow(/outside -32..31/);
    expect(() => packWeights(rt, w, { N: 4, K: 8, bits: 8, scale: { m: new Int32Array(3), k: 4 } })).toThrow(/scale.m has 3 mantissas, expected N = 4/);
    expect(() => packWeights(rt, w, { N: 4, K: 8, bits: 8, scale: [1, 2, 3] })).toThrow(/scale has 3 entries, expected N = 4/);
    const packed = packWeights(rt, w, { N: 4, K: 8, bits: 8 });
    expect(() => matmul(rt, packed, new Int8Array(15), { M: 2 })).toThrow(/activations has 15 elements, expected \[M, K\] = \[2, 8\]/);
    expect(() => matmul(rt, packed, new Int16Array(16) as never, { M: 2 })).toThrow(/activations must be an Int8Array \[M, K = 8\]/);
    expect(() => matmul(rt, packed, new Int8Array(16), { M: 2, zero: new Int32Array(3) })).toThrow(/zero has 3 entries, expected one per row \(M = 2\)/);
    expect(() => matmul(rt, packed, new Int8Array(16), { M: 2, zero: Int32Array.of(0, 128) })).toThrow(/zero\[1\] = 128 is outside -128..127/);
    expect(() => matmul(rt, packed, new Int8Array(16), { M: 2, scaleM: Int32Array.of(1, 0) })).toThrow(/scaleM\[1\] = 0/);
    expect(() => matmul(rt, packed, new Int8Array(16), { M: 0 })).toThrow(/M \(rows\) must be a positive integer/);
    const other = await loadRuntime({ build: 'simd' });
    expect(() => matmul(other, packed, new Int8Array(16), { M: 2 })).toThrow(/another runtime/);
  });
});
