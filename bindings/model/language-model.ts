// What the CLI and the evaluators need from an inference engine. The float32 reference forward
// implements it today; an integer engine implements the same interface and is chosen by `mode`.
import { InvalidInputError } from '../formats/errors.js';
import type { LlamaConfig } from './config.js';

/**
 * Next-token scores [vocabSize]: float32 from the reference, int32 from an integer engine. The real
 * logit of token i is logits[i] * model.logitScale.
 */
export type Logits = Float32Array | Int32Array;

export interface LanguageModel {
  readonly config: LlamaConfig;
  /** Numerics, e.g. "float32" for the reference; integer engines name their scheme ("w8a8", ...). */
  readonly mode: string;
  /** Where it runs, e.g. "js" or "wasm-relaxed-simd". */
  readonly backend: string;
  /**
   * Multiplier from the returned logits to real logits; absent means 1 (float logits). An integer
   * engine returning Int32Array sets the scale of the last call (read it after forward/onLogits).
   */
  readonly logitScale?: number;
  /** Positions the KV cache holds (positions 0..maxPositions-1). */
  readonly maxPositions: number;
  /**
   * Runs one token at position `pos` (the cache must hold positions 0..pos-1 of the same sequence)
   * and returns the next-token logits [vocabSize]. The array is reused by the next call.
   */
  forward(token: number, pos: number): Logits;
  /**
   * Runs `tokens` at positions startPos.. in order. `onLogits(i, logits)` (optional) sees the logits
   * after tokens[i]; the last logits are returned (reused by the next call).
   */
  prefill(tokens: ArrayLike<number>, startPos: number, onLogits?: (i: number, logits: Logits) => void): Logits;
}

/** Throws a RangeError naming the bad token or position, shared by every engine. */
export function checkStep(m: LanguageModel, token: number, pos: number): void {
  if (!Number.isInteger(token) || token < 0 || token >= m.config.vocabSize) {
    throw new InvalidInputError(`token id ${token} is outside the vocabulary (0..${m.config.vocabSize - 1})`);
  }
  if (!Number.isInteger(pos) || pos < 0 || pos >= m.maxPositions) {
    throw new InvalidInputError(`position ${pos} is outside the context (0..${m.maxPositions - 1})`);
  }
}
