// The integer-only LLaMA forward pass on the wasm kernels, top to bottom like llama2.c. Every buffer is
// planned once in the constructor (weights, KV cache, activations, scratch) inside the runtime's arena;
// a forward pass only calls kernels on those offsets and moves integers, so it allocates nothing and runs
// no float arithmetic. Numeric contracts: assembly/gemm/epilogue.ts (matmul outputs), assembly/ops/*
// (norm, RoPE, SwiGLU, residual), assembly/attention/attention.ts; plan: docs/integer-model.md.
//
// Row formats: "int8 row" = int8 values with per-row (m, k, z), real = m / 2^k * (q - z);
// the residual stream x is int32 with per-row (m, k), real = x * m / 2^k, |x| < 2^30.
import type { DyadicRuntime } from '../../runtime/instance.js';
import { packWeights, blockK, type PackedWeights, type WeightBits } from '../../gemm/pack.js';
import { runGemm, splitScratchBytes } from '../../gemm/parallel.js';
import { packBlockCsr } from '../../sparse/pack.js';
import { SparseLinear } from '../../sparse/spmm.js';
import { toDyadicShared } from '../../common/to-dyadic.js';
import type { QuantizedLlama } from './quantized-llama.js';
import { packGroupwise, groupwiseBytes, type GroupwiseWeights } from '../../gemm/groupwise-pack.js';
import { runGroupwise, groupwiseScratchBytes } from '../../gemm/groupwise.js';
import {
  blockEmbeddingRow, isBlockEmbedding, isBlockMatrix, newEmbeddingScratch,
  type BlockEmbedding, type IntegerWeights, type LinearWeights, type LinearShape, type WeightShapes,
} from './native-model.js';
import type { DecodedRow } from '../../gemm/groupwise-blocks.js';
import type { LanguageModel } from '../language-model.js';
import { checkStep } from '../language-model.js';
import { InvalidInputError } from '../../formats/errors.js';
import { buildRopeTable, ROPE_LAYOUT_CODE } from '../../ops/rope-table.js';
import { attentionScratchBytes, attentionSplitScratchBytes, inverseSqrtHeadDim, runAttention, type AttentionSplitScratch } from '../../attention/attention.js';
import type { MatrixScales, ReferenceScales } from './quantized-llama.js';

export interface IntegerLlamaOptions {
  /** Positions the KV cache holds (default: the model's context length). */
  maxPositions?: number;
  /** Largest number of tokens one forward call processes (prefill runs in chunks of this). */
  maxBatch?: number;
}

/** Offsets of an int8 row buffer [rows, stride] and its per-row (m, k, z) int32 [rows] arrays. */
interface RowsI8 {
  at: number;
  stride: number;
  m: number;
  k: number;
  z: number;
}

/**
 * One linear layer planned on the runtime: dense packed weights (assembly/gemm/), group-wise block weights
 * (assembly/gemm/groupwise.ts) or block-CSR (assembly/sparse/), all ending in epilogue stage 1, so the rest
 * of the graph does not tell them apart.
 */
interface Linear {
  readonly N: number;
  /** Activation columns the layer reads (zero-padded beyond K). */
  readonly Kp: number;
  /** int32 outputs per row it writes (>= N). */
  readonly Np: number;
  readonly scale: { m: Int32Array; k: number };
  readonly shift: number;
  readonly dense?: PackedWeights;
  readonly sparse?: SparseLinear;
  readonly groupwise?: GroupwiseWeights;
  /** The kernel export that runs it (for `info` and tests). */
  readonly kernel: string;
}

function planLinear(runtime: DyadicRuntime, q: LinearWeights, name: string): Linear {
  if (isBlockMatrix(q)) {
    const gw = packGroupwise(runtime, q.type, q.read, q.rows, q.cols, name);
    return { N: gw.N, Kp: gw.Kp, Np: gw.Np, scale: gw.scale, shift: gw.shift, groupwise: gw, kernel: gw.kernel };
  }
  if (!q.sparseBlock) {
    const dense = packWeights(runtime, q.values, { N: q.rows, K: q.cols, bits: q.bits, scale: q.scales });
    return { N: dense.N, Kp: dense.Kp, Np: dense.Np, scale: dense.scale, shift: dense.shift, dense, kernel: dense.kernel };
  }
  if (q.bits !== 8 && q.bits !== 4) throw new RangeError(`dyadic: ${name} is block-sparse at ${q.bits} bits (8 or 4 supported)`);
  const dyadic = toDyadicShared(q.scales, 16); // the same 16-bit mantissas packWeights derives
  const { csr } = packBlockCsr(q, { block: q.sparseBlock, dyadic, name });
  const sparse = SparseLinear.load(runtime, csr, name);
  return { N: q.rows, Kp: sparse.Kp, Np: q.rows, scale: { m: csr.scaleM, k: csr.scaleK }, shift: sparse.shift, sparse, kernel: sparse.kernel };
}

