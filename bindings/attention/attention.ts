// Planning and running integer attention (assembly/attention/attention.ts holds the contract): its scratch sizes,
// the 1/sqrt(headDim) constant, and the split across the runtime's threads.
//
// Split: the heads are cut into one contiguous range per thread. Each thread runs di_attention_heads on
// its range of every row with its own head scratch, writing its own columns of the int64 accumulators
// acc [rows, nHeads*headDim]; after finish() the main thread quantizes each row (di_attention_finish,
// O(width) per row). Every head's arithmetic is the same code whatever the cut and the row's quantization
// sees the same accumulators, so the output is bit-identical to di_attention_rows on one thread.
import { toDyadic } from '../common/to-dyadic.js';
import type { DyadicRuntime } from '../runtime/instance.js';
import { runOnThreads } from '../runtime/split.js';

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Bytes of one thread's head scratch for rows attending to at most maxLen positions (the kernel's layout). */
export function attentionHeadScratchBytes(maxLen: number, headDim: number): number {
  const lenCap = roundUp(maxLen + 4, 8);
  return roundUp(headDim, 8) * 2 + lenCap * 18; // int16 q - z_q, uint16 probs, int32 scores and exps, int64 t
}

/** Bytes of scratch di_attention_rows needs (16-aligned) for rows attending to at most maxLen positions. */
export function attentionScratchBytes(maxLen: number, nHeads: number, headDim: number): number {
  const width = nHeads * headDim;
  return attentionHeadScratchBytes(maxLen, headDim) + width * 8 + (width + 4) * 4 + 16;
}

/**
 * Extra bytes (16-aligned) a split over `helpers` helper threads needs for up to maxRows rows, besides
 * the one-thread scratch (whose head part and row buffer the main thread keeps using): a head scratch
 * per helper and the accumulators int64 [maxRows, nHeads*headDim]. 0 without helpers.
 */
export function attentionSplitScratchBytes(helpers: number, maxRows: number, maxLen: number, nHeads: number, headDim: number): number {
  if (helpers < 1) return 0;
  return helpers * attentionHeadScratchBytes(maxLen, headDim) + maxRows * nHeads * headDim * 8 + 16;
}

/** 1/sqrt(headDim) as a dyadic with a 15-bit mantissa (chosen once at load; offline arithmetic). */
export function inverseSqrtHeadDim(headDim: number): { m: number; k: number } {
  return toDyadic(1 / Math.sqrt(headDim), 15);
}

/**
 * Work units (the pool's minSplitWork, in dense-GEMM multiply-accumulates) per attention multiply-
 * accumulate: a QK or P x V MAC costs about 4 GEMM MACs in time (measured: 288-dim decode attention
 * ~7 MACs/ns, W8A8 GEMV 2048x2048 ~30 MACs/ns, `npm run bench -- attention` and `-- gemm`), because each
 * position also pays its rescale, softmax and P x V entry.
 */
export const ATTENTION_WORK_PER_MAC = 4;

/** The work of an attention call in the pool's units: QK and P x V over every head and visible position. */
export function attentionWork(visiblePositions: number, nHeads: number, headDim: number): number {
  return ATTENTION_WORK_PER_MAC * 2 * visiblePositions * nHeads * headDim;
}

/** Byte offsets and sizes of one attention call (the kernel's contract, assembly/attention/attention.ts). */
export interface AttentionCall {
  q: number; // int8 [rows, nHeads*headDim], row stride qStride
  rows: number;
  qStride: number;
  qM: number; qK: number; qZ: number; // int32 [rows]
  pos: number; // int32 [rows]
  kc: number; vc: number; // int8 [maxPos, nKvHeads*headDim], row stride kvStride
  kvStride: number;
  kM: number; kK: number; kZ: number; vM: number; vK: number; vZ: number; // int32 [maxPos]
  nHeads: number; nKvHeads: number; headDim: number;
  cM: number; cK: number;
  maxLen: number; // scratch was sized for rows attending to at most maxLen positions
  out: number; // int8 [rows, nHeads*headDim], row stride outStride
  outStride: number;
  outM: number; outK: number; outZ: number; // int32 [rows]
}

