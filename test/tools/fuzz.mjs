#!/usr/bin/env node
// `npm run fuzz [-- CASES]`: the readers' mutation fuzzing (test/formats/fuzz.test.ts) at scale, outside
// `npm test`: CASES (default 10,000) damaged copies of every target file (GGUF of each llama.cpp block type,
// F32 and F16 GGUF, llama2.c checkpoints, tokenizer files, safetensors). Each must end in a model or a
// named ModelFormatError within 2 s. Replay a failure with DYADIC_SEED=<fresh seed printed in the test name>.
import { spawnSync } from 'node:child_process';

const cases = Number(process.argv[2] ?? 10_000);
if (!Number.isInteger(cases) || cases < 1) {
  console.error('usage: npm run fuzz [-- CASES]  (a positive integer, default 10000)');
  process.exit(2);
}
const started = performance.now();
const r = spawnSync('npx', ['vitest', 'run', 'test/formats/fuzz.test.ts', '--testTimeout=0'], {
  stdio: 'inherit',
  env: { ...process.env, DYADIC_FUZZ_CASES: String(cases) },
});
console.log(`fuzz: ${cases} mutations per target, ${((performance.now() - started) / 1000).toFixed(0)} s, exit ${r.status}`);
process.exit(r.status ?? 1);
