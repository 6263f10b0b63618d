// Choosing the next token from logits: greedy (temperature 0), temperature sampling, and nucleus
// (top-p) sampling, following llama2.c's run.c. Reproducible: the same seed gives the same tokens.
// Buffers are allocated once per sampler; sampling allocates nothing per token.
import { InvalidInputError } from '../formats/errors.js';
import { Xorshift64Star } from './xorshift.js';
import { nucleusEnd, nucleusMass, pickCandidate, sortByProbability } from './nucleus.js';

export interface SamplerOptions {
  /** 0 means greedy (argmax). */
  temperature?: number;
  /** Nucleus threshold in (0, 1); 1 (or 0) samples from the whole distribution. */
  topP?: number;
  seed?: number | bigint;
}

/** Defaults (temperature 1, top-p 0.9, seed 1) and range checks shared by the float and integer samplers. */
export function checkSamplerOptions(options: SamplerOptions): Required<SamplerOptions> {
  const { temperature = 1, topP = 0.9, seed = 1 } = options;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new InvalidInputError(`temperature ${temperature} must be a finite number >= 0`);
  if (!(topP >= 0 && topP <= 1)) throw new InvalidInputError(`top-p ${topP} must be in [0, 1]`);
  return { temperature, topP, seed };
}

export function argmax(logits: ArrayLike<number>, n = logits.length): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

export class Sampler {
  readonly temperature: number;
  readonly topP: number;
  private readonly rng: Xorshift64Star;
  private readonly probs: Float32Array; // [vocab]
  private readonly order: Int32Array; // [vocab] candidate ids for top-p

  constructor(
    readonly vocabSize: number,
    options: SamplerOptions = {},
  ) {
    const { temperature, topP, seed } = checkSamplerOptions(options);
    this.temperature = temperature;
    this.topP = topP;
    this.rng = new Xorshift64Star(seed);
    this.probs = new Float32Array(vocabSize);
    this.order = new Int32Array(vocabSize);
  }

  /** A token drawn from softmax(logits * scale / temperature); `scale` maps integer logits to real ones. */
  sample(logits: ArrayLike<number>, scale = 1): number {
    const n = this.vocabSize;
    if (this.temperature === 0) return argmax(logits, n);
    const p = this.probs;
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      p[i] = Math.exp(((logits[i] - max) * scale) / this.temperature);
      sum += p[i];
    }
    for (let i = 0; i < n; i++) p[i] /= sum;
    const coin = this.rng.nextFloat();
    return this.topP <= 0 || this.topP >= 1 ? this.sampleAll(coin) : this.sampleTopP(coin);
  }

  private sampleAll(coin: number): number {
    let cdf = 0;
    for (let i = 0; i < this.vocabSize; i++) {
      cdf += this.probs[i];
      if (coin < cdf) return i;
    }
    return this.vocabSize - 1; // rounding left the cdf just below 1
  }

  /** Samples among the most likely tokens whose probabilities first exceed topP in total. */
  private sampleTopP(coin: number): number {
    const p = this.probs;
    // Tokens below (1 - topP) / (n - 1) can never be in the nucleus, so they are not sorted.
    const cutoff = (1 - this.topP) / (this.vocabSize - 1);
    let count = 0;
    for (let i = 0; i < this.vocabSize; i++) if (p[i] >= cutoff) this.order[count++] = i;
    sortByProbability(this.order, count, p);
    const last = nucleusEnd(this.order, count, p, this.topP);
    return pickCandidate(this.order, last, p, coin * nucleusMass(this.order, last, p));
  }
}