/** Where a split keeps its extra scratch: attentionSplitScratchBytes(helpers, rows, ...) bytes at `at`. */
export interface AttentionSplitScratch {
  at: number;
  rows: number;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`dyadic attention: ${message}`);
}

/**
 * Integer attention on all of the runtime's threads (or on the main thread alone when it has none, the
 * call's attentionWork is below pool.minSplitWork, or no split scratch is given). `scratch`: attentionScratchBytes(maxLen, ...) bytes,
 * 16-aligned. Results are bit-identical for every thread count.
 */
export function runAttention(runtime: DyadicRuntime, c: AttentionCall, scratch: number, split?: AttentionSplitScratch): void {
  const { rows, nHeads, nKvHeads, headDim, maxLen } = c;
  for (const name in c) {
    const v = c[name as keyof AttentionCall];
    check(Number.isSafeInteger(v), `${name} must be an integer, got ${v}`);
  }
  check(rows >= 0, `rows must be >= 0, got ${rows}`);
  check(headDim >= 1 && nKvHeads >= 1 && nHeads >= nKvHeads && nHeads % nKvHeads === 0,
    `nHeads ${nHeads} must be a positive multiple of nKvHeads ${nKvHeads} (headDim ${headDim} >= 1)`);
  check(scratch % 16 === 0, `scratch offset ${scratch} must be 16-byte aligned`);
  const width = nHeads * headDim;
  const heap = runtime.heap32();
  let visible = 0; // positions attended over all rows
  for (let r = 0; r < rows; r++) {
    const p = heap[(c.pos >> 2) + r];
    check(p >= 0 && p < maxLen, `pos[${r}] = ${p} is outside 0..${maxLen - 1} (the scratch's maxLen ${maxLen})`);
    visible += p + 1;
  }
  const pool = runtime.pool;
  const parts = pool && split ? Math.min(1 + pool.helpers, nHeads) : 1;
  if (parts < 2 || attentionWork(visible, nHeads, headDim) < pool!.minSplitWork) {
    runtime.call('di_attention_rows', c.q, rows, c.qStride, c.qM, c.qK, c.qZ, c.pos, c.kc, c.vc, c.kvStride,
      c.kM, c.kK, c.kZ, c.vM, c.vK, c.vZ, nHeads, nKvHeads, headDim, c.cM, c.cK, scratch, maxLen,
      c.out, c.outStride, c.outM, c.outK, c.outZ);
    return;
  }
  check(rows <= split!.rows, `${rows} rows but the split scratch holds ${split!.rows}`);
  check(split!.at % 16 === 0, `split scratch offset ${split!.at} must be 16-byte aligned`);
  const headBytes = attentionHeadScratchBytes(maxLen, headDim);
  const acc = split!.at + pool!.helpers * headBytes; // int64 [rows, width]
  const cut = (p: number) => Math.round((nHeads * p) / parts);
  const headArgs = (h0: number, h1: number, at: number) => [c.q, rows, c.qStride, c.qM, c.qK, c.qZ, c.pos, c.kc, c.vc, c.kvStride,
    c.kM, c.kK, c.kZ, c.vM, c.vK, c.vZ, nHeads, nKvHeads, headDim, c.cM, c.cK, h0, h1, at, maxLen, acc, width];
  // Part 0 runs here on the one-thread scratch's head part; parts 1.. on helpers 0.. with their own.
  const calls = [headArgs(0, cut(1), scratch)];
  for (let p = 1; p < parts; p++) calls.push(headArgs(cut(p), cut(p + 1), split!.at + (p - 1) * headBytes));
  runOnThreads(runtime, 'di_attention_heads', calls);
  const rowP = scratch + headBytes + width * 8; // int32 [width + 4], as in di_attention_rows
  runtime.call('di_attention_finish', rows, c.pos, c.vK, acc, width, width, rowP, c.out, c.outStride, c.outM, c.outK, c.outZ);
}
