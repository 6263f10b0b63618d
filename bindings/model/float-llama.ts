// Float32 reference forward pass of a LLaMA-family transformer, llama2.c style: one token at a time,
// top to bottom, every buffer allocated once in the constructor. It is the oracle the integer engines
// are checked against, so it is written to be read: RMSNorm -> attention (RoPE, GQA, KV cache) ->
// residual -> RMSNorm -> SwiGLU FFN -> residual, then the final norm and the output projection.
import { InvalidInputError } from '../formats/errors.js';
import { type LlamaConfig, kvCacheBytes } from './config.js';
import { type LanguageModel, checkStep } from './language-model.js';
import type { LlamaWeights } from './weights.js';

/** Where an observer sees activations: the inputs of the linear layers (for calibrating quantizers). */
export type ActivationSite = 'attn_in' | 'attn_out' | 'ffn_in' | 'ffn_mid';
/** Called with a view of the activation (valid only during the call). */
export type ActivationObserver = (site: ActivationSite, layer: number, x: Float32Array) => void;

export interface FloatLlamaOptions {
  /** Sees the input of every linear layer as it runs (calibration); absent in normal use. */
  observer?: ActivationObserver;
  /** Positions to allocate the KV cache for (default: the file's context length). */
  maxPositions?: number;
  /** Refuse a KV cache larger than this many bytes (default 1 GiB). */
  maxCacheBytes?: number;
}

/**
 * out[at + r] = sum_c w[r, c] * x[c] (+ bias[r]); w is [rows, cols] row-major. Four rows at a time
 * so each x[c] load serves four products; every row still sums in column order.
 */
function matmul(out: Float32Array, at: number, x: Float32Array, w: Float32Array, rows: number, cols: number, bias?: Float32Array): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const r0 = r * cols;
    const r1 = r0 + cols;
    const r2 = r1 + cols;
    const r3 = r2 + cols;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let c = 0; c < cols; c++) {
      const xc = x[c];
      s0 += w[r0 + c] * xc;
      s1 += w[r1 + c] * xc;
      s2 += w[r2 + c] * xc;
      s3 += w[r3 + c] * xc;
    }
    out[at + r] = bias ? s0 + bias[r] : s0;
    out[at + r + 1] = bias ? s1 + bias[r + 1] : s1;
    out[at + r + 2] = bias ? s2 + bias[r + 2] : s2;
    out[at + r + 3] = bias ? s3 + bias[r + 3] : s3;
  }
  for (; r < rows; r++) {
    let sum = 0;
    const row = r * cols;
    for (let c = 0; c < cols; c++) sum += w[row + c] * x[c];
    out[at + r] = bias ? sum + bias[r] : sum;
  }
}

/** out = x / sqrt(mean(x^2) + eps) * gain, over n elements (out may alias x). */
function rmsnorm(out: Float32Array, x: Float32Array, gain: Float32Array, n: number, eps: number): void {
  let ss = 0;
  for (let i = 0; i < n; i++) ss += x[i] * x[i];
  const inv = 1 / Math.sqrt(ss / n + eps);
  for (let i = 0; i < n; i++) out[i] = x[i] * inv * gain[i];
}

/** In-place softmax over the first n elements. */
function softmax(x: Float64Array, n: number): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    x[i] = Math.exp(x[i] - max);
    sum += x[i];
  }
  for (let i = 0; i < n; i++) x[i] /= sum;
}

export class FloatLlama implements LanguageModel {
  readonly mode = 'float32';
  readonly backend = 'js';
  readonly logitScale = 1;
  readonly maxPositions: number;
  private readonly observer?: ActivationObserver;

  // Activations of the current token.
  private readonly x: Float32Array; // [dim] residual stream
  private readonly xb: Float32Array; // [dim] RMS-normed input of attention or of the FFN
  private readonly xb2: Float32Array; // [dim] output of wo or of the FFN
  private readonly q: Float32Array; // [nHeads*headDim]
  private readonly att: Float32Array; // [nHeads*headDim] attention result, heads concatenated
  private readonly scores: Float64Array; // [maxPositions] one head's attention weights
  private readonly k: Float32Array; // [nKvHeads*headDim] this token's key
  private readonly v: Float32Array; // [nKvHeads*headDim] this token's value
  private readonly hb: Float32Array; // [hiddenDim] gate, then silu(gate)*up
  private readonly hb2: Float32Array; // [hiddenDim] up
  private readonly logits: Float32Array; // [vocabSize]
  private readonly ropeFreq: Float64Array; // [ropeDim/2] rotation speed of each pair
  private readonly ropeCos: Float64Array; // [ropeDim/2] cos(pos*freq) for the current position
  private readonly ropeSin: Float64Array; // [ropeDim/2]
  // KV cache, per layer, transposed: [nKvHeads*headDim, maxPositions]
  private readonly keyCache: Float32Array[];
  private readonly valueCache: Float32Array[];

