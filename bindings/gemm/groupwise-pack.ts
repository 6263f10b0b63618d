// Packing llama.cpp block tensors for the group-wise kernels (assembly/gemm/groupwise.ts documents the
// layout): straight from the file's raw block bytes, one row at a time, into the runtime's arena. No
// float copy of the weights is ever made: codes are moved bit for bit, and only each block's f16 scales
// become integers (bindings/gemm/groupwise-blocks.ts).
import type { DyadicRuntime } from '../runtime/instance.js';
import { DI_P_LIMIT } from './epilogue.js';
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

/** Per byte of two nibbles: lo + hi, and |lo - 8| + |hi - 8|. */
const NIBBLE_SUM = Uint8Array.from({ length: 256 }, (_, b) => (b & 15) + (b >> 4));
const NIBBLE_ABS_DEV8 = Uint8Array.from({ length: 256 }, (_, b) => Math.abs((b & 15) - 8) + Math.abs((b >> 4) - 8));

function fail(name: string, message: string): never {
  throw new RangeError(`dyadic group-wise ${name}: ${message}`);
}

/** Reads `length` bytes of a tensor from byte `offset` of its data (the result may be reused by the next call). */
export type RangeReader = (offset: number, length: number) => Uint8Array;

/** Bytes of rows a range reader is asked for at once. */
const CHUNK_BYTES = 1 << 20;
const NO_BYTES = new Uint8Array(0);

/** Validates a block tensor's shape against its bytes (or their count, for a range reader); returns the format. */
export function checkBlockTensor(type: number, blocks: Uint8Array, N: number, K: number, name: string, byteCount = blocks.length): GroupwiseFormat {
  const f = groupwiseFormat(type);
  if (!f) fail(name, `type ${tensorTypeName(type)} has no group-wise kernel`);
  if (!Number.isSafeInteger(N) || N < 1) fail(name, `N (output channels) must be a positive integer, got ${N}`);
  if (!Number.isSafeInteger(K) || K < 1 || K % f.blockSize !== 0 || K > 65536) {
    fail(name, `K = ${K} must be a multiple of ${f.name}'s block of ${f.blockSize} elements, at most 65536`);
  }
  const bytes = N * (K / f.blockSize) * f.blockBytes;
  if (!(blocks instanceof Uint8Array)) throw new TypeError(`dyadic group-wise ${name}: blocks must be a Uint8Array`);
  if (byteCount !== bytes) fail(name, `${byteCount} bytes of ${f.name} blocks, expected ${bytes} for [${N}, ${K}]`);
  return f;
}

/**
 * Packs a [N, K] tensor of llama.cpp blocks (`blocks`: its bytes as stored, row after row) for `runtime`.
 * Memory: codes (K/2 bytes per row for nibble types, K otherwise), i16 scales per group, i32 mins per
 * group for types with mins, 12 bytes per row. Temporary JS memory: one decoded row.
 */
export function packGroupwise(runtime: DyadicRuntime, type: number, source: Uint8Array | RangeReader, N: number, K: number, name = 'weights'): GroupwiseWeights {
  const known = groupwiseFormat(type);
  const rowBytes = known && Number.isSafeInteger(K) && K % known.blockSize === 0 ? (K / known.blockSize) * known.blockBytes : 0;
  const f = typeof source === 'function' ? checkBlockTensor(type, NO_BYTES, N, K, name, N * rowBytes) : checkBlockTensor(type, source, N, K, name);
  // A range reader is read CHUNK_BYTES of rows at a time (a tensor never sits whole in JS memory).
  const chunkRows = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
  let blocks = typeof source === 'function' ? source(0, Math.min(N, chunkRows) * rowBytes) : source;
  let chunkStart = 0;
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
  let maxS = 1;
  // Q4_0 / Q4_1 store their nibbles exactly as the kernel's q4 unit (byte j = u[j] | u[j + 16] << 4):
  // their blocks are copied as they are, and the sums come from per-byte tables.
  const nibbleCopy = f.kind === 'q4' && f.blockSize === 32;
  const qAt = f.hasMin ? 4 : 2; // Q4_1: d, m, then the nibbles
  for (let n = 0; n < N; n++) {
    if (typeof source === 'function' && n - chunkStart >= chunkRows) {
      chunkStart = n;
      blocks = source(n * rowBytes, Math.min(N - n, chunkRows) * rowBytes);
    }
    const rowAt = (n - chunkStart) * rowBytes;
    decodeRow(f, blocks, rowAt, K, row, false, nibbleCopy);
    e[n] = integerRow(row.sd, row.sm, S, Mx);
    const t = n >> 2;
    const c = n & 3;
    let sum = 0;
    let abs = 0;
    const off = f.off;
    const codes = row.codes;
    for (let g = 0; g < ng; g++) {
      const sg = S[g];
      const mg = Mx[g];
      if (Math.abs(sg) > maxS) maxS = Math.abs(sg);
      s16[(t * ng + g) * 4 + c] = sg;
      if (mx) mx[n * ngp + g] = mg;
      if (nibbleCopy) {
        const src = rowAt + g * f.blockBytes + qAt;
        const dst = ((t * nu + g) * 4 + c) * 16;
        let usum = 0;
        let dev = 0;
        for (let j = 0; j < 16; j++) {
          const b = blocks[src + j];
          w[dst + j] = b;
          usum += NIBBLE_SUM[b];
          dev += NIBBLE_ABS_DEV8[b];
        }
        sum += sg * (usum - 32 * off) - 32 * mg;
        if (mg === 0 && off === 8) abs += Math.abs(sg) * dev;
        else for (let j = 0; j < 16; j++) {
          const b = blocks[src + j];
          abs += Math.abs(sg * ((b & 15) - off) - mg) + Math.abs(sg * ((b >> 4) - off) - mg);
        }
        continue;
      }
      for (let j = g * G, end = j + G; j < end; j++) {
        const v = sg * (codes[j] - off) - mg;
        sum += v;
        abs += v < 0 ? -v : v;
      }
    }
    wsum[n] = BigInt(sum);
    absW[n] = abs;
    if (nibbleCopy) continue;
    for (let u = 0; u < nu; u++) {
      const base = ((t * nu + u) * 4 + c) * ub;
      const k0 = 32 * u;
      if (f.kind === 'q4') {
        for (let j = 0; j < 16; j++) w[base + j] = codes[k0 + j] | (codes[k0 + 16 + j] << 4);
      } else {
        for (let j = 0; j < 32; j++) w[base + j] = codes[k0 + j] & 0xff;
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
