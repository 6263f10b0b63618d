import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Node 20 validates relaxed SIMD only behind this flag; with it the suite runs both builds.
    execArgv: ['--experimental-wasm-relaxed-simd'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
