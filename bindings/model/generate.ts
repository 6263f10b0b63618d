// Text generation with any LanguageModel, following llama2.c's run.c loop: the prompt (BOS first) is
// fed token by token, then sampled tokens; `steps` counts positions including the prompt, and BOS
// ends a sequence. Pieces are handed out as bytes the moment they exist, for streaming.
import { InvalidInputError } from '../formats/errors.js';
import type { Sampler } from '../sampling/sampler.js';
import type { SentencePieceTokenizer } from '../tokenizer/spm.js';
import type { LanguageModel } from './language-model.js';

export interface GenerateOptions {
  prompt?: string;
  /** Positions to run, prompt included (clamped to the model's context). */
  steps: number;
  /** Receives each printed piece (UTF-8 bytes, possibly part of a character) as soon as it is sampled. */
  onPiece?: (bytes: Uint8Array) => void;
  /** Clock in milliseconds (injectable for tests); defaults to performance.now. */
  now?: () => number;
}

export interface GenerateResult {
  /** Every token after the initial BOS: the rest of the prompt, then the generated ones. */
  readonly tokens: number[];
  readonly text: string;
  readonly promptTokens: number;
  /** Positions per second after the first one (the first includes warm-up), NaN if only one ran. */
  readonly tokensPerSecond: number;
}

export function generate(model: LanguageModel, tokenizer: SentencePieceTokenizer, sampler: Sampler, options: GenerateOptions): GenerateResult {
  const now = options.now ?? (() => performance.now());
  const prompt = tokenizer.encode(options.prompt ?? '', { bos: true });
  const steps = Math.min(options.steps, model.maxPositions);
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new InvalidInputError(`steps ${options.steps} must be a positive integer`);
  if (prompt.length > model.maxPositions) {
    throw new InvalidInputError(`the prompt is ${prompt.length} tokens, longer than the context of ${model.maxPositions} positions`);
  }
  const tokens: number[] = [];
  const pieces: Uint8Array[] = [];
  let token = prompt[0];
  let start = 0;
  let pos = 0;
  while (pos < Math.max(steps, prompt.length)) {
    const logits = model.forward(token, pos);
    const next = pos + 1 < prompt.length ? prompt[pos + 1] : sampler.sample(logits);
    pos++;
    if (start === 0) start = now();
    if (next === tokenizer.bos) break;
    const piece = tokenizer.pieceBytes(token, next);
    tokens.push(next);
    pieces.push(piece);
    options.onPiece?.(piece);
    token = next;
    if (pos >= steps && pos >= prompt.length) break;
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
