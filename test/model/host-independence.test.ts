import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { repoRoot } from './helpers/paths.js';

// The readers, tokenizer, model and sampling run in browsers and Workers too: only bindings/cli and the
// Node entry may touch node: modules (the file system).
describe('host independence', () => {
  it('bindings/{formats,tokenizer,model,sampling} import no node: module', () => {
    const offenders: string[] = [];
    for (const dir of ['formats', 'tokenizer', 'model', 'sampling']) {
      for (const f of readdirSync(repoRoot + 'bindings/' + dir)) {
        if (!f.endsWith('.ts')) continue;
        const src = readFileSync(repoRoot + `bindings/${dir}/${f}`, 'utf8');
        if (/from\s+['"]node:|require\(['"]node:|from\s+['"](fs|path|os)['"]/.test(src)) offenders.push(`${dir}/${f}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
