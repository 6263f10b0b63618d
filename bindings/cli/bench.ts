// `dyadic bench`: llama-bench's two tests on one model. pp = prefill of a P-token prompt, tg = N tokens
// decoded one at a time from an empty cache; each test runs once to warm up (JIT tiers, caches), then R
// timed repetitions, reported as mean +- standard deviation of tokens/s. The prompt is fixed token ids
// spread over the vocabulary (the speed does not depend on which tokens), as llama-bench uses random ones.
import { parameterCount } from '../model/config.js';
import { createEngine } from '../engines/engines.js';
import type { LanguageModel } from '../model/language-model.js';
import { basename } from 'node:path';
import { type FlagSpec, UsageError, parseFlags } from './args.js';
import { common, engineThreads, modeFor, requireModel, threadsFor } from './commands.js';

export interface BenchResult {
  model: string;
  size: number; // bytes of the model file's tensors
  params: number;
  mode: string;
  backend: string;
  threads: number;
  test: 'pp' | 'tg';
  n_prompt: number;
  n_gen: number;
  tokens_per_s: number; // mean over the repetitions
  stddev: number;
  samples_ts: number[];
}

function positiveInt(name: string, v: unknown, fallback: number, min = 1): number {
  const n = v === undefined ? fallback : (v as number);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} ${n} must be an integer >= ${min}`);
  return n;
}

/** Mean and sample standard deviation (0 for one sample). */
export function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** llama-bench's prompt: fixed token ids spread over the vocabulary (bench/native.mjs feeds the same to llama.cpp). */
export function promptTokens(n: number, vocab: number): number[] {
  return Array.from({ length: n }, (_, i) => (1 + i * 7919) % vocab);
}

/** Milliseconds now; the bench takes differences (performance.now, or a CPU-time clock from a caller). */
export type Clock = () => number;

/** Seconds for one prefill of `tokens` from position 0. */
function timePrefill(engine: LanguageModel, tokens: number[], clock: Clock): number {
  const t0 = clock();
  engine.prefill(tokens, 0);
  return (clock() - t0) / 1000;
}

/** Seconds for `n` single-token forward calls at positions 0..n-1. */
function timeDecode(engine: LanguageModel, n: number, vocab: number, clock: Clock): number {
  const t0 = clock();
  let token = 1;
  for (let pos = 0; pos < n; pos++) {
    engine.forward(token, pos);
    token = (token * 31 + 7) % vocab;
  }
  return (clock() - t0) / 1000;
}

/**
 * The pp and tg tests on an engine (test omitted when its count is 0): a warm-up run each, then `reps`
 * timed runs; tokens/s per run.
 */
export function benchEngine(engine: LanguageModel, o: { nPrompt: number; nGen: number; reps: number; clock?: Clock }): { test: 'pp' | 'tg'; tokens: number; samples: number[] }[] {
  const clock = o.clock ?? (() => performance.now());
  const vocab = engine.config.vocabSize;
  const out: { test: 'pp' | 'tg'; tokens: number; samples: number[] }[] = [];
  const run = (test: 'pp' | 'tg', tokens: number, once: () => number) => {
    once(); // warm-up
    out.push({ test, tokens, samples: Array.from({ length: o.reps }, () => tokens / once()) });
  };
  if (o.nPrompt > 0) {
    const tokens = promptTokens(o.nPrompt, vocab);
    run('pp', o.nPrompt, () => timePrefill(engine, tokens, clock));
  }
  if (o.nGen > 0) run('tg', o.nGen, () => timeDecode(engine, o.nGen, vocab, clock));
  return out;
}

function formatSize(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
}

function formatParams(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(2)} K`;
}

/** llama-bench's markdown table. */
export function benchTable(results: BenchResult[]): string {
  const head = ['model', 'size', 'params', 'backend', 'threads', 'test', 't/s'];
  const rows = results.map((r) => [
    `${r.model} ${r.mode}`, formatSize(r.size), formatParams(r.params), r.backend, String(r.threads),
    r.test === 'pp' ? `pp${r.n_prompt}` : `tg${r.n_gen}`, `${r.tokens_per_s.toFixed(2)} ± ${r.stddev.toFixed(2)}`,
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 4 ? c.padStart(width[i]) : c.padEnd(width[i]))).join(' | ')} |`;
  const rule = `| ${width.map((w, i) => (i >= 4 ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

export const benchFlags = {
  model: common.model,
  prompt: { names: ['-p', '--n-prompt'], kind: 'number', help: 'prompt tokens of the prefill test (pp); 0 skips it', default: '512' },
  gen: { names: ['-n', '--n-gen'], kind: 'number', help: 'tokens of the decode test (tg); 0 skips it', default: '128' },
  reps: { names: ['-r', '--repetitions'], kind: 'number', help: 'timed repetitions per test (after one warm-up run)', default: '3' },
  mode: common.mode,
  threads: common.threads,
  json: { ...common.json, help: 'print {results: [...]} as JSON instead of the table' },
} satisfies Record<string, FlagSpec>;

export async function benchCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, benchFlags);
  const nPrompt = positiveInt('-p', f.prompt, 512, 0);
  const nGen = positiveInt('-n', f.gen, 128, 0);
  const reps = positiveInt('-r', f.reps, 3);
  if (nPrompt === 0 && nGen === 0) throw new UsageError('-p 0 and -n 0 leave nothing to measure');
  const model = requireModel(f);
  const c = model.config;
  const positions = Math.max(nPrompt, nGen);
  if (positions > c.contextLength) {
    throw new UsageError(`-p ${nPrompt} / -n ${nGen} need ${positions} positions but ${model.file} has a context of ${c.contextLength}`);
  }
  const mode = modeFor(f, model);
  const engine = await createEngine(mode, model, { maxPositions: positions, threads: threadsFor(f) });
  try {
    const base = {
      model: basename(model.file).replace(/\.[^.]+$/, ''),
      size: model.tensors.reduce((n, t) => n + t.bytes, 0),
      params: parameterCount(c),
      mode: engine.mode,
      backend: engine.backend,
      threads: engineThreads(engine),
      n_prompt: 0,
      n_gen: 0,
    };
    const results: BenchResult[] = benchEngine(engine, { nPrompt, nGen, reps }).map(({ test, tokens, samples }) => {
      const { mean, sd } = meanSd(samples);
      return { ...base, test, n_prompt: test === 'pp' ? tokens : 0, n_gen: test === 'tg' ? tokens : 0, tokens_per_s: mean, stddev: sd, samples_ts: samples };
    });
    if (f.json === true) process.stdout.write(JSON.stringify({ results }) + '\n');
    else process.stdout.write(benchTable(results) + '\n');
  } finally {
    if ('runtime' in engine) (engine.runtime as { close(): void }).close();
  }
}
