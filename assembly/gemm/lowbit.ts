// Low-bit weights (W4, W6, W7) x int8 activations: dense GEMM/GEMV with the DI-MatMul epilogue stage 1
// fused into the tile store.
//
// Weights are stored offset, u = w + 2^(bits-1) in 0..2^bits-1 <= 127, so they can be the 7-bit operand
// of the relaxed dot, which is exact when every lane of u has its top bit clear (the i16x8 form; see
// dot32 for why not the i32x4 ..._add_s form). The offset is corrected per row: sum_k a*w = sum_k a*u - 2^(bits-1) * sum_k a.
// The SIMD build computes the same sum_k a*u with i32x4.dot_i16x8_s on zero-extended u, so both builds
// give identical integers.
//
// Packed weights (written and documented by bindings/gemm/pack.ts): tiles of 4 channels, blocks of BK k
// (W4: 32, W6: 64, W7: 128), w [Np/4][Kp/BK][4][BB] with BB = BK * bits / 8 bytes per channel and block:
//   nibble plane, BK/2 bytes: 16-byte vector v, byte j = (u[32v+j] & 15) | (u[32v+16+j] & 15) << 4
//   crumb plane (W6, W7), BK/4 bytes: vector v, byte j bits 2c..2c+1 = (u[64v+16c+j] >> 4) & 3, c = 0..3
//   bit plane (W7), 16 bytes: byte j bit c = (u[16c+j] >> 6) & 1, c = 0..7
// so every 32-k unit decodes with the same few ops into two vectors of 16 u8 (k 0..15 and 16..31), the
// crumb and bit pieces moved into place by an i16 multiply by a power of two (a left shift whose amount
// depends on the unit) and a mask.
// Activations a [M][aStride] int8 with zero bytes in [K, Kp), Kp a multiple of BK; Np a multiple of 4.
//
// Tiles (named XNNPACK-style by the main one): W4 runs rows in pairs (2x4 tile as two 2x2 passes), W6
// and W7 four rows at a time (4x4 tile as four 4x1 passes), remainders in 2x4 and 1x4 tiles.

import { NR, finish_row, channel_block } from "./tile";
import { hsum4 } from "../common/simd";
import { fdot } from "./fdot";

/**
 * A tile's accumulators (up to 4 rows x 4 channels x i32x4) between its passes: 256 bytes the kernels
 * never allocate. A global (one per instance) pointing at static data by default; in the shared-memory
 * builds every thread's instance is given its own 256 bytes (set_tile_scratch), since the static area
 * would be one buffer for all of them.
 */
let tileAccs: usize = memory.data(256, 16);

/** Points this instance's low-bit tile scratch at `at` (256 bytes, 16-aligned); called once per thread. */
export function set_tile_scratch(at: usize): void {
  tileAccs = at;
}

// @ts-ignore: decorator
@inline function block_k(bits: i32): i32 {
  return bits == 4 ? 32 : bits == 6 ? 64 : 128;
}

/**
 * acc + sum over one 32-k unit of a*u: al/ul the first 16 k, ah/uh the next 16.
 * Relaxed build: i16x8.relaxed_dot_i8x16_i7x16_s (pairs a0*u0 + a1*u1, exact for u in 0..127), then
 * widened. The *_fdot exports (fused = true) use i32x4.relaxed_dot_i8x16_i7x16_add_s instead, picked
 * only where a load-time probe found it exact in both tiers and faster (bindings/gemm/fused-dot.ts):
 * V8 in Node 20 miscompiles it in its baseline tier (Liftoff returns twice the dot and drops the
 * accumulator; TurboFan is right), and every kernel's first calls run in Liftoff. For u <= 63 (W4, W6) the two halves' pair sums add in
 * i16 without overflow (2 * 2 * 128 * 63 < 2^15), so one widening serves the whole unit; W7 widens each.
 * SIMD build: dot_i16x8_s on sign-extended a and zero-extended u.
 */
