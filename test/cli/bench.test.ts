// `dyadic bench` as a user runs it (dist/cli/main.js in a child process; npm test builds first): the
// llama-bench table and the --json shape, pp and tg rows with positive rates. No speed is asserted.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { repoRoot } from '../model/helpers/paths.js';

const main = repoRoot + 'dist/cli/main.js';
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [main, 'bench', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const gguf = repoRoot + 'models/stories260K.gguf'; // shipped in the repository and the package

beforeAll(() => {
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (npm test does it)`);
});

describe('dyadic bench', () => {
  it('--json gives one pp and one tg result with positive tokens/s, R samples each', () => {
    const r = run('-m', gguf, '--mode', 'w8a8', '-p', '40', '-n', '12', '-r', '2', '-t', '1', '--json');
    expect(r.code, r.err).toBe(0);
    const { results } = JSON.parse(r.out);
    expect(results.map((x: { test: string }) => x.test)).toEqual(['pp', 'tg']);
    const [pp, tg] = results;
    expect(pp).toMatchObject({ model: 'stories260K', mode: 'w8a8', threads: 1, n_prompt: 40, n_gen: 0 });
    expect(tg).toMatchObject({ model: 'stories260K', mode: 'w8a8', threads: 1, n_prompt: 0, n_gen: 12 });
    for (const x of results) {
      expect(x.backend).toMatch(/^wasm-/);
      expect(x.size).toBeGreaterThan(0);
      expect(x.params).toBeGreaterThan(200_000);
      expect(x.samples_ts).toHaveLength(2);
      for (const s of x.samples_ts) expect(s).toBeGreaterThan(0);
      expect(x.tokens_per_s).toBeCloseTo((x.samples_ts[0] + x.samples_ts[1]) / 2, 6);
      expect(x.stddev).toBeGreaterThanOrEqual(0);
    }
  });

  it('prints llama-bench\'s table: model, size, params, backend, threads, test, t/s as mean ± sd', () => {
    const r = run('-m', gguf, '--mode', 'float32', '-p', '16', '-n', '8', '-r', '2');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^\| model +\| size +\| params +\| backend +\| threads +\| test +\| +t\/s \|$/);
    expect(lines[1]).toMatch(/^\|[-:| ]+\|$/);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\| stories260K float32 \| [\d.]+ MiB \| [\d.]+ K \| js +\| +1 \| +pp16 \| +[\d.]+ ± [\d.]+ \|$/);
    expect(lines[3]).toMatch(/\| +tg8 \| +[\d.]+ ± [\d.]+ \|$/);
    const rate = Number(lines[2].split('|')[7].split('±')[0]);
    expect(rate).toBeGreaterThan(0);
  });

  it('-p 0 runs only tg; -n 0 only pp; bad values are usage errors', () => {
    expect(JSON.parse(run('-m', gguf, '-p', '0', '-n', '4', '-r', '1', '--json').out).results.map((x: { test: string }) => x.test)).toEqual(['tg']);
    expect(JSON.parse(run('-m', gguf, '-p', '4', '-n', '0', '-r', '1', '--json').out).results.map((x: { test: string }) => x.test)).toEqual(['pp']);
    const bad = run('-m', gguf, '-r', '0');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/-r 0 must be an integer >= 1/);
    const long = run('-m', gguf, '-p', '100000');
    expect(long.code).toBe(2);
    expect(long.err).toMatch(/need 100000 positions but .* has a context of \d+/);
    expect(run('-p', '4').err).toMatch(/-m MODEL is required/);
  });
});
