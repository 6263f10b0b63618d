// Weight packing for the dense GEMM/GEMV kernels (assembly/gemm/): done once per weight matrix, into
// buffers the returned object owns in the runtime's arena.
//
// Weights arrive as signed integers w [N][K] (N output channels, K inputs, row-major), one per Int8Array
// element, with a per-channel scale s_n = m_n / 2^k_w (mantissas per channel, one shared exponent):
// real weight = s_n * w[n][k]. Packed layouts (N padded to Np, a multiple of 4, with zero channels;
// K padded to Kp, a multiple of blockK(bits), with zero weights):
//
// W8 ("4c8", Kp a multiple of 8):  w [Np/4][Kp/8][4][8] int8
//   for each tile of 4 channels, for each step of 8 k, 8 bytes per channel: byte j of channel c at step s
//   is w[4t + c][8s + j]. The kernel reads each with one v128.load8x8_s (sign-extended i16x8).
//
// W4 / W6 / W7 (BK = 32 / 64 / 128): stored offset, u = w + 2^(bits-1) in 0..2^bits-1 (<= 127, the
//   relaxed dot's 7-bit operand), w [Np/4][Kp/BK][4][BB] bytes, BB = BK * bits / 8 per channel and block.
//   Within one channel's block (k relative to the block start):
//   nibble plane, bytes [0, BK/2):        vector v (16 bytes), byte j = (u[32v + j] & 15) | (u[32v + 16 + j] & 15) << 4
//   crumb plane (W6, W7), [BK/2, 3BK/4):   vector v, byte j bits 2c..2c+1 = (u[64v + 16c + j] >> 4) & 3, c = 0..3
//   bit plane (W7), [3BK/4, 7BK/8):        byte j bit c = (u[16c + j] >> 6) & 1, c = 0..7
//   W4 is the nibble plane alone (16 bytes per 32 k), W6 adds the crumbs (48 bytes per 64 k), W7 adds the
//   bits (112 bytes per 128 k). Each 32-k unit then decodes into two vectors of 16 u8 with a few shifts,
//   masks and ors, and every lane keeps its top bit clear.
//
// Beside the packed bytes: wsum [Np] int32 = sum_k w[n][k] (the signed weights; for the zero-point fold)
// and mant [Np] int32 = m_n (0 for padding channels, so they produce p = 0).

import type { DyadicRuntime } from '../runtime/instance.js';
import { toDyadicShared } from '../common/to-dyadic.js';
import { DI_P_LIMIT } from './epilogue.js';
import { useFusedDot } from './fused-dot.js';

import type { WeightBits } from '../common/weights.js';
export type { WeightBits };

/** Largest K accepted: |sum_k (a - z) * w| must stay below 2^31 with |a - z| <= 255 and |w| <= 128. */
export const MAX_K = 65536;

/** K padding per bit width: Kp is a multiple of it (the layout's block). */
export function blockK(bits: WeightBits): number {
  return bits === 8 ? 8 : bits === 4 ? 32 : bits === 6 ? 64 : 128;
}

/**
 * The kernel export for each bit width; `fused`: the low-bit kernels on the fused relaxed dot (only where
 * useFusedDot says this engine computes it exactly and fast; W8 has none, its weights are not 7-bit).
 */
export function kernelFor(bits: WeightBits, fused = false): string {
  const name = bits === 8 ? 'gemm_w8a8_2x4c8' : bits === 4 ? 'gemm_w4a8_2x4c32' : bits === 6 ? 'gemm_w6a8_4x4c64' : 'gemm_w7a8_4x4c128';
  return fused && bits !== 8 ? `${name}_fdot` : name;
}

export interface WeightScale {
  /** Per-channel mantissas m_n [N], 0 <= m_n < 2^31. */
  m: Int32Array;
  /** Shared exponent k_w (0..62): s_n = m_n / 2^k_w. */
  k: number;
}

