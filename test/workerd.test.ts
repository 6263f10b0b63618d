import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from './helpers/workerd.js';
import { accumulateRef } from '../bindings/gemm/matmul.ref.js';
import { freshSeed, seededPerTest } from './helpers/rng.js';

const SEED = freshSeed(); // named in the describe title
const random = seededPerTest(SEED);

// Compiling wasm from bytes is refused in workerd, so all of this works only because the workerd entry
// imports the .wasm files as modules.
const WORKER = `
import { loadRuntime, packWeights, matmul } from 'dyadic';
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/__ready') return new Response('ok');
    if (url.pathname === '/runtime') {
      const results = {};
      for (const build of ['auto', 'simd', 'relaxed']) {
        try { results[build] = (await loadRuntime({ build })).build; } catch (e) { results[build] = 'error: ' + e.message; }
      }
      const threads = {};
      for (const ask of ['auto', 2]) {
        try { threads[ask] = (await loadRuntime({ threads: ask })).threads; } catch (e) { threads[ask] = 'error: ' + e.message; }
      }
      let compileFromBytes;
      try { await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); compileFromBytes = 'allowed'; }
      catch (e) { compileFromBytes = 'refused: ' + e.message; }
      return Response.json({ results, threads, compileFromBytes });
    }
    if (url.pathname === '/gemm') {
      const { build, M, N, K, bits, w, a, zero } = await request.json();
      const rt = await loadRuntime({ build });
      const packed = packWeights(rt, Int8Array.from(w), { N, K, bits });
      const out = matmul(rt, packed, Int8Array.from(a), { M, zero: Int32Array.from(zero), output: 'int32' });
      return Response.json({ build: rt.build, p: Array.from(out.data) });
    }
    return new Response('not found', { status: 404 });
  },
};
`;

function randomInts(n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + Math.floor(random() * (hi - lo + 1)));
}

describe(`Cloudflare workerd (seed ${SEED})`, () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker(WORKER);
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('loads both builds through the workerd export, where compiling wasm from bytes is refused', async () => {
    const body = await (await fetch(`${worker.url}/runtime`)).json();
    expect(body.compileFromBytes).toMatch(/^refused/);
    expect(body.results).toEqual({ auto: 'relaxed', simd: 'simd', relaxed: 'relaxed' });
  });

  it("runs kernels on one thread: threads 'auto' and an explicit 2 both give one thread in an isolate", async () => {
    const body = await (await fetch(`${worker.url}/runtime`)).json();
    expect(body.threads).toEqual({ auto: 1, 2: 1 });
  });

  for (const [build, bits] of [['simd', 8], ['relaxed', 8], ['simd', 4], ['relaxed', 4], ['relaxed', 7]] as const) {
    it(`runs a W${bits}A8 GEMM in the ${build} build and matches the scalar reference`, async () => {
      const M = 5;
      const N = 37;
      const K = 301;
      const half = 2 ** (bits - 1);
      const w = randomInts(N * K, -half, half - 1);
      const a = randomInts(M * K, -128, 127);
      const zero = randomInts(M, -128, 127);
      const response = await fetch(`${worker.url}/gemm`, { method: 'POST', body: JSON.stringify({ build, M, N, K, bits, w, a, zero }) });
      const body = await response.json();
      expect(body.build).toBe(build);
      const expected = accumulateRef({
        w: Int8Array.from(w), N, K, a: Int8Array.from(a), M, zero: Int32Array.from(zero),
        mant: new Int32Array(N).fill(1), scaleK: 0, shift: 0, rowM: new Int32Array(M).fill(1), rowK: new Int32Array(M),
      });
      expect(body.p).toEqual(Array.from(expected));
    });
  }
});
