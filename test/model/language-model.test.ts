// The LanguageModel contract as an integer engine will use it: Int32Array logits with a logitScale.
// A wrapper quantizes the float reference's logits to fixed point; generation and evaluation must
// treat it as the same model.
import { describe, expect, it } from 'vitest';
import { FloatLlama } from '../../bindings/model/float-llama.js';
import { evaluate } from '../../bindings/model/evaluate.js';
import { generate } from '../../bindings/model/generate.js';
import type { LanguageModel } from '../../bindings/model/language-model.js';
import { loadModel } from '../../bindings/model/load.js';
import { Sampler } from '../../bindings/sampling/sampler.js';
import { readModelFile } from './helpers/paths.js';

const FRACTION_BITS = 16;

class FixedPointLogits implements LanguageModel {
  readonly mode = 'fixed-point-test';
  readonly backend = 'js';
  readonly logitScale = 2 ** -FRACTION_BITS;
  private readonly out: Int32Array;
  constructor(private readonly inner: FloatLlama) {
    this.out = new Int32Array(inner.config.vocabSize);
  }
  get config() {
    return this.inner.config;
  }
  get maxPositions() {
    return this.inner.maxPositions;
  }
  private quantize(l: Float32Array | Int32Array): Int32Array {
    for (let i = 0; i < l.length; i++) this.out[i] = Math.round(l[i] * 2 ** FRACTION_BITS);
    return this.out;
  }
  forward(token: number, pos: number) {
    return this.quantize(this.inner.forward(token, pos));
  }
  prefill(tokens: ArrayLike<number>, startPos: number, onLogits?: (i: number, l: Int32Array) => void) {
    return this.quantize(this.inner.prefill(tokens, startPos, (i, l) => onLogits?.(i, this.quantize(l))));
  }
}

describe('LanguageModel with integer logits and a logitScale', () => {
  const m = loadModel({ bytes: readModelFile('stories260K.gguf'), file: 'stories260K.gguf' });
  const float = () => new FloatLlama(m.config, m.weights, { maxPositions: 512 });
  const stories = ['Once upon a time, there was a little dog named Max. Max liked to run in the park with his friend Sue.'];

  it('evaluates to the float NLL within the fixed-point rounding', () => {
    const a = evaluate(float(), m.tokenizer!, stories);
    const b = evaluate(new FixedPointLogits(float()), m.tokenizer!, stories);
    expect(b.tokens).toBe(a.tokens);
    expect(Math.abs(a.meanNll - b.meanNll)).toBeLessThan(2 ** -FRACTION_BITS);
    // Ignoring the scale would be wildly wrong: the check above can fail.
    const unscaled = Object.defineProperty(new FixedPointLogits(float()), 'logitScale', { value: undefined });
    expect(Math.abs(evaluate(unscaled, m.tokenizer!, stories).meanNll - a.meanNll)).toBeGreaterThan(1);
  });

  it('generates the same text greedily and with a seeded temperature', () => {
    for (const opts of [{ temperature: 0 }, { temperature: 0.8, topP: 0.9, seed: 11 }]) {
      const a = generate(float(), m.tokenizer!, new Sampler(512, opts), { maxTokens: 60 });
      const b = generate(new FixedPointLogits(float()), m.tokenizer!, new Sampler(512, opts), { maxTokens: 60 });
      expect(b.text).toBe(a.text);
    }
  });
});