interface PlannedLayer {
  attnGamma: number; // int16 [dim]
  attnGammaK: number;
  ffnGamma: number; // int16 [dim]
  ffnGammaK: number;
  wq: Linear;
  wk: Linear;
  wv: Linear;
  wo: Linear;
  wGate: Linear;
  wUp: Linear;
  wDown: Linear;
  kCache: RowsI8; // [maxPositions, kvDim] with per-position params
  vCache: RowsI8;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/**
 * Wasm memory an IntegerLlama will plan, by part, computed from the shapes before anything is allocated
 * (an upper bound: block-sparse layers are counted as dense, alignment padding generously), so a model
 * that cannot fit a memory limit (a Worker's 128 MB) is refused up front with its size.
 */
export function integerModelBytes(model: WeightShapes, maxPositions: number, maxBatch: number): { weights: number; kvCache: number; activations: number; total: number } {
  const c = model.config;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const linear = (m: LinearShape) => {
    if ('type' in m) return groupwiseBytes(m.type, m.rows, m.cols) + 256 + maxBatch * (m.cols / 16) * 20;
    const Np = roundUp(m.rows, 4);
    const Kp = roundUp(m.cols, Math.max(blockK(m.bits as WeightBits), 16));
    return (Np * Kp * m.bits) / 8 + 8 * Np + 256;
  };
  let weights = linear(model.output) + (2 * c.nLayers + 1) * (2 * c.dim + 64) + maxPositions * c.headDim * 4;
  for (const l of model.layers) for (const m of [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown]) weights += linear(m);
  const kvCache = c.nLayers * 2 * (maxPositions * kvDim + 12 * maxPositions + 256);
  const kp = (n: number) => roundUp(n, 128);
  const maxN = Math.max(c.vocabSize, c.hiddenDim, qDim, c.dim) + 4;
  const activations =
    maxBatch * (12 * c.dim + kp(c.dim) + 2 * qDim + kvDim + kp(qDim) + 2 * c.hiddenDim + kp(c.hiddenDim) + 4 * maxN + 128) +
    attentionScratchBytes(maxPositions, c.nHeads, c.headDim) + 4 * (Math.max(c.dim, c.hiddenDim, qDim) + 8) + 64 * 1024;
  return { weights, kvCache, activations, total: weights + kvCache + activations };
}

export class IntegerLlama implements LanguageModel {
  readonly config: IntegerWeights['config'];
  readonly mode: string;
  readonly backend: string;
  readonly maxPositions: number;
  readonly maxBatch: number;
  readonly runtime: DyadicRuntime;

  private readonly layers: PlannedLayer[];
  private readonly output: Linear;
  private readonly embedding: { values: Int16Array; m: Int32Array; k: Int32Array } | BlockEmbedding;
  private readonly embeddingScratch: DecodedRow | undefined;
  private readonly gwScratch: number; // groupwiseScratchBytes of the widest group-wise layer for maxBatch rows
  private readonly eps: { m: number; k: number };
  private readonly finalGamma: number;
  private readonly finalGammaK: number;
  private readonly rope: number; // int16 [maxPositions, headDim, 2]
  private readonly invSqrtHd: { m: number; k: number };
  private readonly activationBits: number;

