#!/usr/bin/env node
// `npm run bench -- ARGS`: runs bench/run.mjs on this Node with the flags it needs (the relaxed-SIMD flag
// on Node 20 only; Node 22+ reject it).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { relaxedSimdFlags } from './node-flags.mjs';

const run = fileURLToPath(new URL('../run.mjs', import.meta.url));
const r = spawnSync(process.execPath, [...relaxedSimdFlags(), run, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
