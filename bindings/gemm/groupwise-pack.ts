// Packing llama.cpp block tensors for the group-wise kernels (assembly/gemm/groupwise.ts documents the
// layout): straight from the file's raw block bytes, one row at a time, into the runtime's arena. No
// float copy of the weights is ever made: codes are moved bit for bit, and only each block's f16 scales
// become integers (bindings/gemm/groupwise-blocks.ts).
import type { DyadicRuntime } from '../runtime/instance.js';
import { DI_P_LIMIT } from './epilogue-reference.js';
import {
  type GroupwiseFormat, groupwiseFormat, decodeRow, integerRow, newDecodedRow, qmaxOf, GW_SCALE_MAX,
} from './groupwise-blocks.js';
import { tensorTypeName } from '../formats/tensor-types.js';

/** Kernel export per codes kind and group size. */
export function groupwiseKernel(f: GroupwiseFormat): string {
  if (f.kind === 'i8') return 'gemm_gwi8_1x4c32';
  if (f.kind === 'q4') return 'gemm_gwq4_1x4c32';
  return f.G === 32 ? 'gemm_gwq6_1x4c32' : 'gemm_gwq6_1x4c16';
}

/** Bytes per channel per 32 k in the packed layout. */
const unitBytes = (f: GroupwiseFormat): number => (f.kind === 'q4' ? 16 : 32);

/** Group-wise weights packed in a runtime's arena (the shape every linear layer shares: N, Kp, Np, scale, shift). */
export interface GroupwiseWeights {
  readonly runtime: DyadicRuntime;
  readonly format: GroupwiseFormat;
  readonly name: string;
  readonly N: number;
  readonly K: number;
  readonly Np: number;
  readonly Kp: number;
  readonly kernel: string;
  readonly ng: number;
  readonly ngp: number;
  readonly window: number;
  readonly wAt: number;
  readonly sAt: number;
  /** 0 when the type has no mins. */
  readonly mxAt: number;
  readonly wsumAt: number;
  readonly shiftAt: number;
  /** p's unit: y = p * s_a * 2^-scale.k (scale.m all 1: the per-channel shifts carry the row exponents). */
  readonly scale: { m: Int32Array; k: number };
  readonly shift: number;
  /** Row exponents e_n and right shifts sh_n = e_n - scale.k (0 for all-zero rows). */
  readonly e: Int32Array;
  readonly shifts: Int32Array;
}

/**
 * Output exponent and per-row shifts: the largest common exponent E such that every row's
 * |p| = |T| / 2^(e_n - E) + 1/2 < 2^30 for any int8 activations (|a - z| <= 255: |T| <= 255 sum_k |W|).
 * Rows with no weights (absW 0) get shift 0 (their p is 0) and do not constrain E.
 */
export function groupwiseShifts(e: Int32Array, absW: Float64Array): { E: number; shifts: Int32Array } {
  let E = Infinity;
  for (let n = 0; n < e.length; n++) {
    if (absW[n] === 0) continue;
    let sh = 0;
    while ((255 * absW[n]) / 2 ** sh + 0.5 >= DI_P_LIMIT) sh++;
    E = Math.min(E, e[n] - sh);
  }
  if (E === Infinity) E = 0;
  const shifts = new Int32Array(e.length);
  for (let n = 0; n < e.length; n++) shifts[n] = absW[n] === 0 ? 0 : Math.min(62, e[n] - E);
  return { E, shifts };
}

function fail(name: string, message: string): never {
  throw new RangeError(`dyadic group-wise ${name}: ${message}`);
}

/** Validates a block tensor's shape against its bytes; returns the format. */
export function checkBlockTensor(type: number, blocks: Uint8Array, N: number, K: number, name: string): GroupwiseFormat {
  const f = groupwiseFormat(type);
  if (!f) fail(name, `type ${tensorTypeName(type)} has no group-wise kernel`);
  if (!Number.isSafeInteger(N) || N < 1) fail(name, `N (output channels) must be a positive integer, got ${N}`);
  if (!Number.isSafeInteger(K) || K < 1 || K % f.blockSize !== 0 || K > 65536) {
    fail(name, `K = ${K} must be a multiple of ${f.name}'s block of ${f.blockSize} elements, at most 65536`);
  }
  const bytes = N * (K / f.blockSize) * f.blockBytes;
  if (!(blocks instanceof Uint8Array)) throw new TypeError(`dyadic group-wise ${name}: blocks must be a Uint8Array`);
  if (blocks.length !== bytes) fail(name, `${blocks.length} bytes of ${f.name} blocks, expected ${bytes} for [${N}, ${K}]`);
  return f;
}