// @ts-ignore: decorator
@inline function dot32(bits: i32, fused: bool, acc: v128, al: v128, ul: v128, ah: v128, uh: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && fused) {
    // the _fdot variants, picked only where the fused dot was probed exact (assembly/gemm/fdot.ts)
    return fdot(ah, uh, fdot(al, ul, acc));
  } else if (ASC_FEATURE_RELAXED_SIMD) {
    const pl = i16x8.relaxed_dot_i8x16_i7x16_s(al, ul);
    const ph = i16x8.relaxed_dot_i8x16_i7x16_s(ah, uh);
    if (bits <= 6) return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.add(pl, ph)));
    return i32x4.add(acc, i32x4.add(i32x4.extadd_pairwise_i16x8_s(pl), i32x4.extadd_pairwise_i16x8_s(ph)));
  } else {
    const l0 = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(al), i16x8.extend_low_i8x16_u(ul));
    const l1 = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(al), i16x8.extend_high_i8x16_u(ul));
    const h0 = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(ah), i16x8.extend_low_i8x16_u(uh));
    const h1 = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(ah), i16x8.extend_high_i8x16_u(uh));
    return i32x4.add(acc, i32x4.add(i32x4.add(l0, l1), i32x4.add(h0, h1)));
  }
}

/**
 * The 16 weights u[k0 + 16*half + j] (j = 0..15) of one channel for unit `u` (32 k) of its block at
 * `wch`. half 0 or 1. mc/mb: i16 multipliers that lift this half's crumb / bit piece to the top bits.
 */
// @ts-ignore: decorator
@inline function decode(bits: i32, wch: usize, u: i32, half: i32, mc: v128, mb: v128): v128 {
  const bk = block_k(bits);
  const nib = v128.load(wch + (<usize>u << 4));
  let x = half == 0 ? v128.and(nib, i8x16.splat(0x0f)) : v128.and(i16x8.shr_u(nib, 4), i8x16.splat(0x0f));
  if (bits >= 6) {
    const c = v128.load(wch + <usize>(bk >> 1) + (<usize>(u >> 1) << 4));
    x = v128.or(x, i16x8.shr_u(v128.and(i16x8.mul(c, mc), i8x16.splat(<i8>0xc0)), 2));
  }
  if (bits == 7) {
    const b = v128.load(wch + <usize>((bk >> 1) + (bk >> 2)));
    x = v128.or(x, i16x8.shr_u(v128.and(i16x8.mul(b, mb), i8x16.splat(<i8>0x80)), 1));
  }
  return x;
}

// Multipliers for unit u (index in its block): crumb piece p = 2(u&1) + half sits at bits 2p..2p+1 and
// goes to bits 6..7 (x 2^(6-2p)); bit piece b = 2u + half goes to bit 7 (x 2^(7-b)).
// @ts-ignore: decorator
@inline function crumb_mul(u: i32, half: i32): v128 {
  return i16x8.splat(<i16>(<i32>64 >> (((u & 1) << 2) + (half << 1))));
}
// @ts-ignore: decorator
@inline function bit_mul(u: i32, half: i32): v128 {
  return i16x8.splat(<i16>(<i32>128 >> ((u << 1) + half)));
}

/**
 * acc pair for two rows x two channels (c, c+1 of the tile at wt) over all of Kp: stores the four
 * accumulators at `accs` (row 0 ch c, row 0 ch c+1, row 1 ch c, row 1 ch c+1). Two channels at a time,
 * not four: 4 accumulators + 4 activation vectors + decoded weights + mask fit the 15 allocatable xmm
 * registers, where a 2x4 tile spilled to the stack in the inner loop; the decode per channel is still
 * shared by both rows, so the op count per MAC is the same.
 * The k loop steps one 32-k unit at a time, its index within the block computed (W4's single-unit
 * blocks need no inner loop).
 */
