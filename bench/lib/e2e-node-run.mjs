// One dyadic e2e run in its own Node process, so the process's peak resident size (maxRSS) belongs to
// that run alone. Started by bench/e2e.mjs with one JSON argument; prints one JSON line.
import { readFileSync } from 'node:fs';
import * as dyadic from '../../dist/entry/node.js';
import { runDyadic } from './e2e-dyadic.mjs';

const options = JSON.parse(process.argv[2]);
const bytes = readFileSync(options.path);
const result = await runDyadic(dyadic, { ...options, bytes, file: options.path.split('/').pop() });
process.stdout.write(`${JSON.stringify({ ...result, rssBytes: process.resourceUsage().maxRSS * 1024, nodeVersion: process.version })}\n`);