  // Activations for up to maxBatch rows.
  private readonly x: number; // int32 [B, dim] residual stream
  private readonly xM: number; // int32 [B]
  private readonly xK: number; // int32 [B]
  private readonly a: RowsI8; // [B, Kp(dim)] normed activations (zero-padded columns)
  private readonly q: RowsI8; // [B, qDim] q projection
  private readonly qr: RowsI8; // [B, qDim] q after RoPE
  private readonly k: RowsI8; // [B, kvDim] k projection (RoPE writes into the cache)
  private readonly o: RowsI8; // [B, Kp(qDim)] attention output
  private readonly b: RowsI8; // [B, dim] o_proj / down_proj output
  private readonly g: RowsI8; // [B, hiddenDim] gate
  private readonly u: RowsI8; // [B, hiddenDim] up
  private readonly h: RowsI8; // [B, Kp(hiddenDim)] SwiGLU output
  private readonly p: number; // int32 [B, maxNp] matmul accumulators / logits
  private readonly pStride: number;
  private readonly range: number; // int32 [B, 2]
  private readonly corr: number; // int32 [B]
  private readonly splitScratch: number; // int32 [helpers][B] x 3: helper threads' row ranges and corrections
  private readonly pos: number; // int32 [B]
  private readonly opScratch: number; // int32 [max(dim, hiddenDim, qDim) + 8]
  private readonly attnScratch: number; // attentionScratchBytes(maxPositions, nHeads, headDim)
  private readonly attnSplit: AttentionSplitScratch | undefined; // helpers' head scratch + int64 [B, qDim] (threads only)
  private i32: Int32Array; // view of the whole memory, rebuilt if anything grows memory later
  private readonly lastDyadic = { m: 1, k: 0 }; // scale of the logits last returned (updated in place)
  private readonly logitsI32: Int32Array; // [vocabSize]