/**
 * Packs a [N, K] tensor of llama.cpp blocks (`blocks`: its bytes as stored, row after row) for `runtime`.
 * Memory: codes (K/2 bytes per row for nibble types, K otherwise), i16 scales per group, i32 mins per
 * group for types with mins, 12 bytes per row. Temporary JS memory: one decoded row.
 */
export function packGroupwise(runtime: DyadicRuntime, type: number, blocks: Uint8Array, N: number, K: number, name = 'weights'): GroupwiseWeights {
  const f = checkBlockTensor(type, blocks, N, K, name);
  const { G } = f;
  const Np = Math.ceil(N / 4) * 4;
  const Kp = K;
  const nu = Kp / 32;
  const ng = Kp / G;
  const ngp = Math.ceil(ng / 4) * 4;
  const ub = unitBytes(f);
  const arena = runtime.arena;
  const wBytes = (Np / 4) * nu * 4 * ub;
  const wAt = arena.alloc(wBytes, `${name} group-wise codes [${N}, ${K}]`, 16);
  const sAt = arena.alloc((Np / 4) * ng * 8, `${name} group scales`, 16);
  const mxAt = f.hasMin ? arena.alloc(Np * ngp * 4, `${name} group mins`, 16) : 0;
  const wsumAt = arena.alloc(Np * 8, `${name} weight sums`, 16);
  const shiftAt = arena.alloc(Np * 4, `${name} row shifts`, 16);
  const w = arena.u8(wAt, wBytes);
  w.fill(0);
  const s16 = arena.i16(sAt, (Np / 4) * ng * 4);
  s16.fill(0);
  const mx = f.hasMin ? arena.i32(mxAt, Np * ngp) : undefined;
  mx?.fill(0);
  const wsum = arena.i64(wsumAt, Np);
  wsum.fill(0n);

  const row = newDecodedRow(f, K);
  const S = new Int32Array(ng);
  const Mx = new Int32Array(ng);
  const e = new Int32Array(N);
  const absW = new Float64Array(N);
  const rowBytes = (K / f.blockSize) * f.blockBytes;
  let maxS = 1;
  for (let n = 0; n < N; n++) {
    decodeRow(f, blocks, n * rowBytes, K, row);
    e[n] = integerRow(row.sd, row.sm, S, Mx);
    const t = n >> 2;
    const c = n & 3;
    let sum = 0;
    let abs = 0;
    for (let g = 0; g < ng; g++) {
      maxS = Math.max(maxS, Math.abs(S[g]));
      s16[(t * ng + g) * 4 + c] = S[g];
      if (mx) mx[n * ngp + g] = Mx[g];
      for (let j = 0; j < G; j++) {
        const v = S[g] * (row.codes[g * G + j] - f.off) - Mx[g];
        sum += v;
        abs += Math.abs(v);
      }
    }
    wsum[n] = BigInt(sum);
    absW[n] = abs;
    const codes = row.codes;
    for (let u = 0; u < nu; u++) {
      const base = ((t * nu + u) * 4 + c) * ub;
      if (f.kind === 'q4') {
        for (let j = 0; j < 16; j++) w[base + j] = codes[32 * u + j] | (codes[32 * u + 16 + j] << 4);
      } else {
        for (let j = 0; j < 32; j++) w[base + j] = codes[32 * u + j] & 0xff;
      }
    }
  }
  const { E, shifts } = groupwiseShifts(e, absW);
  const sh = arena.i32(shiftAt, Np);
  sh.fill(0);
  sh.set(shifts);
  // Units of 32 k whose int32 lane sums cannot overflow: a lane gains |S| * 8 * 128 * qmax per unit.
  const window = Math.max(1, Math.min(nu, Math.floor((2 ** 31 - 1) / (Math.min(maxS, GW_SCALE_MAX) * 1024 * qmaxOf(f)))));
  return {
    runtime, format: f, name, N, K, Np, Kp, kernel: groupwiseKernel(f), ng, ngp, window, wAt, sAt, mxAt, wsumAt, shiftAt,
    scale: { m: new Int32Array(N).fill(1), k: E }, shift: 0, e, shifts,
  };
}

/** Wasm bytes packGroupwise will take for a [N, K] tensor of `type` (for memory plans before loading). */
export function groupwiseBytes(type: number, N: number, K: number): number {
  const f = groupwiseFormat(type);
  if (!f) throw new RangeError(`dyadic group-wise: type ${tensorTypeName(type)} has no group-wise kernel`);
  const Np = Math.ceil(N / 4) * 4;
  const ng = K / f.G;
  const ngp = Math.ceil(ng / 4) * 4;
  return Np * (K / 32) * unitBytes(f) + Np * ng * 2 + (f.hasMin ? Np * ngp * 4 : 0) + Np * 12 + 5 * 16;
}
