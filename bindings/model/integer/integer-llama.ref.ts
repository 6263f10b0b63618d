// A plain scalar TypeScript reference of the integer forward pass (bindings/model/integer/integer-llama.ts),
// composed from the kernels' scalar references only: no wasm, no packing, no planned memory. Tests run
// both on random small models and require the same integer logits bit for bit. Slow by design (BigInt
// in the references); for checking, not for use.
import type { QuantizedLlama } from './quantized-llama.js';
import type { RowParams } from '../../common/rows.js';
import { matmulInt32Ref, matmulInt8Ref } from '../../gemm/matmul.ref.js';
import { normRowsI8Ref } from '../../ops/norm.ref.js';
import { ropeRowsI8Ref } from '../../ops/rope.ref.js';
import { swigluRowsI8Ref } from '../../ops/silu.ref.js';
import { residualAddRef } from '../../ops/residual.ref.js';
import { type Residual } from '../../common/rows.js';
import { buildRopeTable } from '../../ops/rope-table.js';
import { attentionRef } from '../../attention/attention.ref.js';
import { reduceLevelsRef } from '../../ops/levels.ref.js';
import type { QuantizedMatrix } from '../../common/weights.js';
import type { MatrixScales, ReferenceScales } from './quantized-llama.js';

interface Cache {
  k: Int8Array; // [maxPos, kvDim]
  v: Int8Array;
  kParams: RowParams; // [maxPos]
  vParams: RowParams;
}

export class ReferenceIntegerLlama {
  private readonly caches: Cache[];
  private readonly table;
  private readonly cM: number;
  private readonly cK: number;

  constructor(
    readonly model: QuantizedLlama,
    readonly scales: ReferenceScales,
    readonly maxPositions: number,
    invSqrtHeadDim: { m: number; k: number },
  ) {
    const c = model.config;
    const kvDim = c.nKvHeads * c.headDim;
    const params = () => ({ m: new Int32Array(maxPositions), k: new Int32Array(maxPositions), z: new Int32Array(maxPositions) });
    this.caches = model.layers.map(() => ({
      k: new Int8Array(maxPositions * kvDim), v: new Int8Array(maxPositions * kvDim), kParams: params(), vParams: params(),
    }));
    this.table = buildRopeTable({ headDim: c.headDim, maxPos: maxPositions, theta: c.ropeTheta, layout: c.ropeLayout });
    this.cM = invSqrtHeadDim.m;
    this.cK = invSqrtHeadDim.k;
  }

  private linear(w: QuantizedMatrix, s: MatrixScales, a: { q: Int8Array; params: RowParams }, M: number) {
    return matmulInt8Ref({ w: w.values, N: w.rows, K: w.cols, a: a.q, M, zero: a.params.z, mant: s.mant, scaleK: s.k, shift: s.shift, rowM: a.params.m, rowK: a.params.k });
  }

  /** Integer logits [M, vocab] of tokens at positions startPos.., and each row's (m, k). */
  forwardRows(tokens: number[], startPos: number): { logits: Int32Array; m: Int32Array; k: Int32Array } {
    const { config: c, embedding: e } = this.model;
    const M = tokens.length;
    const kvDim = c.nKvHeads * c.headDim;
    const pos = Int32Array.from(tokens, (_, i) => startPos + i);
    let x: Residual = { p: new Int32Array(M * c.dim), m: new Int32Array(M), k: new Int32Array(M) }; // [M, dim]
    tokens.forEach((t, i) => {
      for (let j = 0; j < c.dim; j++) x.p[i * c.dim + j] = e.values[t * c.dim + j];
      x.m[i] = e.m[t];
      x.k[i] = e.k[t];
    });
    const bits = this.model.activationBits;
    const levels = (a: { q: Int8Array; params: RowParams }, n: number) => (bits < 8 ? reduceLevelsRef(a.q, M, n, a.params, bits) : a);
    const norm = (g: { g: Int16Array; k: number }) =>
      levels(normRowsI8Ref({ x: x.p, rows: M, n: c.dim, inScale: { m: x.m, k: x.k }, eps: this.model.eps, gamma: g.g, gammaK: g.k, center: false }), c.dim);

    this.model.layers.forEach((l, li) => {
      const s = this.scales.layers[li];
      const cache = this.caches[li];
      const a = norm(l.attnNorm);
      const q = this.linear(l.wq, s.wq, a, M);
      const k = this.linear(l.wk, s.wk, a, M);
      const v = this.linear(l.wv, s.wv, a, M);
      const qr = ropeRowsI8Ref({ x: q.q, params: q.params, rows: M, heads: c.nHeads, table: this.table, pos });
      const kr = ropeRowsI8Ref({ x: k.q, params: k.params, rows: M, heads: c.nKvHeads, table: this.table, pos });
      for (let i = 0; i < M; i++) {
        const p = startPos + i;
        cache.k.set(kr.q.subarray(i * kvDim, (i + 1) * kvDim), p * kvDim);
        cache.v.set(v.q.subarray(i * kvDim, (i + 1) * kvDim), p * kvDim);
        for (const key of ['m', 'k', 'z'] as const) {
          cache.kParams[key][p] = kr.params[key][i];
          cache.vParams[key][p] = v.params[key][i];
        }
      }
      const o = attentionRef({
        q: qr.q, qParams: qr.params, pos, kCache: cache.k, vCache: cache.v, kParams: cache.kParams, vParams: cache.vParams,
        rows: M, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, cM: this.cM, cK: this.cK,
      });
      const attnOut = this.linear(l.wo, s.wo, levels({ q: o.out, params: o.params }, c.nHeads * c.headDim), M);
      x = residualAddRef(x, attnOut, M, c.dim);

      const f = norm(l.ffnNorm);
      const g = this.linear(l.wGate, s.wGate, f, M);
      const u = this.linear(l.wUp, s.wUp, f, M);
      const h = swigluRowsI8Ref({ gate: g.q, gateParams: g.params, up: u.q, upParams: u.params, smooth: null, smoothK: 0, rows: M, n: c.hiddenDim });
      const down = this.linear(l.wDown, s.wDown, levels(h, c.hiddenDim), M);
      x = residualAddRef(x, down, M, c.dim);
    });

    const a = norm(this.model.finalNorm);
    const out = this.model.output;
    const s = this.scales.output;
    const { p } = matmulInt32Ref({ w: out.values, N: out.rows, K: out.cols, a: a.q, M, zero: a.params.z, mant: s.mant, scaleK: s.k, shift: s.shift, rowM: a.params.m, rowK: a.params.k });
    return { logits: p, m: a.params.m, k: Int32Array.from(a.params.k, (v) => v + s.k - s.shift) };
  }
}