// @ts-ignore: decorator
@inline function pass_2x2(bits: i32, fused: bool, a0: usize, a1: usize, wt: usize, c: i32, kp: i32, accs: usize): void {
  const bk = block_k(bits);
  const bb = (bk * bits) >> 3;
  const unitMask = (bk >> 5) - 1;
  const blockShift = bits == 4 ? 5 : bits == 6 ? 6 : 7;
  let c00 = i32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  const wc = wt + <usize>(c * bb);
  for (let k = 0; k < kp; k += 32) {
    const u = (k >> 5) & unitMask;
    const wb = wc + <usize>((k >> blockShift) * NR * bb);
    const ka = <usize>k;
    const x0l = v128.load(a0 + ka), x0h = v128.load(a0 + ka, 16);
    const x1l = v128.load(a1 + ka), x1h = v128.load(a1 + ka, 16);
    const mcl = crumb_mul(u, 0), mch = crumb_mul(u, 1), mbl = bit_mul(u, 0), mbh = bit_mul(u, 1);
    let wl = decode(bits, wb, u, 0, mcl, mbl), wh = decode(bits, wb, u, 1, mch, mbh);
    c00 = dot32(bits, fused, c00, x0l, wl, x0h, wh);
    c10 = dot32(bits, fused, c10, x1l, wl, x1h, wh);
    wl = decode(bits, wb + <usize>bb, u, 0, mcl, mbl); wh = decode(bits, wb + <usize>bb, u, 1, mch, mbh);
    c01 = dot32(bits, fused, c01, x0l, wl, x0h, wh);
    c11 = dot32(bits, fused, c11, x1l, wl, x1h, wh);
  }
  v128.store(accs, c00);
  v128.store(accs, c01, 16);
  v128.store(accs, c10, 32);
  v128.store(accs, c11, 48);
}

/**
 * Four rows x one channel (c of the tile at wt) over all of Kp: the channel's decode is shared by four
 * rows (the decode is the costly part of low-bit weights). Stores the four accumulators at accs,
 * accs + 64, accs + 128, accs + 192 (row r of channel c lands at accs + 64 r).
 */
// @ts-ignore: decorator
@inline function pass_4x1(bits: i32, fused: bool, a0: usize, aStride: usize, wt: usize, c: i32, kp: i32, accs: usize): void {
  const bk = block_k(bits);
  const bb = (bk * bits) >> 3;
  const unitMask = (bk >> 5) - 1;
  const blockShift = bits == 4 ? 5 : bits == 6 ? 6 : 7;
  let c0 = i32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  const wc = wt + <usize>(c * bb);
  const a1 = a0 + aStride, a2 = a1 + aStride, a3 = a2 + aStride;
  for (let k = 0; k < kp; k += 32) {
    const u = (k >> 5) & unitMask;
    const wb = wc + <usize>((k >> blockShift) * NR * bb);
    const ka = <usize>k;
    const mcl = crumb_mul(u, 0), mch = crumb_mul(u, 1), mbl = bit_mul(u, 0), mbh = bit_mul(u, 1);
    const wl = decode(bits, wb, u, 0, mcl, mbl), wh = decode(bits, wb, u, 1, mch, mbh);
    c0 = dot32(bits, fused, c0, v128.load(a0 + ka), wl, v128.load(a0 + ka, 16), wh);
    c1 = dot32(bits, fused, c1, v128.load(a1 + ka), wl, v128.load(a1 + ka, 16), wh);
    c2 = dot32(bits, fused, c2, v128.load(a2 + ka), wl, v128.load(a2 + ka, 16), wh);
    c3 = dot32(bits, fused, c3, v128.load(a3 + ka), wl, v128.load(a3 + ka, 16), wh);
  }
  v128.store(accs, c0);
  v128.store(accs, c1, 64);
  v128.store(accs, c2, 128);
  v128.store(accs, c3, 192);
}

/** Four rows x four channels: four 4x1 passes, then the fused epilogue for the four rows. */
// @ts-ignore: decorator
@inline function tile_4x4(
  bits: i32, fused: bool, a0: usize, aStride: i32, wt: usize, kp: i32, i: i32, n: i32,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, rowCorr: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  const accs = tileAccs; // [4 rows][4 channels] x i32x4
  pass_4x1(bits, fused, a0, <usize>aStride, wt, 0, kp, accs);
  pass_4x1(bits, fused, a0, <usize>aStride, wt, 1, kp, accs + 16);
  pass_4x1(bits, fused, a0, <usize>aStride, wt, 2, kp, accs + 32);
  pass_4x1(bits, fused, a0, <usize>aStride, wt, 3, kp, accs + 48);
  const cw = wsum + (<usize>n << 2);
  const cm = mant + (<usize>n << 2);
  for (let r = 0; r < 4; r++) {
    const at = accs + (<usize>r << 6);
    const ri = <usize>(i + r) << 2;
    finish_row(hsum4(v128.load(at), v128.load(at, 16), v128.load(at, 32), v128.load(at, 48)),
      load<i32>(rowCorr + ri), load<i32>(rowZero + ri), cw, cm, shift,
      out + ((<usize>(i + r) * <usize>outStride + <usize>n) << 2), rowRange + (ri << 1));
  }
}

