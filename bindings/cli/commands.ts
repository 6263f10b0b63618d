// The three `dyadic` commands. Text goes to stdout (streamed as it is generated), statistics and
// progress to stderr, as llama.cpp does; --json replaces both with one JSON object on stdout.
import { type LlamaConfig, kvCacheBytes, parameterCount } from '../model/config.js';
import { createEngine, createSampler, engineModes, type EngineMode } from '../engines/engines.js';
import { defaultMode } from '../engines/default-mode.js';
import { BUNDLED_MODELS, bundledModelPath, isBundledModel } from '../entry/bundled-models.js';
import { existsSync } from 'node:fs';
import { nativeKernel, nativeWeightsPlan } from '../model/integer/native-model.js';
import { integerModelBytes } from '../model/integer/integer-llama.js';
import { evaluate, splitStories } from '../model/evaluate.js';
import { generate } from '../model/generate.js';
import type { LoadedModel } from '../model/load.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { type FlagSpec, type ParsedFlags, UsageError, parseFlags } from './args.js';
import { loadModelFromPath, loadTokenizerFromPath, readBytes } from '../entry/node-files.js';

/** The stories260K protocol scores at most this many tokens per story (its training context). */
export const EVAL_CONTEXT = 512;

export const common = {
  model: {
    names: ['-m', '--model'],
    kind: 'string',
    value: 'MODEL',
    required: true,
    help: `a .gguf file, a llama2.c .bin checkpoint, a directory with config.json + *.safetensors, or a bundled model by name (${BUNDLED_MODELS.join(', ')})`,
  },
  tokenizer: { names: ['-z', '--tokenizer'], kind: 'string', value: 'FILE', help: 'tok*.bin, tokenizer.json or a GGUF file with a vocabulary', default: "the model file's vocabulary" },
  ctx: { names: ['-c', '--ctx-size'], kind: 'number', help: 'context positions (KV cache size)', default: "the model's context length" },
  mode: { names: ['--mode'], kind: 'string', value: 'MODE', help: 'inference engine (see modes below)', default: 'w8a8 for a float file (float32 with Q/K/V biases), native for a llama.cpp-quantized GGUF, a dyadic-quantized file its own mode' },
  threads: { names: ['-t', '--threads'], kind: 'string', value: 'N|auto', help: 'kernel threads of an integer engine (same tokens for any count)', default: 'auto (every core)' },
  json: { names: ['--json'], kind: 'boolean', help: 'print one JSON object on stdout instead of text and statistics' },
} satisfies Record<string, FlagSpec>;

/** What --help says about modes (after the flags of generate and eval). */
export function modeNotes(): string[] {
  return [
    `modes: ${engineModes().join(', ')}`,
    '  w8a8 ... w4a4: integer-only inference on the wasm kernels (weight bits, activation bits); a float',
    '  file is quantized on load. float32: the float JavaScript reference (float is an alias).',
    '  native: a llama.cpp-quantized GGUF (Q8_0, Q4_0, Q4_K, ...) at its stored types on group-wise kernels.',
    '  Default: a float file runs w8a8, a llama.cpp-quantized GGUF native, a file written by `dyadic quantize`',
    '  its own mode.',
  ];
}

/** The flags generate and eval share after their own: engine, threads, tokenizer, output. */
const engineFlags = { mode: common.mode, threads: common.threads, tokenizer: common.tokenizer, json: common.json } satisfies Record<string, FlagSpec>;

export const generateFlags = {
  model: common.model,
  prompt: { names: ['-p', '--prompt'], kind: 'string', value: 'TEXT', help: 'text to continue (echoed first)', default: 'empty: start from BOS' },
  maxTokens: { names: ['-n', '--n-predict'], kind: 'number', help: 'tokens to sample after the prompt; -1 until EOS or a full context', default: '256' },
  temp: { names: ['--temp'], kind: 'number', value: 'T', help: 'sampling temperature; 0 is greedy (argmax)', default: '1.0' },
  topP: { names: ['--top-p'], kind: 'number', value: 'P', help: 'nucleus sampling threshold', default: '0.9' },
  seed: { names: ['-s', '--seed'], kind: 'number', value: 'S', help: "the sampler's seed (llama2.c's xorshift64*), for reproducible text", default: 'the clock' },
  ctx: common.ctx,
  ...engineFlags,
} satisfies Record<string, FlagSpec>;

export const evalFlags = {
  model: common.model,
  text: { names: ['--text', '-f', '--file'], kind: 'string', value: 'FILE', required: true, help: 'text file of stories separated by <|endoftext|>' },
  stories: { names: ['--stories'], kind: 'number', help: 'score only the first N stories', default: 'all' },
  ctx: { ...common.ctx, help: 'tokens scored per story', default: String(EVAL_CONTEXT) },
  ...engineFlags,
} satisfies Record<string, FlagSpec>;

export const infoFlags = {
  model: common.model,
  ctx: { ...common.ctx, help: 'context positions the memory estimate plans for' },
  json: common.json,
} satisfies Record<string, FlagSpec>;

