// The kernel thread pool (bindings/threads/): thread counts, a dispatch right after start, faults on a
// helper reported by name, and a closed pool falling back to one thread. Exactness of split kernels is
// checked in threaded-gemm.test.ts and in the integer model tests.
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_OFFERED_THREADS } from '../helpers/one-core.js';
import { availableThreads, loadRuntime, resolveThreads, type DyadicRuntime } from '../../bindings/entry/node.js';
import { packWeights } from '../../bindings/gemm/pack.js';
import { matmul } from '../../bindings/gemm/matmul.js';
import { matmulInt8Ref } from '../../bindings/gemm/matmul.ref.js';
import { makeInput } from '../helpers/gemm-input.js';
import { seeds } from '../helpers/rng.js';
import { DEFAULT_MIN_SPLIT_WORK, FALLBACK_MS, PROBE_DISPATCHES, setThreadHost, threadHost } from '../../bindings/threads/pool.js';

const runtimes: DyadicRuntime[] = [];
async function load(threads: number | 'auto', build: 'simd' | 'relaxed' = 'simd'): Promise<DyadicRuntime> {
  const rt = await loadRuntime({ build, threads });
  runtimes.push(rt);
  return rt;
}
afterAll(() => runtimes.forEach((rt) => rt.close()));

/** One split W8A8 matmul (M=2, N=64, K=1024: past the default minimum split work) checked against the scalar reference. */
function splitMatmulMatchesReference(rt: DyadicRuntime, seed: number): void {
  const x = makeInput(seed, 8, 2, 64, 1024, 'random');
  const mark = rt.arena.mark();
  const packed = packWeights(rt, x.w, { N: x.N, K: x.K, bits: 8, scale: { m: x.mant, k: x.scaleK } });
  x.shift = packed.shift;
  const out = matmul(rt, packed, x.a, { M: x.M, zero: x.zero, scaleM: x.rowM, scaleK: x.rowK });
  rt.arena.release(mark);
  const ref = matmulInt8Ref(x);
  expect(out.data).toEqual(ref.q);
  expect([out.scale.m, out.scale.k, out.scale.z]).toEqual([ref.params.m, ref.params.k, ref.params.z]);
}

describe('thread counts', () => {
  it("'auto' is the machine's parallelism in Node, the default is one thread", async () => {
    // On one core the test setup (helpers/one-core.ts) offers two threads; elsewhere this is the machine's.
    const cores = TEST_OFFERED_THREADS;
    expect(availableThreads()).toBe(cores);
    expect(resolveThreads('auto')).toBe(Math.min(cores, 16));
    expect((await load(1)).threads).toBe(1);
    expect((await loadRuntime({ build: 'simd' })).threads).toBe(1);
    const auto = await load('auto');
    expect(auto.threads).toBe(Math.min(cores, 16));
    expect(auto.pool === undefined).toBe(auto.threads === 1);
  });

  it('rejects a thread count that is not a positive integer, by name', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '2' as never]) {
      await expect(loadRuntime({ threads: bad })).rejects.toThrow(/threads must be a positive integer or 'auto'/);
    }
  });

  it('a memory limit bounds the shared memory too, with the buffer named past it', async () => {
    const rt = await loadRuntime({ build: 'simd', threads: 2, memoryLimitBytes: 2 << 20 });
    runtimes.push(rt);
    expect(rt.arena.limitBytes).toBe(2 << 20);
    rt.arena.alloc(1 << 20, 'weights');
    expect(() => rt.arena.alloc(2 << 20, 'the KV cache')).toThrow(/the KV cache needs 2097152 bytes.*limit of 2097152/);
    splitMatmulMatchesReference(rt, seeds()[0]);
  });

  it("when helpers cannot start, 'auto' falls back to one thread and an explicit count says why", async () => {
    const real = threadHost()!;
    setThreadHost({ available: () => 2, start: () => Promise.reject(new Error('workers are forbidden here')) });
    try {
      const rt = await loadRuntime({ build: 'simd', threads: 'auto' });
      expect(rt.threads).toBe(1);
      splitMatmulMatchesReference(rt, seeds()[0]);
      await expect(loadRuntime({ build: 'simd', threads: 2 })).rejects.toThrow(/a helper thread failed to start: workers are forbidden here/);
    } finally {
      setThreadHost(real);
    }
  });

  it('caps an explicit count at 16 threads', () => {
    expect(resolveThreads(64)).toBe(availableThreads() > 1 ? 16 : 1);
  });
});

