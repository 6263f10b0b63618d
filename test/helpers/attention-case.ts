// Random inputs for the attention kernel tests (test/integer/attention*.test.ts): int8 q and KV cache with
// per-row/per-position dyadic formats, positions as a causal prefill's tail.
import type { AttentionArgs } from '../../bindings/attention/attention.ref.js';
import { inverseSqrtHeadDim } from '../../bindings/attention/attention.js';
import type { RowParams } from '../../bindings/common/rows.js';
import type { CallFrame } from '../../bindings/ops/arena-io.js';
import { rng, randInt } from './rng.js';

export interface AttentionShape { rows: number; nHeads: number; nKvHeads: number; headDim: number; maxPos: number }

// Mantissas as quantize_row_i8 makes them (15-16 bits), or 'wide' (up to 2^31 - 1): then some P x V
// coefficients c pass int32 and the kernel takes its split-coefficient path.
export type Mantissas = 'narrow' | 'wide';

function randomParams(r: () => number, n: number, kBase: number, extreme: boolean, mantissas: Mantissas = 'narrow'): RowParams {
  const p: RowParams = { m: new Int32Array(n), k: new Int32Array(n), z: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    p.m[i] = mantissas === 'wide' ? randInt(r, 2 ** 30, 2 ** 31 - 1) : randInt(r, 2 ** 14, 2 ** 16);
    p.k[i] = kBase + randInt(r, -3, 3);
    p.z[i] = extreme ? (r() < 0.5 ? -128 : 127) : randInt(r, -30, 30);
  }
  return p;
}

export function randomCase(seed: number, shape: AttentionShape, extreme = false, mantissas: Mantissas = 'narrow'): AttentionArgs {
  const r = rng(seed);
  const { rows, nHeads, nKvHeads, headDim, maxPos } = shape;
  const i8 = (n: number) => Int8Array.from({ length: n }, () => (extreme ? (r() < 0.5 ? -128 : 127) : randInt(r, -128, 127)));
  const c = inverseSqrtHeadDim(headDim);
  const pos = Int32Array.from({ length: rows }, (_, i) => Math.min(maxPos - 1, maxPos - rows + i)); // causal prefill tail
  return {
    q: i8(rows * nHeads * headDim), qParams: randomParams(r, rows, 20, extreme), pos,
    kCache: i8(maxPos * nKvHeads * headDim), vCache: i8(maxPos * nKvHeads * headDim),
    kParams: randomParams(r, maxPos, 21, extreme, mantissas), vParams: randomParams(r, maxPos, 22 + (mantissas === 'wide' ? 16 : 0), extreme, mantissas),
    rows, nHeads, nKvHeads, headDim, cM: c.m, cK: c.k,
  };
}

/** Copies the inputs of `a` into a call frame: q, the KV caches and their per-row / per-position formats. */
export function putAttentionInputs(f: CallFrame, a: AttentionArgs) {
  return {
    q: f.put(a.q, 'q'), qM: f.put(a.qParams.m, 'qM'), qK: f.put(a.qParams.k, 'qK'), qZ: f.put(a.qParams.z, 'qZ'),
    pos: f.put(a.pos, 'pos'), kc: f.put(a.kCache, 'k cache'), vc: f.put(a.vCache, 'v cache'),
    kM: f.put(a.kParams.m, 'kM'), kK: f.put(a.kParams.k, 'kK'), kZ: f.put(a.kParams.z, 'kZ'),
    vM: f.put(a.vParams.m, 'vM'), vK: f.put(a.vParams.k, 'vK'), vZ: f.put(a.vParams.z, 'vZ'),
  };
}