/**
 * -m MODEL: a path, or the name of a model the package ships (`-m stories260K` from any directory). An
 * existing path wins over a bundled name.
 */
export function modelPath(arg: string): string {
  return !existsSync(arg) && isBundledModel(arg) ? bundledModelPath(arg.replace(/\.gguf$/, '') as (typeof BUNDLED_MODELS)[number]) : arg;
}

export function modeFor(f: ParsedFlags, model: LoadedModel): EngineMode {
  return typeof f.mode === 'string' ? (f.mode as EngineMode) : defaultMode(model); // createEngine checks the name
}

/** -t N | auto (default auto: every core; results are the same for any count). */
export function threadsFor(f: ParsedFlags): number | 'auto' {
  const t = (f.threads as string | undefined) ?? 'auto';
  if (t === 'auto') return t;
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`-t ${t} must be a positive integer or auto`);
  return n;
}

/** Kernel threads an engine runs on (1 for the float32 reference). */
export function engineThreads(engine: object): number {
  return 'runtime' in engine ? ((engine.runtime as { threads?: number }).threads ?? 1) : 1;
}

export function requireModel(f: ParsedFlags): LoadedModel {
  if (typeof f.model !== 'string') throw new UsageError('-m MODEL is required');
  return loadModelFromPath(modelPath(f.model));
}

function tokenizerFor(f: ParsedFlags, model: LoadedModel): Tokenizer {
  const tok = typeof f.tokenizer === 'string' ? loadTokenizerFromPath(f.tokenizer) : model.tokenizer;
  if (!tok) throw new UsageError(`${model.file} carries no vocabulary; pass a tokenizer with -z (tok*.bin, tokenizer.json or a GGUF file)`);
  if (tok.vocabSize !== model.config.vocabSize) {
    throw new UsageError(`the tokenizer has ${tok.vocabSize} tokens but ${model.file} has a vocabulary of ${model.config.vocabSize}`);
  }
  return tok;
}

export function contextFor(f: ParsedFlags, c: LlamaConfig, fallback: number): number {
  const ctx = f.ctx === undefined ? fallback : (f.ctx as number);
  if (!Number.isInteger(ctx) || ctx < 1) throw new UsageError(`-c ${ctx} must be a positive integer`);
  return Math.min(ctx, c.contextLength);
}

function write(stream: NodeJS.WriteStream, data: string | Uint8Array): void {
  stream.write(data);
}

