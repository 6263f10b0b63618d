// Block-sparse linear layer on a runtime: block-CSR weights (./format.ts) copied once into wasm memory,
// validated once (./validate.ts), then multiplied by int8 activations through the kernels of
// assembly/sparse/ with the shared DI-MatMul epilogue (assembly/gemm/epilogue.ts) fused into the stores.
// Arguments of every call are checked here first, so a kernel never sees an offset or size that would
// make it read or write outside its buffers.

import type { DyadicRuntime } from '../runtime/instance.js';
import { BLOCK_K, blockGrid, blockRows, type BlockCsr } from './format.js';
import { validateBlockCsr } from './validate.js';
import { chooseShift } from '../gemm/pack.js';
import { mergeRowRanges, runOnThreads } from '../runtime/split.js';

/**
 * Epilogue stage 1 shift: the dense packer's rule (chooseShift, bindings/gemm/pack.ts), so a sparse layer's
 * outputs equal the dense layer's bit for bit; the sparse bound could be tighter (fewer stored weights per
 * channel) but equality with dense matters more than one bit of headroom.
 */
export const epilogueShift = (K: number, bits: number, mMax: number): number => chooseShift(K, bits, Math.max(mMax, 1));

/** Offsets (bytes) and sizes of one product, everything already in wasm memory. */
export interface SparseCallArgs {
  /** activations a [M x K] int8, row stride aStride bytes (>= K) */
  a: number;
  aStride: number;
  M: number;
  /** rowZero [M] int32: zero point of each activation row, in -128..127 */
  rowZero: number;
  /** out [M x N] int32, row stride outStride elements (>= N) */
  out: number;
  outStride: number;
  /** rowRange [M] x (lo, hi) int32, accumulated into (start rows at (0, 0)); the epilogue's stage 1 */
  rowRange: number;
  /**
   * 'int32': out = sum_k (a - za) w exactly (mantissas 1, shift 0).
   * 'rescale': out = round_half_up((sum_k (a - za) w) * scaleM[n] / 2^shift), stage 1 of the epilogue.
   */
  mode: 'int32' | 'rescale';
  /** rescale shift r, 0..62 (the caller keeps |out| < 2^30; see assembly/gemm/epilogue.ts) */
  shift?: number;
}

export class SparseLinear {
  readonly rt: DyadicRuntime;
  readonly csr: BlockCsr;
  readonly name: string;
  /** the kernel export this layer calls on this build */
  readonly kernel: string;
  private readonly rowPtr: number;
  private readonly colIdx: number;
  private readonly values: number;
  private readonly wsum: number;
  private readonly mant: number;
  private readonly ones: number;
  /** K rounded up to the block width: activation rows must hold zeros in [K, Kp) */
  readonly Kp: number;
  /** epilogue stage 1 shift for 'rescale' (see epilogueShift) */
  readonly shift: number;

  private constructor(rt: DyadicRuntime, csr: BlockCsr, name: string) {
    this.rt = rt;
    this.csr = csr;
    this.name = name;
    const relaxed = rt.build === 'relaxed' && csr.bits === 4 && csr.block === '4x16';
    this.kernel = `spmm_w${csr.bits}_${csr.block}_${relaxed ? 'reldot' : 'dot16'}`;
    this.Kp = blockGrid(csr.N, csr.K, csr.block).KB * BLOCK_K;
    this.shift = epilogueShift(csr.K, csr.bits, csr.scaleM.reduce((a, b) => Math.max(a, b), 0));
    const arena = rt.arena;
    // Per-channel arrays are padded with zeros to whole block rows (the 4x16 kernels load 4 channels).
    const Np = blockGrid(csr.N, csr.K, csr.block).NB * blockRows(csr.block);
    const Npad = Math.ceil(Np / 4) * 4;
    this.rowPtr = arena.alloc(csr.rowPtr.byteLength, `${name}.rowPtr`, 16); // [NB + 1] i32
    this.colIdx = arena.alloc(Math.max(csr.colIdx.byteLength, 2), `${name}.colIdx`, 16); // [nnzb] u16
    this.values = arena.alloc(Math.max(csr.values.byteLength, 1), `${name}.values`, 64); // [nnzb * BB] u8
    this.wsum = arena.alloc(Npad * 4, `${name}.wsum`, 16); // [Npad] i32, zero past N
    this.mant = arena.alloc(Npad * 4, `${name}.scaleM`, 16); // [Npad] i32, zero past N
    this.ones = arena.alloc(Npad * 4, `${name}.ones`, 16); // [Npad] i32: 1 for n < N, mantissas of 'int32' mode
    arena.i32(this.rowPtr, csr.rowPtr.length).set(csr.rowPtr);
    arena.u16(this.colIdx, csr.colIdx.length).set(csr.colIdx);
    arena.u8(this.values, csr.values.length).set(csr.values);
    const wsum = arena.i32(this.wsum, Npad);
    wsum.fill(0);
    wsum.set(csr.wsum);
    const mant = arena.i32(this.mant, Npad);
    mant.fill(0);
    mant.set(csr.scaleM);
    const ones = arena.i32(this.ones, Npad);
    ones.fill(0);
    ones.fill(1, 0, csr.N);
  }

