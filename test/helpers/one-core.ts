// Vitest setup (vitest.config.ts setupFiles): on a machine with one core, Node's thread host offers one
// thread, so `threads: 2` would quietly give one and the thread tests would compare one thread with
// itself. Correctness across thread counts does not need two cores (the threads just take turns), so
// here the host offers two threads; on two or more cores nothing changes. (Speed is never asserted.)
import { availableParallelism } from 'node:os';

/** The thread count the tests' host offers: the machine's parallelism, at least 2. */
export const TEST_OFFERED_THREADS = Math.max(2, availableParallelism());

if (availableParallelism() < 2) {
  // Both module graphs tests load: the TypeScript sources and the built package in dist/.
  for (const [entry, pool] of [
    ['../../bindings/entry/node.js', '../../bindings/threads/pool.js'],
    ['../../dist/entry/node.js', '../../dist/threads/pool.js'],
  ]) {
    await import(entry);
    const { setThreadHost, threadHost } = await import(pool);
    const real = threadHost();
    if (real) setThreadHost({ available: () => TEST_OFFERED_THREADS, start: (init: unknown) => real.start(init) });
  }
}
