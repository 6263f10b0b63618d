// One error type for every problem found in a model or tokenizer file, so callers (the CLI, the fuzz
// test) can tell "this file is bad, and here is why" apart from a bug in dyadic.

/** A model, tokenizer or config file that cannot be used; the message names the file and the culprit. */
export class ModelFormatError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ModelFormatError';
  }
}