  constructor(
    readonly config: LlamaConfig,
    readonly weights: LlamaWeights,
    options: FloatLlamaOptions = {},
  ) {
    const c = config;
    const maxPositions = options.maxPositions ?? c.contextLength;
    if (!Number.isInteger(maxPositions) || maxPositions < 1 || maxPositions > c.contextLength) {
      throw new InvalidInputError(`maxPositions ${maxPositions} must be in 1..contextLength (${c.contextLength})`);
    }
    const cacheBytes = kvCacheBytes(c, maxPositions);
    const budget = options.maxCacheBytes ?? 2 ** 30;
    if (cacheBytes > budget) {
      throw new InvalidInputError(`a KV cache for ${maxPositions} positions needs ${cacheBytes} bytes, over the ${budget}-byte budget; pass a smaller context (-c)`);
    }
    this.maxPositions = maxPositions;
    this.observer = options.observer;
    const qDim = c.nHeads * c.headDim;
    const kvDim = c.nKvHeads * c.headDim;
    this.x = new Float32Array(c.dim);
    this.xb = new Float32Array(c.dim);
    this.xb2 = new Float32Array(c.dim);
    this.q = new Float32Array(qDim);
    this.att = new Float32Array(qDim);
    this.scores = new Float64Array(maxPositions);
    this.k = new Float32Array(kvDim);
    this.v = new Float32Array(kvDim);
    this.hb = new Float32Array(c.hiddenDim);
    this.hb2 = new Float32Array(c.hiddenDim);
    this.logits = new Float32Array(c.vocabSize);
    this.ropeFreq = new Float64Array(c.ropeDim / 2);
    this.ropeCos = new Float64Array(c.ropeDim / 2);
    this.ropeSin = new Float64Array(c.ropeDim / 2);
    // Pair i rotates by pos * theta^(-2i/ropeDim) (llama2.c: 1 / powf(10000, head_dim_index / head_size)).
    for (let i = 0; i < c.ropeDim / 2; i++) this.ropeFreq[i] = 1 / Math.pow(c.ropeTheta, (2 * i) / c.ropeDim);
    this.keyCache = Array.from({ length: c.nLayers }, () => new Float32Array(maxPositions * kvDim));
    this.valueCache = Array.from({ length: c.nLayers }, () => new Float32Array(maxPositions * kvDim));
  }

  /** Rotates every head of `v` (nHeads heads of headDim) by the current position's angles. */
  private rope(v: Float32Array, nHeads: number): void {
    const { headDim, ropeDim, ropeLayout } = this.config;
    const half = ropeDim / 2;
    for (let h = 0; h < nHeads; h++) {
      const base = h * headDim;
      for (let i = 0; i < half; i++) {
        // adjacent: (x[2i], x[2i+1]); half: (x[i], x[i + ropeDim/2]).
        const a = ropeLayout === 'adjacent' ? base + 2 * i : base + i;
        const b = ropeLayout === 'adjacent' ? a + 1 : a + half;
        const x0 = v[a];
        const x1 = v[b];
        v[a] = x0 * this.ropeCos[i] - x1 * this.ropeSin[i];
        v[b] = x0 * this.ropeSin[i] + x1 * this.ropeCos[i];
      }
    }
  }

