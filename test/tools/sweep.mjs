#!/usr/bin/env node
// Runs randomized tests over many seeds, outside `npm test`:
//   npm run sweep -- test/ops/norm.test.ts --seeds 1000 [--base 42] [-t 'name pattern']
// Sets DYADIC_SWEEP (seeds() in test/helpers/seed.ts then yields that many fresh seeds, drawn from --base
// or a random base), runs vitest once, and lists the failing seeds; replay one with
//   DYADIC_SEED=<seed> npx vitest run <file>
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const files = [];
const passThrough = [];
let count = 1000;
let base = Math.floor(Math.random() * 2 ** 32);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--seeds') count = Number(args[++i]);
  else if (a === '--base') base = Number(args[++i]);
  else if (a === '-t' || a === '--testNamePattern') passThrough.push('-t', args[++i]);
  else if (a === '-h' || a === '--help') {
    console.log('usage: npm run sweep -- TEST_FILE... [--seeds N] [--base SEED] [-t NAME_PATTERN]');
    process.exit(0);
  } else files.push(a);
}
if (!files.length || !Number.isInteger(count) || count < 1 || !Number.isInteger(base) || base < 0 || base >= 2 ** 32) {
  console.error('usage: npm run sweep -- TEST_FILE... [--seeds N >= 1] [--base SEED in [0, 2^32)] [-t NAME_PATTERN]');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'dyadic-sweep-'));
const report = join(dir, 'report.json');
console.log(`sweep: ${files.join(' ')} over ${count} fresh seeds (base ${base}; the fixed seeds run too)`);
const started = performance.now();
const run = spawnSync('npx', ['vitest', 'run', ...files, ...passThrough, '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, DYADIC_SWEEP: String(count), DYADIC_SEED: String(base) },
});
let results;
try {
  results = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  console.error(`sweep: vitest wrote no report (exit ${run.status})`);
  process.exit(run.status || 1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const failed = [];
let total = 0;
for (const file of results.testResults) {
  for (const t of file.assertionResults) {
    total++;
    if (t.status !== 'failed') continue;
    const seed = /\bseed (\d+)/.exec(t.fullName)?.[1];
    failed.push({ file: file.name, seed, name: t.fullName, message: (t.failureMessages?.[0] ?? '').split('\n')[0] });
  }
}
const secs = ((performance.now() - started) / 1000).toFixed(0);
console.log(`\nsweep: ${total} tests, ${failed.length} failed, ${secs} s`);
for (const f of failed) {
  console.log(`  ${f.seed ? `seed ${f.seed}` : '(no seed in name)'}: ${f.name}\n      ${f.message}`);
  if (f.seed) console.log(`      replay: DYADIC_SEED=${f.seed} npx vitest run ${f.file}`);
}
process.exit(failed.length || run.status ? 1 : 0);
