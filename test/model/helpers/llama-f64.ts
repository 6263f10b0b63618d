// An independent float64 oracle for the LLaMA forward: the whole sequence at once (no KV cache),
// plain number[] arrays, causal attention recomputed from scratch for every position. Written apart
// from bindings/model/float-llama.ts on purpose: it shares only the weight layout.
import type { LlamaConfig } from '../../../bindings/model/config.js';
import type { LlamaWeights } from '../../../bindings/model/weights.js';

type Vec = number[];

const matvec = (w: Float32Array, x: Vec, rows: number, cols: number, bias?: Float32Array): Vec =>
  Array.from({ length: rows }, (_, r) => {
    let s = bias ? bias[r] : 0;
    for (let c = 0; c < cols; c++) s += w[r * cols + c] * x[c];
    return s;
  });

const rmsnorm = (x: Vec, g: Float32Array, eps: number): Vec => {
  const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
  return x.map((v, i) => (v / Math.sqrt(ms + eps)) * g[i]);
};

/** Rotates each head's pairs; `pairOf(i)` gives the two indices of pair i inside a head. */
function rope(v: Vec, heads: number, c: LlamaConfig, pos: number): Vec {
  const out = v.slice();
  const half = c.ropeDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const [a, b] = c.ropeLayout === 'adjacent' ? [2 * i, 2 * i + 1] : [i, i + half];
      const angle = pos * c.ropeTheta ** (-(2 * i) / c.ropeDim);
      const re = v[h * c.headDim + a];
      const im = v[h * c.headDim + b];
      out[h * c.headDim + a] = re * Math.cos(angle) - im * Math.sin(angle);
      out[h * c.headDim + b] = re * Math.sin(angle) + im * Math.cos(angle);
    }
  }
  return out;
}

/** Logits [tokens.length][vocab] for every position of `tokens` (starting at position 0). */
export function llamaLogitsF64(c: LlamaConfig, w: LlamaWeights, tokens: number[]): Vec[] {
  const qd = c.nHeads * c.headDim;
  const kvd = c.nKvHeads * c.headDim;
  let xs: Vec[] = tokens.map((t) => Array.from(w.tokenEmbedding.subarray(t * c.dim, (t + 1) * c.dim)));
  for (const L of w.layers) {
    const normed = xs.map((x) => rmsnorm(x, L.attnNorm, c.rmsEps));
    const qs = normed.map((x, p) => rope(matvec(L.wq, x, qd, c.dim, L.bq), c.nHeads, c, p));
    const ks = normed.map((x, p) => rope(matvec(L.wk, x, kvd, c.dim, L.bk), c.nKvHeads, c, p));
    const vs = normed.map((x) => matvec(L.wv, x, kvd, c.dim, L.bv));
    xs = xs.map((x, p) => {
      const att: Vec = new Array(qd).fill(0);
      for (let h = 0; h < c.nHeads; h++) {
        const g = Math.floor((h * c.nKvHeads) / c.nHeads); // KV head shared by this query head
        const logits: Vec = [];
        for (let t = 0; t <= p; t++) {
          let d = 0;
          for (let i = 0; i < c.headDim; i++) d += qs[p][h * c.headDim + i] * ks[t][g * c.headDim + i];
          logits.push(d / Math.sqrt(c.headDim));
        }
        const m = Math.max(...logits);
        const e = logits.map((l) => Math.exp(l - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let t = 0; t <= p; t++) for (let i = 0; i < c.headDim; i++) att[h * c.headDim + i] += (e[t] / z) * vs[t][g * c.headDim + i];
      }
      const o = matvec(L.wo, att, c.dim, qd);
      return x.map((v, i) => v + o[i]);
    });
    xs = xs.map((x) => {
      const n = rmsnorm(x, L.ffnNorm, c.rmsEps);
      const gate = matvec(L.wGate, n, c.hiddenDim, c.dim);
      const up = matvec(L.wUp, n, c.hiddenDim, c.dim);
      const h = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
      const d = matvec(L.wDown, h, c.dim, c.hiddenDim);
      return x.map((v, i) => v + d[i]);
    });
  }
  return xs.map((x) => matvec(w.output, rmsnorm(x, w.finalNorm, c.rmsEps), c.vocabSize, c.dim));
}

/** -log softmax(logits)[target] in float64. */
export function nllF64(logits: Vec, target: number): number {
  const m = Math.max(...logits);
  const z = logits.reduce((a, l) => a + Math.exp(l - m), 0);
  return Math.log(z) + m - logits[target];
}
