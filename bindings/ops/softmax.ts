// DI-ClippedSoftmax: validated TypeScript entry to the kernel di_softmax_rows (contract in
// assembly/ops/softmax.ts). Integer-only at run time: the only inputs are integers and dyadic scales.

import type { DyadicRuntime } from '../runtime/instance.js';
import type { Dyadic } from '../common/dyadic.js';
import { withScratch } from './arena-io.js';
import { checkExpScale, checkInt, checkTensor } from './validate.js';

/** Output formats of the probabilities (fixed scales, see the kernel contract). */
export type ProbFormat = 'u8' | 'i8' | 'u16';
export const PROB_FORMAT_CODE: Record<ProbFormat, number> = { u8: 0, i8: 1, u16: 2 };
/** Bits of the fixed probability scale 2^-B of each format. */
export const PROB_BITS: Record<ProbFormat, number> = { u8: 8, i8: 8, u16: 15 };
/** The code of probability p is q with p ~ (q - zero) / 2^bits. */
export const PROB_ZERO: Record<ProbFormat, number> = { u8: 0, i8: -128, u16: 0 };

export interface SoftmaxOptions {
  /** Score scale: one dyadic for all rows, or per-row mantissas and exponents (int32 [rows]). */
  scale: Dyadic | { m: Int32Array; k: Int32Array };
  /** Causal mask: row r uses its first clamp(start + r * step, 0, n) columns. Default: all n. */
  valid?: { start: number; step: number };
  /** 'u8' (p = q/2^8), 'i8' (p = (q+128)/2^8) or 'u16' (p = q/2^15). Default 'u16'. */
  format?: ProbFormat;
}

export type Probabilities = Uint8Array | Int8Array | Uint16Array;

/** Softmax of scores [rows, n] int32 -> probability codes [rows, n] in the requested fixed-scale format. */
export function softmax(rt: DyadicRuntime, scores: Int32Array, rows: number, n: number, opts: SoftmaxOptions): Probabilities {
  const op = 'softmax';
  checkInt(op, 'rows', rows, 1, 2 ** 24);
  checkInt(op, 'n (row length)', n, 1, 2 ** 24);
  checkTensor(op, 'scores', scores, Int32Array, [rows, n]);
  const format = opts.format ?? 'u16';
  if (!(format in PROB_FORMAT_CODE)) throw new RangeError(`dyadic ${op}: unknown format '${String(format)}' (u8, i8 or u16)`);
  let scaleM: Int32Array;
  let scaleK: Int32Array;
  let step: number;
  const s = opts.scale as { m: unknown; k: unknown };
  if (s && typeof s.m === 'number') {
    checkInt(op, 'scale.m', s.m, 1, 2 ** 31 - 1);
    checkInt(op, 'scale.k', s.k, -62, 126);
    checkExpScale(op, 'scale', s.m, s.k as number);
    scaleM = Int32Array.of(s.m);
    scaleK = Int32Array.of(s.k as number);
    step = 0;
  } else if (s && s.m instanceof Int32Array) {
    scaleM = checkTensor(op, 'scale.m', s.m, Int32Array, [rows]);
    scaleK = checkTensor(op, 'scale.k', s.k, Int32Array, [rows]);
    for (let r = 0; r < rows; r++) {
      if (scaleM[r] < 1) throw new RangeError(`dyadic ${op}: scale.m[${r}] = ${scaleM[r]}, must be >= 1`);
      checkExpScale(op, `scale of row ${r}`, scaleM[r], scaleK[r]);
    }
    step = 1;
  } else {
    throw new TypeError(`dyadic ${op}: scale must be a dyadic {m, k} or per-row {m: Int32Array, k: Int32Array}`);
  }
  const valid = opts.valid ?? { start: n, step: 0 };
  checkInt(op, 'valid.start', valid.start, -(2 ** 31), 2 ** 31 - 1);
  checkInt(op, 'valid.step', valid.step, -(2 ** 31), 2 ** 31 - 1);
  const bytesPer = format === 'u16' ? 2 : 1;

  return withScratch(rt, (f) => {
    const sc = f.put(scores, 'softmax scores [rows, n] int32');
    const mOff = f.put(scaleM, 'softmax scale mantissas');
    const kOff = f.put(scaleK, 'softmax scale exponents');
    const out = f.alloc(rows * n * bytesPer, 'softmax probabilities [rows, n]');
    const scratch = f.alloc(n * 4, 'softmax row of exponentials int32 [n]');
    rt.call('di_softmax_rows', sc, rows, n, n, mOff, kOff, step, valid.start, valid.step, out, n, PROB_FORMAT_CODE[format], scratch);
    if (format === 'u16') return f.u16(out, rows * n);
    if (format === 'i8') return f.i8(out, rows * n);
    return f.u8(out, rows * n);
  });
}
