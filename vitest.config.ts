import { defineConfig } from 'vitest/config';
// @ts-expect-error: a plain ES module of the repository's scripts (no types)
import { relaxedSimdFlags } from './bench/tools/node-flags.mjs';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Node 20 validates relaxed SIMD only behind a flag (with it the suite runs both builds); Node 22+
    // validate it by default and refuse the flag, so it is passed only where Node accepts it.
    execArgv: relaxedSimdFlags(),
    // One core: the thread tests still get two threads (see the file).
    setupFiles: ['test/helpers/one-core.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