  constructor(runtime: DyadicRuntime, model: QuantizedLlama | IntegerWeights, mode: string, options: IntegerLlamaOptions = {}) {
    const c = model.config;
    this.config = c;
    this.mode = mode;
    this.runtime = runtime;
    this.backend = `wasm-${runtime.build}`;
    this.maxPositions = options.maxPositions ?? c.contextLength;
    this.maxBatch = options.maxBatch ?? 32;
    const B = this.maxBatch;
    const arena = runtime.arena;
    const qDim = c.nHeads * c.headDim;
    const kvDim = c.nKvHeads * c.headDim;
    const need = integerModelBytes(model, this.maxPositions, B);
    if (arena.usedBytes + need.total > arena.limitBytes) {
      throw new InvalidInputError(
        `the ${mode} model needs about ${need.total} bytes of wasm memory (weights ${need.weights}, KV cache ${need.kvCache} ` +
          `for ${this.maxPositions} positions, activations ${need.activations}), over the limit of ${arena.limitBytes} bytes` +
          ` (${arena.usedBytes} already in use); use a smaller context, fewer weight bits, or a smaller model`,
      );
    }

    const pack = (m: LinearWeights, name: string) => planLinear(runtime, m, name);
    const putI16 = (data: Int16Array, what: string) => {
      const at = arena.alloc(data.byteLength, what, 16);
      arena.i16(at, data.length).set(data);
      return at;
    };
    const rowsI8 = (rows: number, width: number, what: string): RowsI8 => ({
      at: arena.alloc(rows * width, `${what} [${rows}, ${width}] int8`),
      stride: width,
      m: arena.alloc(rows * 4, `${what} row mantissas`),
      k: arena.alloc(rows * 4, `${what} row exponents`),
      z: arena.alloc(rows * 4, `${what} row zero points`),
    });

    this.layers = model.layers.map((l, i) => ({
      attnGamma: putI16(l.attnNorm.g, `layer ${i} attention norm gamma`),
      attnGammaK: l.attnNorm.k,
      ffnGamma: putI16(l.ffnNorm.g, `layer ${i} ffn norm gamma`),
      ffnGammaK: l.ffnNorm.k,
      wq: pack(l.wq, `blk.${i}.attn_q`),
      wk: pack(l.wk, `blk.${i}.attn_k`),
      wv: pack(l.wv, `blk.${i}.attn_v`),
      wo: pack(l.wo, `blk.${i}.attn_output`),
      wGate: pack(l.wGate, `blk.${i}.ffn_gate`),
      wUp: pack(l.wUp, `blk.${i}.ffn_up`),
      wDown: pack(l.wDown, `blk.${i}.ffn_down`),
      kCache: rowsI8(this.maxPositions, kvDim, `layer ${i} K cache`),
      vCache: rowsI8(this.maxPositions, kvDim, `layer ${i} V cache`),
    }));
    this.output = pack(model.output, 'output');
    this.embedding = model.embedding;
    this.embeddingScratch = isBlockEmbedding(model.embedding) ? newEmbeddingScratch(model.embedding) : undefined;
    this.eps = model.eps;
    this.activationBits = model.activationBits;
    this.finalGamma = putI16(model.finalNorm.g, 'final norm gamma');
    this.finalGammaK = model.finalNorm.k;
    const table = buildRopeTable({ headDim: c.headDim, maxPos: this.maxPositions, theta: c.ropeTheta, layout: c.ropeLayout });
    this.rope = putI16(table.data, 'RoPE table');
    this.invSqrtHd = inverseSqrtHeadDim(c.headDim);

    // Activations: the input of a matmul is as wide as that matmul's padded K (zeros beyond the real K).
    // Each activation buffer is as wide as the widest padded K of the layers that read it.
    const widest = (pick: (l: PlannedLayer) => Linear[], k: number) => Math.max(k, ...this.layers.flatMap((l) => pick(l).map((w) => w.Kp)));
    const kpDim = Math.max(widest((l) => [l.wq, l.wk, l.wv, l.wGate, l.wUp], c.dim), this.output.Kp,
      isBlockMatrix(model.output) ? c.dim : roundUp(c.dim, blockK(model.output.bits)));
    this.x = arena.alloc(B * c.dim * 4, 'residual stream');
    this.xM = arena.alloc(B * 4, 'residual row mantissas');
    this.xK = arena.alloc(B * 4, 'residual row exponents');
    this.a = rowsI8(B, kpDim, 'normed activations');
    this.q = rowsI8(B, qDim, 'q');
    this.qr = rowsI8(B, qDim, 'q after RoPE');
    this.k = rowsI8(B, kvDim, 'k');
    this.o = rowsI8(B, widest((l) => [l.wo], qDim), 'attention output');
    this.b = rowsI8(B, c.dim, 'projection output');
    this.g = rowsI8(B, c.hiddenDim, 'gate');
    this.u = rowsI8(B, c.hiddenDim, 'up');
    this.h = rowsI8(B, widest((l) => [l.wDown], c.hiddenDim), 'SwiGLU output');
    const maxNp = Math.max(this.output.Np, ...this.layers.flatMap((l) => [l.wq.Np, l.wk.Np, l.wv.Np, l.wo.Np, l.wGate.Np, l.wUp.Np, l.wDown.Np]));
    this.pStride = maxNp;
    this.p = arena.alloc(B * maxNp * 4, 'matmul accumulators');
    this.range = arena.alloc(B * 8, 'row ranges');
    this.corr = arena.alloc(B * 4, 'row corrections');
    this.splitScratch = arena.alloc(splitScratchBytes(runtime, B), 'helper thread row scratch');
    const all = [...this.layers.flatMap((l) => [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown]), this.output];
    this.gwScratch = arena.alloc(Math.max(16, ...all.map((l) => (l.groupwise ? groupwiseScratchBytes(runtime, l.groupwise, B) : 0))), 'group-wise row scratch', 16);
    this.pos = arena.alloc(B * 4, 'positions');
    this.opScratch = arena.alloc((Math.max(c.dim, c.hiddenDim, qDim) + 8) * 4, 'operator scratch', 16);
    this.attnScratch = arena.alloc(attentionScratchBytes(this.maxPositions, c.nHeads, c.headDim), 'attention scratch', 16);
    const helpers = runtime.pool?.helpers ?? 0;
    this.attnSplit = helpers > 0 ? {
      at: arena.alloc(attentionSplitScratchBytes(helpers, B, this.maxPositions, c.nHeads, c.headDim), 'attention split scratch', 16), rows: B,
    } : undefined;
    // Sparse layers take call scratch from the arena's top: make sure it is there now, not mid-forward.
    const sparseScratch = Math.max(0, ...[...this.layers.flatMap((l) => [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown]), this.output]
      .map((l) => l.sparse?.scratchBytes(B) ?? 0));
    arena.ensure(arena.usedBytes + sparseScratch + 256);
    // Memory never grows after this point, so one view serves every call.
    arena.u8(0).fill(0, this.a.at, this.a.at + B * kpDim);
    arena.u8(0).fill(0, this.o.at, this.o.at + B * this.o.stride);
    arena.u8(0).fill(0, this.h.at, this.h.at + B * this.h.stride);
    this.i32 = new Int32Array(arena.memory.buffer);
    this.logitsI32 = new Int32Array(c.vocabSize);
  }

