#!/usr/bin/env node
// `npm run bench -- NAME [--json FILE] [...]`: runs bench/NAME.mjs, whose `main(args)` returns
// { results: [...] }. Every bench runs in this one process, one thread, peers side by side.
import { writeFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').map((f) => f.slice(0, -4));
const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [--json FILE] [options]`);
  process.exit(2);
}
const jsonAt = rest.indexOf('--json');
const jsonFile = jsonAt >= 0 ? rest[jsonAt + 1] : undefined;
if (jsonAt >= 0 && !jsonFile) {
  console.error('--json needs a file name');
  process.exit(2);
}
const args = jsonAt >= 0 ? [...rest.slice(0, jsonAt), ...rest.slice(jsonAt + 2)] : rest;
const { main } = await import(`./${name}.mjs`);
const report = await main(args);
if (jsonFile) {
  writeFileSync(jsonFile, JSON.stringify(report, null, 2) + '\n');
  console.log(`wrote ${jsonFile}`);
}
