// Text generation with any LanguageModel. The prompt (BOS first) is fed token by token and echoed,
// then up to `maxTokens` tokens are sampled (llama.cpp's -n); BOS or EOS ends the sequence, and so
// does a full context. With an empty prompt this is exactly llama2.c's run.c loop with steps = maxTokens.
// Pieces are handed out as bytes the moment they exist, for streaming.
import { InvalidInputError } from '../formats/errors.js';
import type { Logits } from './language-model.js';

/** What generation needs of a sampler: the float Sampler, or an integer one behind an adapter. */
export interface TokenSampler {
  sample(logits: Logits, scale: number): number;
}
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { LanguageModel } from './language-model.js';

export interface GenerateOptions {
  prompt?: string;
  /** Tokens to sample after the prompt (fewer if the context fills up or BOS/EOS is sampled); Infinity for no limit. */
  maxTokens: number;
  /** Receives each printed piece (UTF-8 bytes, possibly part of a character) as soon as it exists. */
  onPiece?: (bytes: Uint8Array) => void;
  /** Clock in milliseconds (injectable for tests); defaults to performance.now. */
  now?: () => number;
}

export interface GenerateResult {
  /** The sampled tokens (the prompt's are not included). */
  readonly tokens: number[];
  /** Everything printed: the prompt's text, then the continuation. */
  readonly text: string;
  readonly promptTokens: number;
  /** Forward steps per second after the first one (the first includes warm-up); NaN if only one ran. */
  readonly tokensPerSecond: number;
}

export function generate(model: LanguageModel, tokenizer: Tokenizer, sampler: TokenSampler, options: GenerateOptions): GenerateResult {
  const steps = generateSteps(model, tokenizer, sampler, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    options.onPiece?.(step.value);
  }
}

/**
 * generate() one piece at a time: yields each printed piece (UTF-8 bytes) and returns the result. A host
 * that must stay responsive (a browser page repainting, a Worker flushing server-sent events) awaits
 * between pieces; the tokens are the same as generate()'s. `options.onPiece` is not called here.
 */
export function* generateSteps(
  model: LanguageModel,
  tokenizer: Tokenizer,
  sampler: TokenSampler,
  options: GenerateOptions,
): Generator<Uint8Array, GenerateResult, void> {
  const now = options.now ?? (() => performance.now());
  const { maxTokens } = options;
  if (!(Number.isInteger(maxTokens) && maxTokens >= 1) && maxTokens !== Infinity) throw new InvalidInputError(`maxTokens ${maxTokens} must be a positive integer or Infinity`);
  const prompt = tokenizer.encode(options.prompt ?? '', { bos: true });
  if (prompt.length > model.maxPositions) {
    throw new InvalidInputError(`the prompt is ${prompt.length} tokens, longer than the context of ${model.maxPositions} positions`);
  }
  const tokens: number[] = [];
  const pieces: Uint8Array[] = [];
  let token = prompt[0];
  let start = 0;
  let pos = 0;
  for (;;) {
    const logits = model.forward(token, pos);
    pos++;
    if (start === 0) start = now();
    const inPrompt = pos < prompt.length;
    const next = inPrompt ? prompt[pos] : sampler.sample(logits, model.logitScale ?? 1);
    if (!inPrompt) {
      if (next === tokenizer.bos || next === tokenizer.eos) break;
      tokens.push(next);
    }
    const piece = tokenizer.pieceBytes(token, next);
    pieces.push(piece);
    yield piece;
    token = next;
    if (tokens.length >= maxTokens || pos >= model.maxPositions) break;
  }
  const elapsed = now() - start;
  const bytes = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0)); // [total bytes]
  let at = 0;
  for (const p of pieces) {
    bytes.set(p, at);
    at += p.length;
  }
  return {
    tokens,
    text: new TextDecoder().decode(bytes),
    promptTokens: prompt.length,
    tokensPerSecond: pos > 1 && elapsed > 0 ? ((pos - 1) * 1000) / elapsed : NaN,
  };
}