  /** Bytes of wasm memory the plan uses (weights, cache, activations). */
  get memoryBytes(): number {
    return this.runtime.arena.usedBytes;
  }

  /** Growing memory (another user of the runtime allocating) detaches views: rebuild the one we keep. */
  private checkMemory(): void {
    if (this.i32.buffer !== this.runtime.arena.memory.buffer) this.i32 = new Int32Array(this.runtime.arena.memory.buffer);
  }

  /** a [M, Kp] int8 rows x W -> int32 accumulators in p (epilogue stage 1) with row ranges. */
  private gemm(l: Linear, a: RowsI8, M: number): void {
    const rt = this.runtime;
    this.i32.fill(0, this.range >> 2, (this.range >> 2) + 2 * M);
    if (l.sparse) {
      l.sparse.run({ a: a.at, aStride: a.stride, M, rowZero: a.z, out: this.p, outStride: this.pStride, rowRange: this.range, mode: 'rescale', shift: l.shift });
      this.checkMemory(); // the sparse call takes scratch from the arena
      return;
    }
    if (l.groupwise) {
      runGroupwise(rt, l.groupwise, { M, a: a.at, aStride: a.stride, rowZero: a.z, out: this.p, outStride: this.pStride, range: this.range }, this.gwScratch);
      return;
    }
    runGemm(rt, l.dense!, { M, a: a.at, aStride: a.stride, rowZero: a.z, corr: this.corr, out: this.p, outStride: this.pStride, range: this.range }, this.splitScratch);
  }

  /** Below 8 activation bits, the rows that feed a matmul are brought to 2^bits levels (assembly/ops/levels.ts). */
  private reduceLevels(a: RowsI8, M: number, n: number): void {
    if (this.activationBits < 8) this.runtime.call('reduce_levels_rows', a.at, M, n, a.stride, a.m, a.k, a.z, this.activationBits);
  }

  /** gemm, then the epilogue's per-row requantization into `out` rows starting at row `row0`. */
  private linear(w: Linear, a: RowsI8, M: number, out: RowsI8, row0 = 0): void {
    this.gemm(w, a, M);
    this.runtime.call('di_requant_rows', this.p, this.pStride, M, w.N, this.range, a.m, a.k, w.scale.k - w.shift,
      out.at + row0 * out.stride, out.stride, out.m + row0 * 4, out.k + row0 * 4, out.z + row0 * 4);
  }

  /** RMSNorm of residual rows [row0, row0 + M) into normed-activation rows 0..M-1. */
  private norm(gamma: number, gammaK: number, M: number, row0 = 0): void {
    const c = this.config;
    const a = this.a;
    this.runtime.call('di_norm_rows', this.x + row0 * c.dim * 4, M, c.dim, c.dim, this.xM + row0 * 4, this.xK + row0 * 4, this.eps.m, this.eps.k, gamma, gammaK, 0,
      this.opScratch, 0, a.at, a.stride, a.m, a.k, a.z);
    this.reduceLevels(a, M, c.dim);
  }

  private residualAdd(b: RowsI8, M: number): void {
    const c = this.config;
    this.runtime.call('di_residual_add_rows', this.x, M, c.dim, c.dim, this.xM, this.xK, b.at, b.stride, b.m, b.k, b.z,
      this.x, c.dim, this.xM, this.xK);
  }

