// Scalar reference of di_attention_rows (assembly/attention/attention.ts holds the contract): BigInt where a value
// can pass 2^53, built on the softmax and row-quantizer references, so tests can compare the kernel
// bit for bit.
import { rshiftRound } from '../common/dyadic.js';
import type { RowParams } from '../common/rows.js';
import { softmaxRowsRef } from '../ops/softmax.ref.js';
import { quantizeRowRef } from '../ops/requant.ref.js';
import { bitLength } from '../common/intmath.ref.js';

const P_BITS = 30;

export interface AttentionArgs {
  q: Int8Array; // [rows, nHeads*headDim]
  qParams: RowParams; // [rows]
  pos: Int32Array; // [rows]
  kCache: Int8Array; // [maxPos, nKvHeads*headDim]
  vCache: Int8Array; // [maxPos, nKvHeads*headDim]
  kParams: RowParams; // [maxPos]
  vParams: RowParams; // [maxPos]
  rows: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  cM: number;
  cK: number;
}

function shiftRound(x: bigint, s: number): bigint {
  if (s <= 0) return x << BigInt(-s);
  if (s > 62) return 0n;
  return rshiftRound(x, s);
}

function normalisingShift(mx: bigint, bits: number): number {
  return mx === 0n ? 0 : bitLength(mx) - bits;
}

const abs = (x: bigint) => (x < 0n ? -x : x);

/**
 * The P x V accumulators o [rows, nHeads*headDim] (int64, real o * 2^-(15 + vr[r])) before the row's
 * quantization: what di_attention_heads writes, so tests can check them bit for bit.
 */
export function attentionAccumulatorsRef(a: AttentionArgs): { acc: BigInt64Array; vr: Int32Array } {
  const { rows, nHeads, nKvHeads, headDim } = a;
  const width = nHeads * headDim;
  const kvWidth = nKvHeads * headDim;
  const group = nHeads / nKvHeads;
  const acc = new BigInt64Array(rows * width); // [rows, width]
  const vrs = new Int32Array(rows); // [rows]
  for (let r = 0; r < rows; r++) {
    const len = a.pos[r] + 1;
    const zq = a.qParams.z[r];
    let kr = a.kParams.k[0];
    let vr = a.vParams.k[0];
    for (let s = 1; s < len; s++) {
      kr = Math.min(kr, a.kParams.k[s]);
      vr = Math.min(vr, a.vParams.k[s]);
    }
    const prod = BigInt(a.qParams.m[r]) * BigInt(a.cM);
    const u = Math.max(0, bitLength(prod) - 31);
    const mRow = Number(rshiftRound(prod, u));
    const rowAcc = new Array<bigint>(width).fill(0n); // [width]
    for (let h = 0; h < nHeads; h++) {
      const kvOff = Math.floor(h / group) * headDim;
      const t = new Array<bigint>(len); // [len]
      let mx = 0n;
      for (let s = 0; s < len; s++) {
        let dot = 0;
        for (let d = 0; d < headDim; d++) {
          dot += (a.q[r * width + h * headDim + d] - zq) * (a.kCache[s * kvWidth + kvOff + d] - a.kParams.z[s]);
        }
        t[s] = shiftRound(BigInt(dot) * BigInt(a.kParams.m[s]), a.kParams.k[s] - kr);
        if (abs(t[s]) > mx) mx = abs(t[s]);
      }
      const sh = normalisingShift(mx, P_BITS);
      const scores = Int32Array.from(t, (v) => Number(shiftRound(v, sh))); // [len]
      const probs = softmaxRowsRef({
        scores, rows: 1, n: len, scaleM: Int32Array.of(mRow), scaleK: Int32Array.of(a.qParams.k[r] + a.cK + kr - sh - u),
        scaleStep: 0, valid0: len, validStep: 0, format: 'u16',
      });
      for (let s = 0; s < len; s++) {
        if (probs[s] === 0) continue;
        const c = shiftRound(BigInt(probs[s]) * BigInt(a.vParams.m[s]), a.vParams.k[s] - vr);
        for (let d = 0; d < headDim; d++) {
          rowAcc[h * headDim + d] += c * BigInt(a.vCache[s * kvWidth + kvOff + d] - a.vParams.z[s]);
        }
      }
    }
    acc.set(rowAcc, r * width);
    vrs[r] = vr;
  }
  return { acc, vr: vrs };
}

export function attentionRef(a: AttentionArgs): { out: Int8Array; params: RowParams } {
  const { rows, nHeads, headDim } = a;
  const width = nHeads * headDim;
  const out = new Int8Array(rows * width); // [rows, width]
  const params: RowParams = { m: new Int32Array(rows), k: new Int32Array(rows), z: new Int32Array(rows) };
  const { acc, vr: vrs } = attentionAccumulatorsRef(a);
  for (let r = 0; r < rows; r++) {
    const rowAcc = acc.subarray(r * width, (r + 1) * width);
    const vr = vrs[r];
    let omx = 0n;
    for (const v of rowAcc) if (abs(v) > omx) omx = abs(v);
    const sh2 = normalisingShift(omx, P_BITS - 1);
    const p = Array.from(rowAcc, (v) => Number(shiftRound(v, sh2)));
    const row = quantizeRowRef(p, 1, 15 + vr - sh2);
    out.set(row.q, r * width);
    params.m[r] = row.m;
    params.k[r] = row.k;
    params.z[r] = row.z;
  }
  return { out, params };
}
