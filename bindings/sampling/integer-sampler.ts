// Seeded sampling from integer logits without floating point per token: the probabilities come from the
// integer DI-ClippedSoftmax kernel (Q15, uint16), top-p is a cumulative integer threshold, and the draw is
// an integer from the same xorshift64* stream as run.c. Temperature and top-p are turned into integers
// once, at construction (the only float step). Buffers live in the runtime's arena, planned once.
import type { DyadicRuntime } from '../runtime/instance.js';
import { toDyadic } from '../common/to-dyadic.js';
import { Xorshift64Star } from './xorshift.js';
import { argmax, checkSamplerOptions, type SamplerOptions } from './sampler.js';
import { nucleusEnd, nucleusMass, pickCandidate, sortByProbability } from './nucleus.js';

const PROB_ONE = 32768; // Q15: the softmax kernel's uint16 format (outFormat 2)

export type IntegerSamplerOptions = SamplerOptions;

export class IntegerSampler {
  readonly temperature: number;
  private readonly invT: { m: number; k: number };
  private readonly topPQ15: number; // nucleus threshold in Q15 (PROB_ONE = no nucleus)
  private readonly rng: Xorshift64Star;
  private readonly scoresAt: number; // int32 [vocab]
  private readonly probsAt: number; // uint16 [vocab]
  private readonly scaleAt: number; // int32 [2]: (m, k) of the scaled logits
  private readonly scratchAt: number; // int32 [vocab + 4]
  private readonly order: Int32Array; // [vocab] candidate ids

  constructor(
    readonly runtime: DyadicRuntime,
    readonly vocabSize: number,
    o: IntegerSamplerOptions = {},
  ) {
    const { temperature, topP, seed } = checkSamplerOptions(o);
    this.temperature = temperature;
    this.invT = temperature > 0 ? toDyadic(1 / temperature, 15) : { m: 1, k: 0 };
    this.topPQ15 = topP <= 0 || topP >= 1 ? PROB_ONE : Math.round(topP * PROB_ONE);
    this.rng = new Xorshift64Star(seed);
    const arena = runtime.arena;
    this.scoresAt = arena.alloc(vocabSize * 4, 'sampler logits [vocab] int32', 16);
    this.probsAt = arena.alloc(vocabSize * 2 + 16, 'sampler probabilities [vocab] uint16', 16);
    this.scaleAt = arena.alloc(8, 'sampler scale', 16);
    this.scratchAt = arena.alloc((vocabSize + 4) * 4, 'sampler scratch', 16);
    this.order = new Int32Array(vocabSize);
  }

  private cached?: { buffer: ArrayBuffer; scores: Int32Array; scaleView: Int32Array; probs: Uint16Array };

  /** Views over the planned buffers, rebuilt only when wasm memory has grown (which detaches them). */
  private views(): { scores: Int32Array; scaleView: Int32Array; probs: Uint16Array } {
    const buffer = this.runtime.arena.memory.buffer;
    if (this.cached?.buffer !== buffer) {
      this.cached = {
        buffer,
        scores: new Int32Array(buffer, this.scoresAt, this.vocabSize),
        scaleView: new Int32Array(buffer, this.scaleAt, 2),
        probs: new Uint16Array(buffer, this.probsAt, this.vocabSize),
      };
    }
    return this.cached;
  }

  /** A token from softmax(logits * m / 2^k / temperature), integer logits [vocab] with their dyadic scale. */
  sample(logits: Int32Array, scale: { m: number; k: number }): number {
    const n = this.vocabSize;
    if (this.temperature === 0) return argmax(logits, n);
    // (m / 2^k) / T as one dyadic with a 31-bit mantissa: integer products below 2^53 are exact here
    const prod = scale.m * this.invT.m;
    const hi = Math.floor(prod / 2 ** 32); // prod < 2^46: bit length from the two 32-bit halves
    const bits = hi > 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(prod);
    const u = Math.max(0, bits - 31);
    const m = Math.floor((prod + (u > 0 ? 2 ** (u - 1) : 0)) / 2 ** u);
    const { scores, scaleView: s, probs: p } = this.views();
    scores.set(logits.length === n ? logits : logits.subarray(0, n));
    s[0] = m;
    s[1] = scale.k + this.invT.k - u;
    this.runtime.call('di_softmax_rows', this.scoresAt, 1, n, n, this.scaleAt, this.scaleAt + 4, 0, n, 0, this.probsAt, n, 2, this.scratchAt);

    // candidates: every token with a nonzero probability, most likely first (ties by id)
    let count = 0;
    for (let i = 0; i < n; i++) if (p[i] > 0) this.order[count++] = i;
    if (this.topPQ15 < PROB_ONE) sortByProbability(this.order, count, p);
    const last = nucleusEnd(this.order, count, p, this.topPQ15);
    const total = nucleusMass(this.order, last, p);
    if (total === 0) return argmax(logits, n);
    const r = this.rng.below(total); // uniform integer in [0, total): floor(u32 * total / 2^32), exact
    return pickCandidate(this.order, last, p, r);
  }
}