  /**
   * Runs tokens at positions startPos.. (M <= maxBatch) and leaves the int32 logits of rows
   * [logitsFrom, M) in p rows 0.. [M - logitsFrom, pStride] with row scales (m, k) in the normed-activation
   * params a.m and kScale. Rows before logitsFrom skip the final norm and the LM head (a prefill that only
   * needs the last position's logits: the head is a vocabSize x dim product per row).
   */
  private forwardRows(tokens: ArrayLike<number>, startPos: number, logitsFrom = 0): { M: number; kAdjust: number } {
    this.checkMemory();
    const c = this.config;
    const rt = this.runtime;
    const M = tokens.length;
    const i32 = this.i32;
    const qDim = c.nHeads * c.headDim;
    const kvDim = c.nKvHeads * c.headDim;

    // Embedding rows seed the residual stream (int16 values, per-row dyadic scale).
    // A block-type table (mode native) decodes the token's row in integers: W 2^-e, so m = 1, k = e.
    const e = this.embedding;
    for (let i = 0; i < M; i++) {
      const t = tokens[i];
      const row = (this.x >> 2) + i * c.dim;
      if (isBlockEmbedding(e)) {
        i32[(this.xK >> 2) + i] = blockEmbeddingRow(e, t, this.embeddingScratch!, i32, row);
        i32[(this.xM >> 2) + i] = 1;
      } else {
        for (let j = 0; j < c.dim; j++) i32[row + j] = e.values[t * c.dim + j];
        i32[(this.xM >> 2) + i] = e.m[t];
        i32[(this.xK >> 2) + i] = e.k[t];
      }
      i32[(this.pos >> 2) + i] = startPos + i;
    }

    for (const l of this.layers) {
      // attention
      this.norm(l.attnGamma, l.attnGammaK, M);
      this.linear(l.wq, this.a, M, this.q);
      this.linear(l.wk, this.a, M, this.k);
      this.linear(l.wv, this.a, M, l.vCache, startPos); // V rows go straight into the cache
      const layout = ROPE_LAYOUT_CODE[c.ropeLayout];
      rt.call('di_rope_rows', this.q.at, M, c.nHeads, c.headDim, this.q.stride, this.q.m, this.q.k, this.q.z,
        layout, this.rope, this.maxPositions, this.pos, this.opScratch, 0, this.qr.at, this.qr.stride, this.qr.m, this.qr.k, this.qr.z);
      const kc = l.kCache;
      rt.call('di_rope_rows', this.k.at, M, c.nKvHeads, c.headDim, this.k.stride, this.k.m, this.k.k, this.k.z,
        layout, this.rope, this.maxPositions, this.pos, this.opScratch, 0,
        kc.at + startPos * kvDim, kvDim, kc.m + startPos * 4, kc.k + startPos * 4, kc.z + startPos * 4);
      const vc = l.vCache;
      runAttention(rt, {
        q: this.qr.at, rows: M, qStride: qDim, qM: this.qr.m, qK: this.qr.k, qZ: this.qr.z, pos: this.pos,
        kc: kc.at, vc: vc.at, kvStride: kvDim, kM: kc.m, kK: kc.k, kZ: kc.z, vM: vc.m, vK: vc.k, vZ: vc.z,
        nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, cM: this.invSqrtHd.m, cK: this.invSqrtHd.k,
        maxLen: this.maxPositions, out: this.o.at, outStride: this.o.stride, outM: this.o.m, outK: this.o.k, outZ: this.o.z,
      }, this.attnScratch, this.attnSplit);
      this.reduceLevels(this.o, M, qDim);
      this.linear(l.wo, this.o, M, this.b);
      this.residualAdd(this.b, M);

      // feed-forward (SwiGLU)
      this.norm(l.ffnGamma, l.ffnGammaK, M);
      this.linear(l.wGate, this.a, M, this.g);
      this.linear(l.wUp, this.a, M, this.u);
      rt.call('di_swiglu_rows', this.g.at, M, c.hiddenDim, this.g.stride, this.g.m, this.g.k, this.g.z,
        this.u.at, this.u.stride, this.u.m, this.u.k, this.u.z, 0, 0, this.opScratch, 0,
        this.h.at, this.h.stride, this.h.m, this.h.k, this.h.z);
      this.reduceLevels(this.h, M, c.hiddenDim);
      this.linear(l.wDown, this.h, M, this.b);
      this.residualAdd(this.b, M);
    }

    // final norm and the LM head: int32 logits, row scale m = a.m[i], k = a.k[i] + kAdjust
    if (logitsFrom < M) {
      this.norm(this.finalGamma, this.finalGammaK, M - logitsFrom, logitsFrom);
      this.gemm(this.output, this.a, M - logitsFrom);
    }
    return { M, kAdjust: this.output.scale.k - this.output.shift };
  }

  /** Integer logits of row i after forwardRows (a view into a reused buffer), with their dyadic scale. */
  private rowLogits(i: number, kAdjust: number): { logits: Int32Array; m: number; k: number } {
    const v = this.config.vocabSize;
    const start = (this.p >> 2) + i * this.pStride;
    this.logitsI32.set(this.i32.subarray(start, start + v));
    return { logits: this.logitsI32, m: this.i32[(this.a.m >> 2) + i], k: this.i32[(this.a.k >> 2) + i] + kAdjust };
  }