export interface PackWeightsOptions {
  /** Output channels. */
  N: number;
  /** Inputs per channel. */
  K: number;
  /** 8, 7, 6 or 4: the weights must lie in -2^(bits-1) .. 2^(bits-1)-1. */
  bits: WeightBits;
  /**
   * Per-channel weight scales: a dyadic { m, k } (integers), or positive floats [N] turned into dyadics
   * with 16-bit mantissas here (offline, the only float step). Default: all 1 (integer outputs).
   */
  scale?: WeightScale | ArrayLike<number>;
}

/**
 * Packed weights owned by a runtime's arena: pass to matmul() with the same runtime. The buffers live
 * as long as the arena keeps them (a model packs its weights once at load; matmul() allocates its
 * scratch above them and releases it before returning). Releasing an arena mark taken before packing
 * frees them.
 */
export interface PackedWeights {
  readonly runtime: DyadicRuntime;
  readonly bits: WeightBits;
  readonly N: number;
  readonly K: number;
  /** N and K padded to the layout (Np multiple of 4, Kp multiple of blockK(bits)). */
  readonly Np: number;
  readonly Kp: number;
  readonly kernel: string;
  /** Byte offsets of the packed weights, wsum [Np] int32 and mant [Np] int32 in wasm memory. */
  readonly wAt: number;
  readonly wsumAt: number;
  readonly mantAt: number;
  readonly scale: WeightScale;
  /**
   * Epilogue stage 1 shift r: the smallest that keeps |p| < 2^30 for every input; p's real unit is then
   * s_a * 2^(r - k_w).
   */
  readonly shift: number;
}

function fail(message: string): never {
  throw new RangeError(`dyadic packWeights: ${message}`);
}

function checkScale(scale: PackWeightsOptions['scale'], N: number): WeightScale {
  if (scale === undefined) return { m: new Int32Array(N).fill(1), k: 0 };
  if ('m' in (scale as object) && 'k' in (scale as object)) {
    const s = scale as WeightScale;
    if (!(s.m instanceof Int32Array)) fail(`scale.m must be an Int32Array [${N}], got ${Object.prototype.toString.call(s.m)}`);
    if (s.m.length !== N) fail(`scale.m has ${s.m.length} mantissas, expected N = ${N}`);
    if (!Number.isInteger(s.k) || s.k < 0 || s.k > 62) fail(`scale.k must be an integer in 0..62, got ${s.k}`);
    for (let n = 0; n < N; n++) if (s.m[n] < 0) fail(`scale.m[${n}] = ${s.m[n]} is negative`);
    return { m: s.m.slice(), k: s.k };
  }
  const floats = scale as ArrayLike<number>;
  if (typeof floats.length !== 'number' || floats.length !== N) fail(`scale has ${floats.length} entries, expected N = ${N}`);
  return toDyadicShared(floats, 16);
}

/** Smallest r with bound * mMax / 2^r + 1/2 < 2^30 (bound = the largest |sum (a - z) w| possible). */
export function chooseShift(K: number, bits: number, mMax: number): number {
  const bound = K * 255 * 2 ** (bits - 1);
  let r = 0;
  while (r < 62 && (bound * mMax) / 2 ** r + 0.5 >= DI_P_LIMIT) r++;
  return r;
}

