// A model ready to answer text requests: the inference engine, its tokenizer and chat format, and a
// queue so that requests made at the same time run one after another on the one KV cache (never
// interleaving their tokens). Every host (Node server, Worker, web page) builds one of these.
import { InvalidInputError } from '../formats/errors.js';
import { createEngine, type EngineMode, type EngineOptions } from '../engines/engines.js';
import { defaultMode } from '../engines/default-mode.js';
import type { LanguageModel } from '../model/language-model.js';
import type { LoadedModel } from '../model/load.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { ChatFormat } from './template.js';

export interface ChatEngineOptions extends EngineOptions {
  /** Numerics (default: defaultMode(model): the file's own mode if quantized, else w8a8). */
  mode?: EngineMode;
  /** The model's name in answers (default: the file name without directories). */
  id?: string;
  /** A Jinja chat template to use instead of the file's `tokenizer.chat_template` ('' for the plain fallback). */
  chatTemplate?: string;
}

export class ChatEngine {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly model: LanguageModel,
    readonly tokenizer: Tokenizer,
    readonly format: ChatFormat,
    readonly id: string,
  ) {}

  /**
   * Waits for the engine to be free and returns the function that frees it again. Callers run one at a
   * time, in the order they asked; one whose `signal` aborts while it waits leaves the queue with the
   * signal's reason.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    let free!: () => void;
    const mine = new Promise<void>((resolve) => (free = resolve));
    const before = this.tail;
    this.tail = before.then(() => mine);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      free();
    };
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        release(); // whoever queued after us waits for `before` only
        reject(signal!.reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      void before.then(() => {
        signal?.removeEventListener('abort', onAbort);
        if (released) return;
        resolve(release);
      });
    });
  }
}

/** Builds the engine of `mode` for a loaded model that carries its tokenizer. */
export async function createChatEngine(loaded: LoadedModel, options: ChatEngineOptions = {}): Promise<ChatEngine> {
  if (!loaded.tokenizer) throw new InvalidInputError(`${loaded.file} carries no vocabulary: a chat engine needs the model's tokenizer`);
  const model = await createEngine(options.mode ?? defaultMode(loaded), loaded, options);
  const format = await ChatFormat.create(loaded.tokenizer, options.chatTemplate ?? loaded.chatTemplate);
  return new ChatEngine(model, loaded.tokenizer, format, options.id ?? loaded.file.split(/[\\/]/).pop()!);
}
