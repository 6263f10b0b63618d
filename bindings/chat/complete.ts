// The text API every host uses: `complete(engine, prompt)` continues a text, `chat(engine, messages)`
// answers as the assistant. Both return an async iterable of text pieces (whole characters), checked
// eagerly (bad options, a prompt that does not fit: an InvalidInputError from the call itself) and run
// lazily (the engine is taken when iteration starts, in the queue of its other requests).
import { InvalidInputError } from '../formats/errors.js';
import { createSampler } from '../engines/engines.js';
import type { ChatEngine } from './engine.js';
import { StopFilter } from './stop.js';
import { type ChatMessage, parseMessages } from './template.js';

export interface CompletionOptions {
  /** Tokens to generate at most (default: until a stop token or the end of the context). */
  maxTokens?: number;
  /** 0 is greedy (default 1). */
  temperature?: number;
  /** Nucleus threshold (default 1: the whole distribution). */
  topP?: number;
  /** The sampler's seed (default: random). Same seed, same engine mode: same text in every host. */
  seed?: number;
  /** Text that ends the answer; it is not emitted, even when its characters arrive in separate tokens. */
  stop?: string | readonly string[];
  /** Aborting stops generation before the next token; the iteration then throws the signal's reason. */
  signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'length';

/** Lets the host's event loop run between tokens (I/O, repaints, aborts). */
const breathe: () => Promise<void> =
  typeof setImmediate === 'function' ? () => new Promise((resolve) => setImmediate(resolve)) : () => new Promise((resolve) => setTimeout(resolve, 0));

/** One generation: iterate it (once) for the text pieces; the counts are final when iteration ends. */
export class TextStream implements AsyncIterable<string> {
  completionTokens = 0;
  finishReason: FinishReason | null = null;
  private started = false;

  constructor(
    private readonly engine: ChatEngine,
    private readonly prompt: readonly number[],
    private readonly stopTokens: ReadonlySet<number>,
    private readonly stops: readonly string[],
    private readonly options: { maxTokens: number; temperature: number; topP: number; seed: number; signal?: AbortSignal },
  ) {}

  get promptTokens(): number {
    return this.prompt.length;
  }

  /** All the text (iterates the stream). */
  async text(): Promise<string> {
    let out = '';
    for await (const piece of this) out += piece;
    return out;
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.started) throw new InvalidInputError('a TextStream can be iterated once');
    this.started = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<string, void, undefined> {
    const { engine, prompt, options } = this;
    const { signal } = options;
    const release = await engine.acquire(signal);
    const model = engine.model;
    // An integer engine's sampler plans its buffers in the engine's arena: give them back afterwards.
    const arena = (model as { runtime?: { arena?: { mark(): unknown; release(m: unknown): void } } }).runtime?.arena;
    const mark = arena?.mark();
    try {
      signal?.throwIfAborted();
      const sampler = createSampler(model, options);
      const decoder = new TextDecoder();
      const filter = new StopFilter(this.stops);
      let logits = model.prefill(prompt, 0);
      let pos = prompt.length;
      let prev = prompt[prompt.length - 1];
      for (;;) {
        const next = sampler.sample(logits, model.logitScale ?? 1);
        if (this.stopTokens.has(next)) {
          this.finishReason = 'stop';
          break;
        }
        this.completionTokens++;
        const out = filter.push(decoder.decode(engine.tokenizer.pieceBytes(prev, next), { stream: true }));
        if (out) yield out;
        if (filter.stopped) {
          this.finishReason = 'stop';
          break;
        }
        if (this.completionTokens >= options.maxTokens || pos >= model.maxPositions) {
          this.finishReason = 'length';
          break;
        }
        await breathe();
        signal?.throwIfAborted();
        logits = model.forward(next, pos++);
        prev = next;
      }
      const rest = filter.push(decoder.decode()) + filter.flush();
      if (rest) yield rest;
    } finally {
      if (arena) arena.release(mark);
      release();
    }
  }
}

function checkedOptions(engine: ChatEngine, o: CompletionOptions) {
  const maxTokens = o.maxTokens ?? Infinity;
  if (!(Number.isInteger(maxTokens) && maxTokens >= 1) && maxTokens !== Infinity) throw new InvalidInputError(`maxTokens ${maxTokens} must be a positive integer`);
  const temperature = o.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) throw new InvalidInputError(`temperature ${temperature} must be a finite number >= 0`);
  const topP = o.topP ?? 1;
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) throw new InvalidInputError(`topP ${topP} must be in (0, 1]`);
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 32) + 1;
  if (!Number.isSafeInteger(seed)) throw new InvalidInputError(`seed ${seed} must be an integer`);
  const stop = o.stop === undefined ? [] : typeof o.stop === 'string' ? [o.stop] : o.stop;
  if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s === '')) throw new InvalidInputError('stop must be a non-empty string or a list of them');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new InvalidInputError('signal must be an AbortSignal');
  void engine;
  return { maxTokens, temperature, topP, seed, stop: stop as string[], signal: o.signal };
}

function checkFits(engine: ChatEngine, prompt: readonly number[]): void {
  if (prompt.length >= engine.model.maxPositions) {
    throw new InvalidInputError(`the prompt is ${prompt.length} tokens, which leaves no room in the context of ${engine.model.maxPositions} positions`);
  }
}

/** Continues `prompt` (BOS first, as generate() does); ends at EOS or an end-of-turn token, a stop string, maxTokens or the context's end. */
export function complete(engine: ChatEngine, prompt: string, options: CompletionOptions = {}): TextStream {
  if (typeof prompt !== 'string') throw new InvalidInputError('prompt must be a string');
  const o = checkedOptions(engine, options);
  const ids = engine.tokenizer.encode(prompt, { bos: true });
  checkFits(engine, ids);
  return new TextStream(engine, ids, new Set([...engine.format.stopTokens, engine.tokenizer.bos]), o.stop, o);
}

/** The assistant's answer to `messages`, rendered with the model's chat template (or the plain fallback). */
export function chat(engine: ChatEngine, messages: readonly ChatMessage[], options: CompletionOptions = {}): TextStream {
  const list = parseMessages(messages);
  const o = checkedOptions(engine, options);
  const ids = engine.format.encode(list);
  checkFits(engine, ids);
  return new TextStream(engine, ids, new Set([...engine.format.stopTokens, engine.tokenizer.bos]), [...o.stop, ...engine.format.stopStrings], o);
}
