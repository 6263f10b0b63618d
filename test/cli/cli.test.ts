// The `dyadic` command as a user runs it: the built dist/cli/main.js in a child process (npm test
// builds first; run `npm run build` before running this file alone).
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { splitStories } from '../../bindings/model/evaluate.js';
import { loadModel } from '../../bindings/model/load.js';
import { llamaLogitsF64, nllF64 } from '../model/helpers/llama-f64.js';
import { devTextPath, modelsDir, readModelFile, repoRoot } from '../model/helpers/paths.js';

const main = repoRoot + 'dist/cli/main.js';
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const gguf = modelsDir + 'stories260K.gguf';
const greedy200 = readFileSync(modelsDir + 'stories260K.greedy200.txt', 'utf8');
const devText = devTextPath;

beforeAll(() => {
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (npm test does it)`);
});

describe('dyadic generate', () => {
  it('prints exactly run.c greedy output from stories260K.gguf with --mode float32, stats on stderr', () => {
    const r = run('generate', '-m', gguf, '-n', '200', '--temp', '0', '--mode', 'float32');
    expect(r.code).toBe(0);
    expect(r.out).toBe(greedy200 + '\n');
    expect(r.err).toMatch(/200 tokens, [\d.]+ tokens\/s \(first token excluded\), mode float32, backend js/);
  });

  it('prints the same from stories260K.bin + tok512.bin', () => {
    const r = run('generate', '-m', modelsDir + 'stories260K.bin', '-z', modelsDir + 'tok512.bin', '-n', '200', '--temp', '0', '--mode', 'float32');
    expect(r.code).toBe(0);
    expect(r.out).toBe(greedy200 + '\n');
  });

  it('--json gives text, tokens, tokensPerSecond and mode; sampling is reproducible with --seed', () => {
    const j = JSON.parse(run('generate', '-m', gguf, '-n', '200', '--temp', '0', '--mode', 'float32', '--json').out);
    expect(j).toEqual({ text: greedy200, tokens: expect.any(Array), tokensPerSecond: expect.any(Number), mode: 'float32' });
    expect(j.tokens).toHaveLength(200);
    expect(j.tokensPerSecond).toBeGreaterThan(0);
    const a = JSON.parse(run('generate', '-m', gguf, '-p', 'Once upon a time', '-n', '60', '--temp', '0.9', '--top-p', '0.9', '--seed', '42', '--json').out);
    const b = JSON.parse(run('generate', '-m', gguf, '-p', 'Once upon a time', '-n', '60', '--temp', '0.9', '--top-p', '0.9', '--seed', '42', '--json').out);
    const c = JSON.parse(run('generate', '-m', gguf, '-p', 'Once upon a time', '-n', '60', '--temp', '0.9', '--top-p', '0.9', '--seed', '43', '--json').out);
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(c.text);
    expect(a.text.startsWith('Once upon a time')).toBe(true);
  });

  it('-n -1 runs until the context is full', () => {
    const j = JSON.parse(run('generate', '-m', gguf, '-n', '-1', '-c', '40', '--temp', '0', '--mode', 'float32', '--json').out);
    expect(j.tokens).toHaveLength(40);
    expect(greedy200.startsWith(j.text)).toBe(true);
  });

  it('-t N runs integer kernels on N threads with the same tokens as one thread; -t must be a count or auto', () => {
    // the 32k-vocabulary LM head is large enough that the pool really splits it
    const args = ['generate', '-m', modelsDir + 'llama-2-tiny-random.gguf', '--mode', 'w8a8', '-p', 'Hello', '-n', '24', '--temp', '0.8', '--seed', '7'];
    const one = JSON.parse(run(...args, '-t', '1', '--json').out);
    const two = run(...args, '-t', '2');
    expect(two.code).toBe(0);
    expect(two.err).toMatch(/mode w8a8, backend wasm-\w+, threads 2, seed 7/);
    expect(JSON.parse(run(...args, '-t', '2', '--json').out).tokens).toEqual(one.tokens);
    expect(run(...args, '-t', 'auto').err).toMatch(/threads \d+/);
    const bad = run(...args, '-t', '0');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/-t 0 must be a positive integer or auto/);
  });

  it('runs llama-2-tiny-random.gguf (F16, 32k vocabulary)', () => {
    const r = run('generate', '-m', modelsDir + 'llama-2-tiny-random.gguf', '-p', 'Hello', '-n', '16', '--seed', '1');
    expect(r.code).toBe(0);
    expect(r.out.startsWith('Hello')).toBe(true);
  });

  it('npm start generates a story from the bundled model (the same bytes as the test fixture)', () => {
    expect(readModelFile('stories260K.gguf')).toEqual(new Uint8Array(readFileSync(repoRoot + 'models/stories260K.gguf')));
    // Whatever engine the start script picks, it runs the CLI on the bundled model; run its arguments.
    const pkg = JSON.parse(readFileSync(repoRoot + 'package.json', 'utf8'));
    const [node, script, ...args] = (pkg.scripts.start as string).split(/\s+/);
    expect([node, script, args[0], ...args.slice(1, 3)]).toEqual(['node', 'dist/cli/main.js', 'generate', '-m', 'stories260K']);
    const r = run(...args, '-n', '40', '--seed', '7');
    expect(r.code).toBe(0);
    expect(r.out.trim().length).toBeGreaterThan(20);
  });
});

describe('dyadic eval', () => {
  it('--json mean NLL over 2 stories equals the float64 oracle (protocol: BOS, <= 512 tokens, fresh cache)', () => {
    const r = run('eval', '-m', gguf, '--text', devText, '--stories', '2', '--mode', 'float32', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const m = loadModel({ bytes: readModelFile('stories260K.gguf'), file: 'stories260K.gguf' });
    let sum = 0;
    let n = 0;
    for (const s of splitStories(readFileSync(devText, 'utf8')).slice(0, 2)) {
      const toks = m.tokenizer!.encode(s).slice(0, 512);
      const logits = llamaLogitsF64(m.config, m.weights, toks.slice(0, -1));
      for (let i = 1; i < toks.length; i++, n++) sum += nllF64(logits[i - 1], toks[i]);
    }
    expect(j).toMatchObject({ tokens: n, stories: 2, mode: 'float32' });
    expect(Math.abs(j.meanNll - sum / n)).toBeLessThan(1e-5);
    expect(j.perplexity).toBeCloseTo(Math.exp(j.meanNll), 10);
  });

  it('prints NLL and perplexity as text, timing on stderr', () => {
    const r = run('eval', '-m', modelsDir + 'stories260K.bin', '-z', modelsDir + 'tok512.bin', '--text', devText, '--stories', '1', '--mode', 'float32');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^mean NLL \d\.\d{4} nats\/token, perplexity \d+\.\d{4} over \d+ tokens in 1 stories\n$/);
    expect(r.err).toMatch(/tokens\/s, mode float32/);
  });
});

// util-linux `script` gives the child a terminal, so the progress bar shows.
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe('dyadic eval on a terminal', () => {
  it.skipIf(!hasScript)('draws a progress bar per story, then the result', () => {
    const cmd = `${process.execPath} ${main} eval -m ${gguf} --text ${devText} --stories 3`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toContain('\r[##########....................] 1/3 stories');
    expect(r.stdout).toContain('\r[##############################] 3/3 stories');
    expect(r.stdout).toMatch(/mean NLL \d\.\d{4} nats\/token/);
  });
});

describe('dyadic info', () => {
  it('describes stories260K.gguf: architecture, tensors, types, parameters, memory', () => {
    const r = run('info', '-m', gguf);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/architecture\s+llama: dim 64, hidden 172, layers 5, heads 8 \(kv 4\), head dim 8/);
    expect(r.out).toMatch(/types F32 x48/);
    expect(r.out).toMatch(/blk\.4\.ffn_down\.weight\s+F32\s+\[64, 172\]/);
    const j = JSON.parse(run('info', '-m', gguf, '--json').out);
    // Parameters = every element the file stores (output.weight is a separate copy in this file).
    const stored = j.tensors.reduce((a: number, t: { shape: number[] }) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    expect(j.parameters).toBe(stored);
    expect(j.tensors).toHaveLength(48);
    expect(j.memory.kvCache).toBe(2 * 5 * 2048 * 32 * 4);
  });
});

describe('bad input: one line naming the problem, non-zero exit', () => {
  it.each([
    [['generate'], 2, /-m MODEL is required/],
    [['generate', '-m', '/no/such/file.gguf'], 1, /cannot read \/no\/such\/file\.gguf: ENOENT/],
    [['generate', '-m', modelsDir + 'stories260K.bin'], 2, /carries no vocabulary; pass a tokenizer with -z/],
    [['generate', '-m', modelsDir + 'llama-2-tiny-random.gguf', '-z', modelsDir + 'tok512.bin'], 2, /the tokenizer has 512 tokens but .* has a vocabulary of 32000/],
    [['generate', '-m', modelsDir + 'tok512.bin'], 1, /tok512\.bin: /],
    [['generate', '-m', modelsDir + 'ggml-vocab-llama-spm.gguf'], 1, /ggml-vocab-llama-spm\.gguf: missing tensor "token_embd\.weight"/],
    [['generate', '-m', gguf, '-c', '8', '-p', 'Once upon a time there was a little girl named Lily'], 1, /the prompt is \d+ tokens, longer than the context of 8 positions/],
    [['generate', '-m', gguf, '--temp', 'hot'], 2, /--temp needs a number, got "hot"/],
    [['generate', '-m', gguf, '--bogus'], 2, /unknown option --bogus/],
    [['generate', '-m', gguf, '-n', '0'], 2, /-n 0 must be a positive integer or -1/],
    [['generate', '-m', gguf, '--mode', 'w3a3'], 1, /unknown mode "w3a3" \(available: float32/],
    [['eval', '-m', gguf], 2, /--text FILE is required/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
  ])('%j', (args, code, re) => {
    const r = run(...(args as string[]));
    expect(r.code).toBe(code);
    expect(r.err).toMatch(re);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace for bad input
  });
});