describe('dispatch', () => {
  // Regression: a helper that read the generation counter only after saying it was ready could miss a
  // dispatch issued right after start, and the pool then waited for it until the timeout.
  it('a split call issued right after start is never lost (12 fresh pools)', async () => {
    const [seed] = seeds();
    for (let i = 0; i < 12; i++) {
      const rt = await load(2);
      splitMatmulMatchesReference(rt, seed + i);
      rt.close();
    }
  });

  it('reports a trap on a helper thread with the kernel, the thread and the arguments, and keeps working', async () => {
    const rt = await load(2);
    const pool = rt.pool!;
    const outside = rt.arena.memory.buffer.byteLength + 65536; // past the end of memory: the kernel traps
    pool.assign(0, 'gemm_w8a8_2x4c8', [1, 4, 8, 0, 8, 0, 0, 0, 0, 0, outside, 4, 0]);
    pool.dispatch();
    // the helper runs it, or the main thread does if it gets there first: either way the error names it
    expect(() => pool.finish()).toThrow(/kernel gemm_w8a8_2x4c8 trapped (on helper thread 1|in helper thread 1's share \(run on the main thread\)) with arguments \[1, 4, 8, 0, 8, 0, 0, 0, 0, 0, \d+, 4, 0\]/);
    splitMatmulMatchesReference(rt, seeds()[0]);
  });

  it('a helper that does not finish in time closes the pool by name; the runtime goes on with one thread', async () => {
    const rt = await load(2);
    const pool = rt.pool!;
    pool.dispatchTimeoutMs = 100;
    // a legitimate but long call (2^16 rows x 1024 x 1024, every row re-reading one activation row into
    // one output row; all reads and writes inside the buffers)
    const M = 1 << 16, N = 1024, K = 1024;
    const w = rt.arena.alloc(N * K, 'weights'); // [N/4][K/8][4][8] int8
    const perChannel = rt.arena.alloc(N * 4, 'wsum and mantissas'); // [N] int32
    const a = rt.arena.alloc(K, 'one activation row'); // [1][K] int8
    const rows = rt.arena.alloc(M * 8, 'row zero points and ranges'); // [M] x 2 int32
    const out = rt.arena.alloc(N * 4, 'one output row'); // [1][N] int32
    pool.assign(0, 'gemm_w8a8_2x4c8', [M, N, K, a, 0, w, perChannel, perChannel, 0, rows, out, 0, rows]);
    pool.dispatch();
    // let the helper take it (otherwise the main thread would run the long call itself)
    for (let i = 0; i < 200 && pool.slotState(0) === 'posted'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(pool.slotState(0)).toBe('taken');
    expect(() => pool.finish()).toThrow(/did not finish its kernel call within 100 ms; the thread pool is closed/);
    expect(pool.isClosed).toBe(true);
    expect(rt.threads).toBe(1);
    splitMatmulMatchesReference(rt, seeds()[0]);
  });

  it('a call its helper never starts (a dead thread) is run by the main thread: no wait, same result', async () => {
    const rt = await load(2);
    const pool = rt.pool!;
    pool.minSplitWork = 0;
    (pool as unknown as { handles: { terminate(): void }[] }).handles[0].terminate();
    await new Promise((r) => setTimeout(r, 50));
    const before = pool.taken;
    splitMatmulMatchesReference(rt, seeds()[0]);
    splitMatmulMatchesReference(rt, seeds()[0] + 1);
    expect(pool.taken - before).toBe(2);
  });

  it('helpers that never run make the pool fall back to one thread, and it probes again after the back-off', async () => {
    const rt = await load(2);
    const pool = rt.pool!;
    (pool as unknown as { handles: { terminate(): void }[] }).handles[0].terminate(); // a helper that never starts
    await new Promise((r) => setTimeout(r, 50));
    const [seed] = seeds();
    const taken = pool.taken;
    // each split call: the main thread runs its share, then the dead helper's (no speed-up)
    for (let i = 0; i < PROBE_DISPATCHES; i++) splitMatmulMatchesReference(rt, seed + i);
    expect(pool.taken - taken).toBe(PROBE_DISPATCHES);
    expect(pool.fallbacks).toBe(1);
    expect(pool.minSplitWork).toBe(Infinity);
    splitMatmulMatchesReference(rt, seed); // not split now: the dead helper is not even posted
    expect(pool.taken - taken).toBe(PROBE_DISPATCHES);
    await new Promise((r) => setTimeout(r, FALLBACK_MS + 50));
    expect(pool.minSplitWork).toBe(DEFAULT_MIN_SPLIT_WORK); // probing again
    for (let i = 0; i < PROBE_DISPATCHES; i++) splitMatmulMatchesReference(rt, seed + i);
    expect(pool.fallbacks).toBe(2);
    // an assigned threshold is kept: no measuring, no fallback
    pool.minSplitWork = 0;
    for (let i = 0; i < PROBE_DISPATCHES; i++) splitMatmulMatchesReference(rt, seed + i);
    expect([pool.fallbacks, pool.minSplitWork]).toEqual([2, 0]);
  });

  it('refuses an unknown kernel and too many arguments before dispatching', async () => {
    const rt = await load(2);
    expect(() => rt.pool!.assign(0, 'no_such_kernel', [])).toThrow(/no kernel 'no_such_kernel'/);
    expect(() => rt.pool!.assign(0, 'gemm_w8a8_2x4c8', new Array(40).fill(0))).toThrow(/40 arguments/);
  });

  it('after close() the runtime runs on one thread with the same results', async () => {
    const rt = await load(2, 'relaxed');
    const [seed] = seeds();
    splitMatmulMatchesReference(rt, seed);
    const pool = rt.pool!;
    rt.close();
    expect(rt.threads).toBe(1);
    expect(pool.isClosed).toBe(true);
    expect(() => pool.assign(0, 'gemm_w8a8_2x4c8', [])).toThrow(/closed/);
    splitMatmulMatchesReference(rt, seed);
  });
});