  /** Validates the tensor, then copies it into the runtime's memory (once, at load). */
  static load(rt: DyadicRuntime, csr: BlockCsr, name = 'weights'): SparseLinear {
    validateBlockCsr(csr, name);
    return new SparseLinear(rt, csr, name);
  }

  /** Scratch bytes one call takes from the arena (released before it returns), helper threads' included. */
  scratchBytes(M: number): number {
    const perThread = 8 * M + 32 * (Math.ceil(M / 4) * 4) + 128; // rowRange [M x 2] + range4 [Mp] x 8 i32
    return M * this.Kp + 32 * (Math.ceil(M / 4) * 4) + 128 + (this.rt.pool?.helpers ?? 0) * perThread;
  }

  /**
   * Block-row boundaries [0 = b_0 < b_1 < ... < b_parts = NB] that give each thread about the same number
   * of stored blocks (the work), every part at least one block row. Cached per part count.
   */
  private cutsFor(parts: number): number[] {
    if (this.cuts?.length === parts + 1) return this.cuts;
    const { rowPtr } = this.csr;
    const NB = rowPtr.length - 1;
    const total = rowPtr[NB];
    const cuts = [0];
    let b = 0;
    for (let p = 1; p < parts; p++) {
      const goal = (total * p) / parts;
      while (b < NB - (parts - p) && (b <= cuts[p - 1] || rowPtr[b] < goal)) b++;
      cuts.push(b);
    }
    cuts.push(NB);
    this.cuts = cuts;
    return cuts;
  }
  private cuts: number[] | undefined;

  /** One product on buffers already in wasm memory (see SparseCallArgs). */
  run(args: SparseCallArgs): void {
    const { N, K } = this.csr;
    const { a, aStride, M, rowZero, out, outStride, rowRange, mode } = args;
    const shift = mode === 'rescale' ? args.shift : 0;
    const what = `${this.name}: `;
    const mem = this.rt.arena.memory.buffer.byteLength;
    const int = (v: number, label: string, lo: number, hi = Number.MAX_SAFE_INTEGER) => {
      if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`dyadic: ${what}${label} must be an integer in ${lo}..${hi}, got ${v}`);
    };
    int(M, 'M (activation rows)', 1);
    int(aStride, `activation row stride (bytes, >= K = ${K})`, K);
    int(outStride, `output row stride (elements, >= N = ${N})`, N);
    if (mode !== 'int32' && mode !== 'rescale') throw new RangeError(`dyadic: ${what}mode must be 'int32' or 'rescale', got '${String(mode)}'`);
    int(shift ?? NaN, 'rescale shift', 0, 62);
    const inside = (offset: number, bytes: number, label: string) => {
      if (!Number.isInteger(offset) || offset < 0 || offset + bytes > mem) {
        throw new RangeError(`dyadic: ${what}${label} at offset ${offset} needs ${bytes} bytes, past wasm memory of ${mem} bytes`);
      }
    };
    inside(a, (M - 1) * aStride + K, `activations [${M} x ${K}] int8`);
    inside(out, ((M - 1) * outStride + N) * 4, `output [${M} x ${N}] int32`);
    inside(rowZero, M * 4, `rowZero [${M}] int32`);
    inside(rowRange, M * 8, `rowRange [${M} x 2] int32`);
    const zeros = this.rt.arena.i32(rowZero, M);
    for (let i = 0; i < M; i++) {
      if (zeros[i] < -128 || zeros[i] > 127) throw new RangeError(`dyadic: ${what}rowZero[${i}] = ${zeros[i]} is outside -128..127`);
    }