  /**
   * att[h] = softmax(q[h] . K[0..pos] / sqrt(headDim)) V[0..pos] for every query head h. The cache is
   * stored transposed (position fastest), so both sums run over long contiguous rows of positions.
   */
  private attention(keys: Float32Array, values: Float32Array, pos: number): void {
    const { headDim, nHeads, nKvHeads } = this.config;
    const stride = this.maxPositions;
    const headsPerKv = nHeads / nKvHeads;
    const scale = 1 / Math.sqrt(headDim);
    const q = this.q;
    const scores = this.scores;
    const att = this.att;
    for (let h = 0; h < nHeads; h++) {
      const qh = h * headDim;
      const kvh = Math.floor(h / headsPerKv) * headDim; // GQA: query heads share a KV head
      scores.fill(0, 0, pos + 1);
      for (let i = 0; i < headDim; i++) {
        const qi = q[qh + i] * scale;
        const row = (kvh + i) * stride; // keys[kvh + i][0..pos]
        for (let t = 0; t <= pos; t++) scores[t] += qi * keys[row + t];
      }
      softmax(scores, pos + 1);
      for (let i = 0; i < headDim; i++) {
        const row = (kvh + i) * stride; // values[kvh + i][0..pos]
        let sum = 0;
        for (let t = 0; t <= pos; t++) sum += scores[t] * values[row + t];
        att[qh + i] = sum;
      }
    }
  }

  forward(token: number, pos: number): Float32Array {
    checkStep(this, token, pos);
    const c = this.config;
    const w = this.weights;
    const { dim, headDim, nHeads, nKvHeads, hiddenDim } = c;
    const kvDim = nKvHeads * headDim;
    const qDim = nHeads * headDim;
    const x = this.x;

    x.set(w.tokenEmbedding.subarray(token * dim, (token + 1) * dim));
    for (let i = 0; i < this.ropeFreq.length; i++) {
      this.ropeCos[i] = Math.cos(pos * this.ropeFreq[i]);
      this.ropeSin[i] = Math.sin(pos * this.ropeFreq[i]);
    }

    for (let l = 0; l < c.nLayers; l++) {
      const lw = w.layers[l];
      const keys = this.keyCache[l]; // [kvDim, maxPositions]
      const values = this.valueCache[l]; // [kvDim, maxPositions]

      // Attention: q, k, v of this token; k (after RoPE) and v go into column `pos` of the cache.
      rmsnorm(this.xb, x, lw.attnNorm, dim, c.rmsEps);
      this.observer?.('attn_in', l, this.xb);
      matmul(this.q, 0, this.xb, lw.wq, qDim, dim, lw.bq);
      matmul(this.k, 0, this.xb, lw.wk, kvDim, dim, lw.bk);
      matmul(this.v, 0, this.xb, lw.wv, kvDim, dim, lw.bv);
      this.rope(this.q, nHeads);
      this.rope(this.k, nKvHeads);
      for (let j = 0; j < kvDim; j++) {
        keys[j * this.maxPositions + pos] = this.k[j];
        values[j * this.maxPositions + pos] = this.v[j];
      }
      this.attention(keys, values, pos);
      this.observer?.('attn_out', l, this.att);
      matmul(this.xb2, 0, this.att, lw.wo, dim, qDim);
      for (let i = 0; i < dim; i++) x[i] += this.xb2[i];

      // SwiGLU feed-forward: down(silu(gate(x)) * up(x)).
      rmsnorm(this.xb, x, lw.ffnNorm, dim, c.rmsEps);
      this.observer?.('ffn_in', l, this.xb);
      matmul(this.hb, 0, this.xb, lw.wGate, hiddenDim, dim);
      matmul(this.hb2, 0, this.xb, lw.wUp, hiddenDim, dim);
      for (let i = 0; i < hiddenDim; i++) {
        const g = this.hb[i];
        this.hb[i] = (g / (1 + Math.exp(-g))) * this.hb2[i];
      }
      this.observer?.('ffn_mid', l, this.hb);
      matmul(this.xb2, 0, this.hb, lw.wDown, dim, hiddenDim);
      for (let i = 0; i < dim; i++) x[i] += this.xb2[i];
    }

    rmsnorm(x, x, w.finalNorm, dim, c.rmsEps);
    matmul(this.logits, 0, x, w.output, c.vocabSize, dim);
    return this.logits;
  }

  prefill(tokens: ArrayLike<number>, startPos: number, onLogits?: (i: number, logits: Float32Array) => void): Float32Array {
    if (tokens.length === 0) throw new InvalidInputError('prefill needs at least one token');
    if (startPos + tokens.length > this.maxPositions) {
      throw new InvalidInputError(`${tokens.length} tokens from position ${startPos} do not fit in the context of ${this.maxPositions} positions`);
    }
    for (let i = 0; i < tokens.length; i++) {
      this.forward(tokens[i], startPos + i);
      onLogits?.(i, this.logits);
    }
    return this.logits;
  }
}