/** Writes the packed layout (see the top of this file) of w [N][K] into `out` (Np/4 * Kp/BK * 4 * BB bytes). */
export function packLayout(w: Int8Array, N: number, K: number, bits: WeightBits, Np: number, Kp: number, out: Uint8Array): void {
  const bk = blockK(bits);
  if (bits === 8) {
    let o = 0;
    for (let t = 0; t < Np / 4; t++) {
      for (let s = 0; s < Kp / 8; s++) {
        for (let c = 0; c < 4; c++) {
          const n = 4 * t + c;
          for (let j = 0; j < 8; j++) {
            const k = 8 * s + j;
            out[o++] = n < N && k < K ? w[n * K + k] & 0xff : 0;
          }
        }
      }
    }
    return;
  }
  const off = 1 << (bits - 1);
  const bb = (bk * bits) / 8;
  for (let t = 0; t < Np / 4; t++) {
    for (let b = 0; b < Kp / bk; b++) {
      for (let c = 0; c < 4; c++) {
        const n = 4 * t + c;
        const base = ((t * (Kp / bk) + b) * 4 + c) * bb;
        const u = (kk: number): number => {
          const k = b * bk + kk;
          return (n < N && k < K ? w[n * K + k] : 0) + off;
        };
        for (let v = 0; v < bk / 32; v++) {
          for (let j = 0; j < 16; j++) out[base + 16 * v + j] = (u(32 * v + j) & 15) | ((u(32 * v + 16 + j) & 15) << 4);
        }
        if (bits >= 6) {
          for (let v = 0; v < bk / 64; v++) {
            for (let j = 0; j < 16; j++) {
              let byte = 0;
              for (let q = 0; q < 4; q++) byte |= ((u(64 * v + 16 * q + j) >> 4) & 3) << (2 * q);
              out[base + bk / 2 + 16 * v + j] = byte;
            }
          }
        }
        if (bits === 7) {
          for (let j = 0; j < 16; j++) {
            let byte = 0;
            for (let q = 0; q < 8; q++) byte |= ((u(16 * q + j) >> 6) & 1) << q;
            out[base + bk / 2 + bk / 4 + j] = byte;
          }
        }
      }
    }
  }
}

/**
 * Validates and packs w [N][K] (Int8Array, row-major) for `runtime`. Errors name the tensor and shape.
 */
export function packWeights(runtime: DyadicRuntime, weights: Int8Array, options: PackWeightsOptions): PackedWeights {
  const { N, K, bits } = options;
  if (!(weights instanceof Int8Array)) {
    throw new TypeError(`dyadic packWeights: weights must be an Int8Array [N, K], got ${Object.prototype.toString.call(weights)}`);
  }
  if (bits !== 8 && bits !== 7 && bits !== 6 && bits !== 4) fail(`bits must be 8, 7, 6 or 4, got ${String(bits)}`);
  if (!Number.isSafeInteger(N) || N < 1) fail(`N (output channels) must be a positive integer, got ${N}`);
  if (!Number.isSafeInteger(K) || K < 1 || K > MAX_K) fail(`K (inputs) must be an integer in 1..${MAX_K}, got ${K}`);
  if (weights.length !== N * K) fail(`weights has ${weights.length} elements, expected [N, K] = [${N}, ${K}] = ${N * K}`);
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  if (bits !== 8) {
    for (let i = 0; i < weights.length; i++) {
      const v = weights[i];
      if (v < lo || v > hi) {
        fail(`weights[${Math.floor(i / K)}, ${i % K}] = ${v} is outside ${lo}..${hi} for ${bits}-bit weights (shape [${N}, ${K}])`);
      }
    }
  }
  const scale = checkScale(options.scale, N);
  let mMax = 0;
  for (let n = 0; n < N; n++) mMax = Math.max(mMax, scale.m[n]);
  const bk = blockK(bits);
  const Np = Math.ceil(N / 4) * 4;
  const Kp = Math.ceil(K / bk) * bk;
  const bytes = (Np * Kp * bits) / 8;

  const arena = runtime.arena;
  const wAt = arena.alloc(bytes, `packed ${bits}-bit weights [${N}, ${K}]`);
  const wsumAt = arena.alloc(Np * 4, 'weight row sums');
  const mantAt = arena.alloc(Np * 4, 'weight scale mantissas');
  packLayout(weights, N, K, bits, Np, Kp, arena.u8(wAt, bytes));
  const wsum = arena.i32(wsumAt, Np); // [Np]
  const mant = arena.i32(mantAt, Np); // [Np]
  for (let n = 0; n < Np; n++) {
    let s = 0;
    if (n < N) for (let k = 0; k < K; k++) s += weights[n * K + k];
    wsum[n] = s;
    mant[n] = n < N ? scale.m[n] : 0;
  }
  return {
    runtime, bits, N, K, Np, Kp, kernel: kernelFor(bits, bits !== 8 && useFusedDot(runtime)), wAt, wsumAt, mantAt, scale,
    shift: chooseShift(K, bits, Math.max(mMax, 1)),
  };
}