  /**
   * Integer logits [M, vocabSize] (a copy) of tokens at positions startPos.. with each row's scale:
   * real logit = logits * m / 2^k. M <= maxBatch.
   */
  forwardIntRows(tokens: ArrayLike<number>, startPos: number): { logits: Int32Array; m: Int32Array; k: Int32Array } {
    if (tokens.length < 1 || tokens.length > this.maxBatch) throw new RangeError(`dyadic: ${tokens.length} tokens in one call (1..${this.maxBatch})`);
    for (let i = 0; i < tokens.length; i++) checkStep(this, tokens[i], startPos + i);
    const { M, kAdjust } = this.forwardRows(tokens, startPos);
    const v = this.config.vocabSize;
    const logits = new Int32Array(M * v); // [M, vocab]
    const m = new Int32Array(M);
    const k = new Int32Array(M);
    for (let i = 0; i < M; i++) {
      const r = this.rowLogits(i, kAdjust);
      logits.set(r.logits, i * v);
      m[i] = r.m;
      k[i] = r.k;
    }
    return { logits, m, k };
  }

  /** The kernel each linear layer runs on, by GGUF tensor name (for `info` and tests). */
  kernels(): Record<string, string> {
    const out: Record<string, string> = {};
    const names = ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'] as const;
    this.layers.forEach((l, i) => [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown].forEach((w, j) => (out[`blk.${i}.${names[j]}.weight`] = w.kernel)));
    out['output.weight'] = this.output.kernel;
    return out;
  }

  /** The packed matrices' dyadic mantissas, exponents and stage-1 shifts (for the scalar reference). */
  referenceScales(): ReferenceScales {
    const s = (w: Linear): MatrixScales => ({ mant: w.scale.m.slice(0, w.N), k: w.scale.k, shift: w.shift });
    return {
      layers: this.layers.map((l) => ({ wq: s(l.wq), wk: s(l.wk), wv: s(l.wv), wo: s(l.wo), wGate: s(l.wGate), wUp: s(l.wUp), wDown: s(l.wDown) })),
      output: s(this.output),
    };
  }

  get invSqrtHeadDim(): { m: number; k: number } {
    return this.invSqrtHd;
  }

  /** Integer logits [vocabSize] of the next token after `token` at `pos`; real = logits * m / 2^k. */
  forwardInt(token: number, pos: number): { logits: Int32Array; m: number; k: number } {
    checkStep(this, token, pos);
    const { kAdjust } = this.forwardRows([token], pos);
    return this.rowLogits(0, kAdjust);
  }

  /** Real logit = returned integer logit * logitScale, for the last forward/prefill row returned. */
  get logitScale(): number {
    return this.lastDyadic.m / 2 ** this.lastDyadic.k;
  }

  /** The same scale as a dyadic m / 2^k, for integer consumers (IntegerSampler). */
  get logitDyadic(): { m: number; k: number } {
    return this.lastDyadic;
  }

  forward(token: number, pos: number): Int32Array {
    const r = this.forwardInt(token, pos);
    this.lastDyadic.m = r.m;
    this.lastDyadic.k = r.k;
    return r.logits;
  }

  prefill(tokens: ArrayLike<number>, startPos: number, onLogits?: (i: number, logits: Int32Array) => void): Int32Array {
    if (tokens.length === 0) throw new RangeError('dyadic prefill: no tokens');
    for (let i = 0; i < tokens.length; i++) checkStep(this, tokens[i], startPos + i);
    for (let s = 0; s < tokens.length; s += this.maxBatch) {
      const chunk = Array.prototype.slice.call(tokens, s, s + this.maxBatch) as number[];
      // without onLogits only the prompt's last position needs logits
      const from = onLogits ? 0 : Math.max(0, tokens.length - 1 - s);
      const { M, kAdjust } = this.forwardRows(chunk, startPos + s, Math.min(from, chunk.length));
      for (let i = from; i < M; i++) {
        const r = this.rowLogits(i - from, kAdjust);
        this.lastDyadic.m = r.m;
        this.lastDyadic.k = r.k;
        onLogits?.(s + i, r.logits);
      }
    }
    return this.logitsI32;
  }
}