    const arena = this.rt.arena;
    const mark = arena.mark();
    try {
      // Rows already padded with zeros up to Kp run in place; otherwise they are copied once.
      let padded = aStride >= this.Kp && a + (M - 1) * aStride + this.Kp <= mem;
      if (padded && this.Kp > K) {
        const bytes = arena.u8(a, (M - 1) * aStride + this.Kp);
        for (let i = 0; i < M && padded; i++) for (let k = K; k < this.Kp; k++) if (bytes[i * aStride + k] !== 0) { padded = false; break; }
      }
      let aRows = a;
      let aRowStride = aStride;
      if (!padded) {
        aRows = arena.alloc(M * this.Kp, `${this.name}: padded activations`, 64); // [M x Kp] i8
        aRowStride = this.Kp;
        this.rt.call('sparse_pad_a_i8', a, aStride, M, K, aRows, this.Kp);
      }
      const range4Bytes = 32 * Math.ceil(M / 4) * 4;
      const range4 = arena.alloc(range4Bytes, `${this.name}: row-range scratch`, 16); // [Mp] x 8 i32
      const mantissas = mode === 'int32' ? this.ones : this.mant;
      const pool = this.rt.pool;
      const nnzb = this.csr.colIdx.length;
      const NB = this.csr.rowPtr.length - 1;
      const parts = pool && nnzb * blockRows(this.csr.block) * BLOCK_K * M >= pool.minSplitWork ? Math.min(1 + pool.helpers, NB) : 1;
      if (parts < 2) {
        this.rt.call(this.kernel, aRows, aRowStride, M, this.rowPtr, this.colIdx, this.values, N,
          rowZero, this.wsum, mantissas, shift as number, out, outStride, rowRange, range4);
        return;
      }
      // One run of block rows per thread (output channels [n0, n1)); helpers get their own row ranges,
      // merged into rowRange afterwards (min/max: the same result as one call).
      const rows = blockRows(this.csr.block);
      const cuts = this.cutsFor(parts);
      const calls: number[][] = [];
      const ranges: number[] = [];
      for (let p = 0; p < parts; p++) {
        const n0 = cuts[p] * rows;
        const n1 = Math.min(cuts[p + 1] * rows, N);
        let range = rowRange;
        let r4 = range4;
        if (p > 0) {
          range = arena.alloc(8 * M, `${this.name}: helper ${p} row ranges`, 16); // [M x 2] i32
          r4 = arena.alloc(range4Bytes, `${this.name}: helper ${p} row-range scratch`, 16); // [Mp] x 8 i32
          ranges.push(range);
        }
        calls.push([aRows, aRowStride, M, this.rowPtr + 4 * cuts[p], this.colIdx, this.values, n1 - n0,
          rowZero, this.wsum + 4 * n0, mantissas + 4 * n0, shift as number, out + 4 * n0, outStride, range, r4]);
      }
      const heap = this.rt.heap32();
      for (const range of ranges) heap.fill(0, range >> 2, (range >> 2) + 2 * M);
      runOnThreads(this.rt, this.kernel, calls);
      for (const range of ranges) mergeRowRanges(heap, rowRange, range, M);
    } finally {
      arena.release(mark);
    }
  }

  /**
   * Convenience over typed arrays (tests, benches): copies a [M x K] int8 and rowZero [M] in, runs, and
   * returns out [M x N] int32 and rowRange [M x 2].
   */
  multiply(a: Int8Array, M: number, rowZero: Int32Array, mode: SparseCallArgs['mode'] = 'int32', shift = 0): { out: Int32Array; rowRange: Int32Array } {
    const { N, K } = this.csr;
    if (!Number.isInteger(M) || M < 1) throw new RangeError(`dyadic: ${this.name}: M must be a positive integer, got ${M}`);
    if (a.length !== M * K) throw new RangeError(`dyadic: ${this.name}: activations have ${a.length} values, expected [${M}, ${K}]`);
    if (rowZero.length !== M) throw new RangeError(`dyadic: ${this.name}: rowZero has ${rowZero.length} values, expected ${M}`);
    const arena = this.rt.arena;
    const mark = arena.mark();
    try {
      const aAt = arena.alloc(M * K, `${this.name}: activations`, 16); // [M x K] i8
      const zAt = arena.alloc(M * 4, `${this.name}: rowZero`, 16); // [M] i32
      const outAt = arena.alloc(M * N * 4, `${this.name}: output`, 16); // [M x N] i32
      const rangeAt = arena.alloc(M * 8, `${this.name}: rowRange`, 16); // [M x 2] i32
      arena.ensure(arena.usedBytes + this.scratchBytes(M)); // grow once, before views are taken
      arena.i8(aAt, M * K).set(a);
      arena.i32(zAt, M).set(rowZero);
      arena.i32(rangeAt, 2 * M).fill(0);
      this.run({ a: aAt, aStride: K, M, rowZero: zAt, out: outAt, outStride: N, rowRange: rangeAt, mode, shift });
      return { out: arena.i32(outAt, M * N).slice(), rowRange: arena.i32(rangeAt, 2 * M).slice() };
    } finally {
      arena.release(mark);
    }
  }
}
