// Error types for bad input, so callers (the CLI, the fuzz test) can tell "this file / this request
// is bad, and here is why" apart from a bug in dyadic (which keeps its own error type and stack).

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

/**
 * A request that does not fit the model: token id outside the vocabulary, position or prompt beyond the
 * context, a KV cache over budget, a bad sampling setting or engine mode. A RangeError, named.
 */
export class InvalidInputError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}