/** Two rows x four channels: two 2x2 passes, then the fused epilogue for both rows. */
// @ts-ignore: decorator
@inline function tile_2x4(
  bits: i32, fused: bool, a0: usize, a1: usize, wt: usize, kp: i32, i: i32, n: i32,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, rowCorr: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  const accs = tileAccs;
  pass_2x2(bits, fused, a0, a1, wt, 0, kp, accs);
  pass_2x2(bits, fused, a0, a1, wt, 2, kp, accs + 64);
  const c00 = v128.load(accs), c01 = v128.load(accs, 16), c10 = v128.load(accs, 32), c11 = v128.load(accs, 48);
  const c02 = v128.load(accs, 64), c03 = v128.load(accs, 80), c12 = v128.load(accs, 96), c13 = v128.load(accs, 112);
  const cw = wsum + (<usize>n << 2);
  const cm = mant + (<usize>n << 2);
  const d0 = out + ((<usize>i * <usize>outStride + <usize>n) << 2);
  const ri = <usize>i << 2;
  finish_row(hsum4(c00, c01, c02, c03), load<i32>(rowCorr + ri), load<i32>(rowZero + ri), cw, cm, shift, d0, rowRange + (ri << 1));
  finish_row(hsum4(c10, c11, c12, c13), load<i32>(rowCorr + ri, 4), load<i32>(rowZero + ri, 4), cw, cm, shift,
    d0 + (<usize>outStride << 2), rowRange + (ri << 1) + 8);
}

/** One row x four channels (the odd last row, and M = 1 decode). */
// @ts-ignore: decorator
@inline function tile_1x4(
  bits: i32, fused: bool, a0: usize, wt: usize, kp: i32, i: i32, n: i32,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, rowCorr: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  const bk = block_k(bits);
  const bb = (bk * bits) >> 3;
  const unitMask = (bk >> 5) - 1;
  const blockShift = bits == 4 ? 5 : bits == 6 ? 6 : 7;
  let c0 = i32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  for (let k = 0; k < kp; k += 32) {
    const u = (k >> 5) & unitMask;
    const wb = wt + <usize>((k >> blockShift) * NR * bb);
    const xl = v128.load(a0 + <usize>k), xh = v128.load(a0 + <usize>k, 16);
    const mcl = crumb_mul(u, 0), mch = crumb_mul(u, 1), mbl = bit_mul(u, 0), mbh = bit_mul(u, 1);
    c0 = dot32(bits, fused, c0, xl, decode(bits, wb, u, 0, mcl, mbl), xh, decode(bits, wb, u, 1, mch, mbh));
    c1 = dot32(bits, fused, c1, xl, decode(bits, wb + <usize>bb, u, 0, mcl, mbl), xh, decode(bits, wb + <usize>bb, u, 1, mch, mbh));
    c2 = dot32(bits, fused, c2, xl, decode(bits, wb + <usize>(2 * bb), u, 0, mcl, mbl), xh, decode(bits, wb + <usize>(2 * bb), u, 1, mch, mbh));
    c3 = dot32(bits, fused, c3, xl, decode(bits, wb + <usize>(3 * bb), u, 0, mcl, mbl), xh, decode(bits, wb + <usize>(3 * bb), u, 1, mch, mbh));
  }
  const ri = <usize>i << 2;
  finish_row(hsum4(c0, c1, c2, c3),
    load<i32>(rowCorr + ri), load<i32>(rowZero + ri), wsum + (<usize>n << 2), mant + (<usize>n << 2), shift,
    out + ((<usize>i * <usize>outStride + <usize>n) << 2), rowRange + (ri << 1));
}