export async function generateCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, generateFlags);
  const model = requireModel(f);
  const tokenizer = tokenizerFor(f, model);
  const mode = modeFor(f, model);
  const engine = await createEngine(mode, model, { maxPositions: contextFor(f, model.config, model.config.contextLength), threads: threadsFor(f) });
  // As in llama.cpp, -n -1 generates until EOS or a full context.
  const n = (f.maxTokens as number | undefined) ?? 256;
  if (!(Number.isInteger(n) && n >= 1) && n !== -1) throw new UsageError(`-n ${n} must be a positive integer or -1`);
  const maxTokens = n === -1 ? Infinity : n;
  const seed = (f.seed as number | undefined) ?? Date.now();
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed ${seed} must be an integer`);
  const sampler = createSampler(engine, { temperature: (f.temp as number | undefined) ?? 1, topP: (f.topP as number | undefined) ?? 0.9, seed });
  const json = f.json === true;
  const result = generate(engine, tokenizer, sampler, {
    prompt: (f.prompt as string | undefined) ?? '',
    maxTokens,
    onPiece: json ? undefined : (bytes) => write(process.stdout, bytes),
  });
  if (json) {
    write(process.stdout, JSON.stringify({ text: result.text, tokens: result.tokens, tokensPerSecond: result.tokensPerSecond, mode: engine.mode }) + '\n');
  } else {
    write(process.stdout, '\n');
    write(process.stderr, `\n${result.tokens.length} tokens, ${result.tokensPerSecond.toFixed(1)} tokens/s (first token excluded), mode ${engine.mode}, backend ${engine.backend}, threads ${engineThreads(engine)}, seed ${seed}\n`);
  }
}

export async function evalCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, evalFlags);
  const model = requireModel(f);
  const tokenizer = tokenizerFor(f, model);
  if (typeof f.text !== 'string') throw new UsageError('--text FILE is required');
  let stories = splitStories(new TextDecoder().decode(readBytes(f.text)));
  if (f.stories !== undefined) {
    const n = f.stories as number;
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--stories ${n} must be a positive integer`);
    stories = stories.slice(0, n);
  }
  if (stories.length === 0) throw new UsageError(`${f.text} holds no stories`);
  const mode = modeFor(f, model);
  const engine = await createEngine(mode, model, { maxPositions: contextFor(f, model.config, EVAL_CONTEXT), threads: threadsFor(f) });
  const json = f.json === true;
  const tty = !json && process.stderr.isTTY === true;
  const start = performance.now();
  const result = evaluate(engine, tokenizer, stories, (done, total) => {
    if (!tty) return;
    const width = 30;
    const filled = Math.round((done / total) * width);
    write(process.stderr, `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} stories`);
  });
  if (tty) write(process.stderr, '\n');
  const seconds = (performance.now() - start) / 1000;
  if (json) {
    write(process.stdout, JSON.stringify({ meanNll: result.meanNll, perplexity: result.perplexity, tokens: result.tokens, stories: result.stories, mode: engine.mode }) + '\n');
  } else {
    write(process.stdout, `mean NLL ${result.meanNll.toFixed(4)} nats/token, perplexity ${result.perplexity.toFixed(4)} over ${result.tokens} tokens in ${result.stories} stories\n`);
    write(process.stderr, `${seconds.toFixed(1)} s, ${(result.tokens / seconds).toFixed(0)} tokens/s, mode ${engine.mode}, backend ${engine.backend}, threads ${engineThreads(engine)}\n`);
  }
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export async function infoCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, infoFlags);
  const model = requireModel(f);
  const c = model.config;
  const ctx = contextFor(f, c, c.contextLength);
  const params = parameterCount(c);
  const stored = model.tensors.reduce((n, t) => n + t.bytes, 0);
  const weightBytes = params * 4; // the float32 reference keeps every weight as float32
  const cache = kvCacheBytes(c, ctx);
  const types = new Map<string, number>();
  for (const t of model.tensors) types.set(t.type, (types.get(t.type) ?? 0) + 1);
  const mode = defaultMode(model);
  // Mode native: the kernel of every matrix, and the wasm memory the engine will plan, before any allocation.
  const native = mode === 'native' && model.reader ? nativeWeightsPlan(model.config, model.reader) : undefined;
  const nativeBytes = native ? integerModelBytes(native, ctx, 32) : undefined;
  const kernelOf = (t: { name: string }) => {
    const info = model.reader?.tensors.get(t.name);
    return native && info && info.dims.length === 2 && (t.name !== 'token_embd.weight' || model.config.tiedEmbeddings) ? nativeKernel(info.type) : undefined;
  };
  const info = {
    file: model.file,
    format: model.format,
    config: c,
    tokenizer: model.tokenizer ? { vocabSize: model.tokenizer.vocabSize, bos: model.tokenizer.bos, eos: model.tokenizer.eos } : null,
    parameters: params,
    storedBytes: stored,
    memory: { float32Weights: weightBytes, kvCache: cache, contextPositions: ctx, total: weightBytes + cache },
    defaultMode: mode,
    ...(nativeBytes ? { nativeMemory: { ...nativeBytes, fileBytes: stored } } : {}),
    tensorTypes: Object.fromEntries(types),
    tensors: model.tensors.map((t) => ({ ...t, ...(kernelOf(t) ? { kernel: kernelOf(t) } : {}) })),
    modes: engineModes(),
  };
  if (f.json === true) {
    write(process.stdout, JSON.stringify(info) + '\n');
    return;
  }
  const lines = [
    `file          ${model.file} (${model.format})`,
    `architecture  ${c.architecture}: dim ${c.dim}, hidden ${c.hiddenDim}, layers ${c.nLayers}, heads ${c.nHeads} (kv ${c.nKvHeads}), head dim ${c.headDim}`,
    `vocabulary    ${c.vocabSize} tokens${model.tokenizer ? ' (tokenizer inside the file)' : ' (no tokenizer inside; pass -z)'}`,
    `context       ${c.contextLength} positions; RoPE ${c.ropeLayout} pairs over ${c.ropeDim} dims, theta ${c.ropeTheta}; RMSNorm eps ${c.rmsEps}`,
    `output        ${c.tiedEmbeddings ? 'tied to the token embedding' : 'separate matrix'}${c.qkvBias ? '; QKV biases' : ''}`,
    `parameters    ${params.toLocaleString('en-US')} (${formatBytes(stored)} stored; types ${[...types].map(([t, n]) => `${t} x${n}`).join(', ')})`,
    `memory        ${formatBytes(weightBytes + cache)} for the float32 reference: weights ${formatBytes(weightBytes)} + KV cache ${formatBytes(cache)} at ${ctx} positions`,
    ...(nativeBytes
      ? [`native        ${formatBytes(nativeBytes.total)} of wasm memory for mode native: weights ${formatBytes(nativeBytes.weights)} (stored ${formatBytes(stored)}) + KV cache ${formatBytes(nativeBytes.kvCache)} + activations ${formatBytes(nativeBytes.activations)}`]
      : []),
    `modes         ${engineModes().join(', ')} (default ${mode})`,
    '',
    'tensors:',
    ...model.tensors.map((t) => `  ${t.name.padEnd(32)} ${t.type.padEnd(6)} [${t.shape.join(', ')}]${kernelOf(t) ? `  ${kernelOf(t)}` : ''}`),
  ];
  write(process.stdout, lines.join('\n') + '\n');
}
