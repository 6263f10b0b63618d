// Runtimes with helper threads for the thread tests, each closed after its file (helpers keep a
// worker_threads isolate each; a file that opens many should not leave them to the process end).
import { afterAll } from 'vitest';
import { loadRuntime, type DyadicRuntime } from '../../bindings/entry/node.js';

/** A loader of runtimes with `threads` threads, all closed when the calling test file ends. */
export function threadedRuntimes(): (build: 'simd' | 'relaxed', threads: number) => Promise<DyadicRuntime> {
  const opened: DyadicRuntime[] = [];
  afterAll(() => opened.forEach((rt) => rt.close()));
  return async (build, threads) => {
    const rt = await loadRuntime({ build, threads });
    opened.push(rt);
    return rt;
  };
}