/** rowCorr[i] = 2^(bits-1) * sum_k a[i,k] over Kp (the offset correction of every output of row i). */
// @ts-ignore: decorator
@inline function row_corrections(bits: i32, m: i32, kp: i32, a: usize, aStride: i32, rowCorr: usize): void {
  for (let i = 0; i < m; i++) {
    const row = a + <usize>i * <usize>aStride;
    let s = i32x4.splat(0);
    for (let k = 0; k < kp; k += 16) {
      s = i32x4.add(s, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(row + <usize>k))));
    }
    const total = i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
    store<i32>(rowCorr + (<usize>i << 2), total << (bits - 1));
  }
}

// @ts-ignore: decorator
@inline function gemm_lowbit(
  bits: i32, fused: bool, m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, rowCorr: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  row_corrections(bits, m, kp, a, aStride, rowCorr);
  const bytesPerChannel = (kp * bits) >> 3;
  const tileBytes = <usize>bytesPerChannel * NR;
  const nc = channel_block(bytesPerChannel, np);
  for (let n0 = 0; n0 < np; n0 += nc) {
    const n1 = min(n0 + nc, np);
    let i = 0;
    // W6/W7 decode costs several ops per weight vector: share it across 4 rows. For W4 (3 ops) the
    // 2x2 passes measured faster (A/B in one process: 4x1 passes ran at 0.53-0.89x).
    for (; bits >= 6 && i + 4 <= m; i += 4) {
      const a0 = a + <usize>i * <usize>aStride;
      for (let n = n0; n < n1; n += NR) {
        tile_4x4(bits, fused, a0, aStride, w + <usize>(n >> 2) * tileBytes, kp, i, n,
          wsum, mant, shift, rowZero, rowCorr, out, outStride, rowRange);
      }
    }
    for (; i + 2 <= m; i += 2) {
      const a0 = a + <usize>i * <usize>aStride;
      for (let n = n0; n < n1; n += NR) {
        tile_2x4(bits, fused, a0, a0 + <usize>aStride, w + <usize>(n >> 2) * tileBytes, kp, i, n,
          wsum, mant, shift, rowZero, rowCorr, out, outStride, rowRange);
      }
    }
    if (i < m) {
      const a0 = a + <usize>i * <usize>aStride;
      for (let n = n0; n < n1; n += NR) {
        tile_1x4(bits, fused, a0, w + <usize>(n >> 2) * tileBytes, kp, i, n,
          wsum, mant, shift, rowZero, rowCorr, out, outStride, rowRange);
      }
    }
  }
}

// One export per bit width; same arguments as gemm_w8a8_2x4c8 plus rowCorr, an int32 [m] scratch.
export function gemm_w4a8_2x4c32(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, rowCorr: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  gemm_lowbit(4, false, m, np, kp, a, aStride, w, wsum, mant, shift, rowZero, rowCorr, out, outStride, rowRange);
}

export function gemm_w6a8_4x4c64(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, rowCorr: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  gemm_lowbit(6, false, m, np, kp, a, aStride, w, wsum, mant, shift, rowZero, rowCorr, out, outStride, rowRange);
}

export function gemm_w7a8_4x4c128(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, rowCorr: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  gemm_lowbit(7, false, m, np, kp, a, aStride, w, wsum, mant, shift, rowZero, rowCorr, out, outStride, rowRange);
}

// The same kernels on the fused relaxed dot (two ops per 32 k and row-channel instead of five), exported
// by both builds (the SIMD build's are the plain kernels) and picked only where relaxed_dot_probe was
// exact in both tiers of the engine (bindings/gemm/fused-dot.ts).
export function gemm_w4a8_2x4c32_fdot(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, rowCorr: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  gemm_lowbit(4, true, m, np, kp, a, aStride, w, wsum, mant, shift, rowZero, rowCorr, out, outStride, rowRange);
}

export function gemm_w6a8_4x4c64_fdot(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, rowCorr: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  gemm_lowbit(6, true, m, np, kp, a, aStride, w, wsum, mant, shift, rowZero, rowCorr, out, outStride, rowRange);
}

export function gemm_w7a8_4x4c128_fdot(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize,
  wsum: usize, mant: usize, shift: i32, rowZero: usize, rowCorr: usize, out: usize, outStride: i32, rowRange: usize,
): void {
  gemm_lowbit(7, true, m, np, kp, a, aStride, w, wsum, mant, shift, rowZero, rowCorr, out, outStride, rowRange);
}
