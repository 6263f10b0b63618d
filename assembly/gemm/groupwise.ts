// Group-wise integer weights x int8 activations (DI-MatMul with group scales): llama.cpp's block types
// run at their stored precision. The weights' contract (written by bindings/gemm/groupwise-pack.ts from
// the file's raw blocks; definitions in bindings/gemm/groupwise-blocks.ts):
//   W[n,k] = S[n,g] * (u[n,k] - off) - Mx[n,g]      g = k / G (G = 32 or 16), real weight ~ W 2^-e_n
// For output row i (int8 activations a with zero point z_i) and channel n:
//   T[i,n] = sum_k (a[i,k] - z_i) W[n,k]
//          = sum_g S[n,g] sum_{k in g} a[i,k] (u[n,k] - off)  -  sum_g Mx[n,g] asum[i,g]  -  z_i wsum[n]
//   p[i,n] = round_half_up(T / 2^sh_n)   (int32; the caller's sh_n keep |p| < 2^30, one output unit per row)
// exact in integers (int64 where the bounds need it), then the row range for epilogue stage 2, as the
// dense kernels do (assembly/gemm/epilogue.ts). The scalar reference is bindings/gemm/groupwise.ref.ts.
//
// Weights, tiles of 4 channels and units of 32 k: w [Np/4][Kp/32][4][UB]
//   kind Q4 (codes <= 15, UB = 16): byte j = u[j] | u[16 + j] << 4      (the lowbit W4 nibble plane)
//   kind Q6 (codes <= 63, UB = 32): byte j = u[j]
//   kind I8 (signed values, UB = 32): byte j = value[j]
// Group scales S i16 [Np/4][Kp/G][4] (the tile's 4 channels side by side), |S| <= 2^13 - 1.
// Mins Mx i32 [Np][ngp] (ngp = Kp/G rounded up to 4, zero padded), or 0 when the type has none.
// wsum i64 [Np] = sum_k W[n,k]; shifts i32 [Np].
// Row preparation (gw_prepare_rows, once per call on the main thread, read by every thread):
//   asum i32 [M][ngp] = per-group activation sums (zero padded), for the min term;
//   corr v128 [M][Kp/G] = the same i16 lane sums the dot below forms, with every code equal to `off`,
//   so sum(a u) - sum(a off) is formed lane by lane in i16 before the scale multiply (no extra term).
//
// The group dot, exact in both builds: one 16-k half gives i16x8 lanes of 2 products a*u (relaxed:
// i16x8.relaxed_dot_i8x16_i7x16_s, exact since u <= 63 < 128; SIMD: i16 multiplies of extended halves);
// a 32-k group adds two halves (4 products per lane: |.| <= 4*128*31 < 2^15 for codes <= 31), then
// subtracts corr and meets S in i32x4.dot_i16x8_s: each i32 lane gains S * (8 products) per 32 k,
// |.| <= 8191 * 8 * 128 * qmax. `window` units (chosen by the packer) fit int32 before the lanes are
// widened into int64. The i8 kind (Q8_0, IQ4_NL) multiplies full int8 x int8 products with
// dot_i16x8_s and applies S in int64 (i64x2.extmul) per 4 channels.
//
// Tiles: one row x 4 channels (1x4), rows looped inside a cache block of channels (tile.ts).

import { NR, channel_block } from "./tile";
import { di_range_merge } from "./epilogue";
import { rshift_round_i64 } from "../common/dyadic";

const KIND_Q4: i32 = 0;
const KIND_Q6: i32 = 1;
const KIND_I8: i32 = 2;

// @ts-ignore: decorator
@inline function unit_bytes(kind: i32): i32 {
  return kind == KIND_Q4 ? 16 : 32;
}

/** i16x8 lanes, each the sum of 2 products x*u, over 16 k (u: 16 codes 0..63). Same total both builds. */
// @ts-ignore: decorator
@inline function half16(x: v128, u: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.relaxed_dot_i8x16_i7x16_s(x, u);
  return i16x8.add(
    i16x8.mul(i16x8.extend_low_i8x16_s(x), i16x8.extend_low_i8x16_u(u)),
    i16x8.mul(i16x8.extend_high_i8x16_s(x), i16x8.extend_high_i8x16_u(u)),
  );
}

/** Low and high 16 codes of channel c's unit at `wu` (tile unit base). */
// @ts-ignore: decorator
@inline function codes_lo(kind: i32, wu: usize, c: i32): v128 {
  if (kind == KIND_Q4) return v128.and(v128.load(wu + (<usize>c << 4)), i8x16.splat(0x0f));
  return v128.load(wu + (<usize>c << 5));
}
// @ts-ignore: decorator
@inline function codes_hi(kind: i32, wu: usize, c: i32): v128 {
  if (kind == KIND_Q4) return v128.and(i16x8.shr_u(v128.load(wu + (<usize>c << 4)), 4), i8x16.splat(0x0f));
  return v128.load(wu + (<usize>c << 5), 16);
}

/** Sum of the four i32 lanes in int64. */
// @ts-ignore: decorator
@inline function hsum_i64(v: v128): i64 {
  const s = i64x2.add(i64x2.extend_low_i32x4_s(v), i64x2.extend_high_i32x4_s(v));
  return i64x2.extract_lane(s, 0) + i64x2.extract_lane(s, 1);
}

/** Group sum of one channel over a 32-k unit for G = 32: (sum16 lo + hi - corr) . S. */
// @ts-ignore: decorator
@inline function unit32(xl: v128, xh: v128, lo: v128, hi: v128, corr: v128, s: v128): v128 {
  return i32x4.dot_i16x8_s(i16x8.sub(i16x8.add(half16(xl, lo), half16(xh, hi)), corr), s);
}

/** Same for G = 16: two groups, two scales. */
// @ts-ignore: decorator
@inline function unit16(xl: v128, xh: v128, lo: v128, hi: v128, cl: v128, ch: v128, sl: v128, sh: v128): v128 {
  return i32x4.add(i32x4.dot_i16x8_s(i16x8.sub(half16(xl, lo), cl), sl), i32x4.dot_i16x8_s(i16x8.sub(half16(xh, hi), ch), sh));
}

/**
 * Channel c of a tile: T = t - Mx . asum - z wsum, p = round_half_up(T / 2^sh) (int32 by the caller's
 * shift). mx: the channel's Mx row or 0; ch: the channel index.
 */
// @ts-ignore: decorator
@inline function finish1(t: i64, z: i64, ch: usize, wsum: usize, shifts: usize, mx: usize, asum: usize, ngp: i32): i32 {
  let total = t - z * load<i64>(wsum + (ch << 3));
  if (mx != 0) total -= min_term(mx + ch * (<usize>ngp << 2), asum, ngp);
  return <i32>rshift_round_i64(total, load<i32>(shifts + (ch << 2)));
}

/** The tile's four outputs as one vector (lane c: channel n + c). */
// @ts-ignore: decorator
@inline function finish4(t0: i64, t1: i64, t2: i64, t3: i64, z: i64, n: usize, wsum: usize, shifts: usize, mx: usize, asum: usize, ngp: i32): v128 {
  let p = i32x4.splat(finish1(t0, z, n, wsum, shifts, mx, asum, ngp));
  p = i32x4.replace_lane(p, 1, finish1(t1, z, n + 1, wsum, shifts, mx, asum, ngp));
  p = i32x4.replace_lane(p, 2, finish1(t2, z, n + 2, wsum, shifts, mx, asum, ngp));
  return i32x4.replace_lane(p, 3, finish1(t3, z, n + 3, wsum, shifts, mx, asum, ngp));
}

/**
 * One row x the 4 channels of the tile at wt (channels n..n+3), kinds Q4 and Q6: the int64 sums
 * t_c = sum_g S[c,g] sum_{k in g} a_k (u_k - off), then finish4.
 */
// @ts-ignore: decorator
@inline function tile_1x4(
  kind: i32, G: i32, a0: usize, corr: usize, wt: usize, st: usize, nu: i32, window: i32,
  z: i64, n: usize, wsum: usize, shifts: usize, mx: usize, asum: usize, ngp: i32,
): v128 {
  const ub = <usize>unit_bytes(kind);
  let t0: i64 = 0, t1: i64 = 0, t2: i64 = 0, t3: i64 = 0;
  for (let u0 = 0; u0 < nu; u0 += window) {
    const u1 = min(nu, u0 + window);
    let c0 = i32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
    for (let u = u0; u < u1; u++) {
      const xl = v128.load(a0 + (<usize>u << 5));
      const xh = v128.load(a0 + (<usize>u << 5), 16);
      const wu = wt + <usize>u * (ub << 2);
      if (G == 32) {
        const cv = v128.load(corr + (<usize>u << 4));
        const sv = v128.load64_zero(st + (<usize>u << 3)); // S of 4 channels, i16
        c0 = i32x4.add(c0, unit32(xl, xh, codes_lo(kind, wu, 0), codes_hi(kind, wu, 0), cv, i16x8.shuffle(sv, sv, 0, 0, 0, 0, 0, 0, 0, 0)));
        c1 = i32x4.add(c1, unit32(xl, xh, codes_lo(kind, wu, 1), codes_hi(kind, wu, 1), cv, i16x8.shuffle(sv, sv, 1, 1, 1, 1, 1, 1, 1, 1)));
        c2 = i32x4.add(c2, unit32(xl, xh, codes_lo(kind, wu, 2), codes_hi(kind, wu, 2), cv, i16x8.shuffle(sv, sv, 2, 2, 2, 2, 2, 2, 2, 2)));
        c3 = i32x4.add(c3, unit32(xl, xh, codes_lo(kind, wu, 3), codes_hi(kind, wu, 3), cv, i16x8.shuffle(sv, sv, 3, 3, 3, 3, 3, 3, 3, 3)));
      } else {
        const cl = v128.load(corr + (<usize>u << 5));
        const ch = v128.load(corr + (<usize>u << 5), 16);
        const sv = v128.load(st + (<usize>u << 4)); // group 2u: lanes 0..3, group 2u + 1: lanes 4..7
        c0 = i32x4.add(c0, unit16(xl, xh, codes_lo(kind, wu, 0), codes_hi(kind, wu, 0), cl, ch,
          i16x8.shuffle(sv, sv, 0, 0, 0, 0, 0, 0, 0, 0), i16x8.shuffle(sv, sv, 4, 4, 4, 4, 4, 4, 4, 4)));
        c1 = i32x4.add(c1, unit16(xl, xh, codes_lo(kind, wu, 1), codes_hi(kind, wu, 1), cl, ch,
          i16x8.shuffle(sv, sv, 1, 1, 1, 1, 1, 1, 1, 1), i16x8.shuffle(sv, sv, 5, 5, 5, 5, 5, 5, 5, 5)));
        c2 = i32x4.add(c2, unit16(xl, xh, codes_lo(kind, wu, 2), codes_hi(kind, wu, 2), cl, ch,
          i16x8.shuffle(sv, sv, 2, 2, 2, 2, 2, 2, 2, 2), i16x8.shuffle(sv, sv, 6, 6, 6, 6, 6, 6, 6, 6)));
        c3 = i32x4.add(c3, unit16(xl, xh, codes_lo(kind, wu, 3), codes_hi(kind, wu, 3), cl, ch,
          i16x8.shuffle(sv, sv, 3, 3, 3, 3, 3, 3, 3, 3), i16x8.shuffle(sv, sv, 7, 7, 7, 7, 7, 7, 7, 7)));
      }
    }
    t0 += hsum_i64(c0);
    t1 += hsum_i64(c1);
    t2 += hsum_i64(c2);
    t3 += hsum_i64(c3);
  }
  return finish4(t0, t1, t2, t3, z, n, wsum, shifts, mx, asum, ngp);
}

/** The i8 kind (G = 32): int8 x int8 group dots, S applied in int64 per 4 channels, then finish4. */
// @ts-ignore: decorator
@inline function tile_i8_1x4(
  a0: usize, wt: usize, st: usize, nu: i32, z: i64, n: usize, wsum: usize, shifts: usize, mx: usize, asum: usize, ngp: i32,
): v128 {
  let lo = i64x2.splat(0), hi = lo;
  for (let u = 0; u < nu; u++) {
    const xa = v128.load(a0 + (<usize>u << 5));
    const xb = v128.load(a0 + (<usize>u << 5), 16);
    const x0 = i16x8.extend_low_i8x16_s(xa), x1 = i16x8.extend_high_i8x16_s(xa);
    const x2 = i16x8.extend_low_i8x16_s(xb), x3 = i16x8.extend_high_i8x16_s(xb);
    const wu = wt + (<usize>u << 7);
    let d0 = i32x4.splat(0), d1 = d0, d2 = d0, d3 = d0;
    for (let c = 0; c < 4; c++) {
      const wa = v128.load(wu + (<usize>c << 5));
      const wb = v128.load(wu + (<usize>c << 5), 16);
      const d = i32x4.add(
        i32x4.add(i32x4.dot_i16x8_s(x0, i16x8.extend_low_i8x16_s(wa)), i32x4.dot_i16x8_s(x1, i16x8.extend_high_i8x16_s(wa))),
        i32x4.add(i32x4.dot_i16x8_s(x2, i16x8.extend_low_i8x16_s(wb)), i32x4.dot_i16x8_s(x3, i16x8.extend_high_i8x16_s(wb))),
      );
      if (c == 0) d0 = d; else if (c == 1) d1 = d; else if (c == 2) d2 = d; else d3 = d;
    }
    // [sum d0, sum d1, sum d2, sum d3]: each |.| <= 32 * 128 * 128 = 2^19
    const x01 = i32x4.add(i32x4.shuffle(d0, d1, 0, 4, 1, 5), i32x4.shuffle(d0, d1, 2, 6, 3, 7));
    const x23 = i32x4.add(i32x4.shuffle(d2, d3, 0, 4, 1, 5), i32x4.shuffle(d2, d3, 2, 6, 3, 7));
    const g = i32x4.add(i32x4.shuffle(x01, x23, 0, 1, 4, 5), i32x4.shuffle(x01, x23, 2, 3, 6, 7));
    const s = i32x4.extend_low_i16x8_s(v128.load64_zero(st + (<usize>u << 3)));
    lo = i64x2.add(lo, i64x2.extmul_low_i32x4_s(g, s));
    hi = i64x2.add(hi, i64x2.extmul_high_i32x4_s(g, s));
  }
  return finish4(i64x2.extract_lane(lo, 0), i64x2.extract_lane(lo, 1), i64x2.extract_lane(hi, 0), i64x2.extract_lane(hi, 1),
    z, n, wsum, shifts, mx, asum, ngp);
}

/** sum_g Mx[g] asum[g] over ngp (a multiple of 4) groups, int64. */
// @ts-ignore: decorator
@inline function min_term(mx: usize, asum: usize, ngp: i32): i64 {
  let acc = i64x2.splat(0);
  for (let g = 0; g < ngp; g += 4) {
    const m = v128.load(mx + (<usize>g << 2));
    const s = v128.load(asum + (<usize>g << 2));
    acc = i64x2.add(acc, i64x2.add(i64x2.extmul_low_i32x4_s(m, s), i64x2.extmul_high_i32x4_s(m, s)));
  }
  return i64x2.extract_lane(acc, 0) + i64x2.extract_lane(acc, 1);
}

// @ts-ignore: decorator
@inline function gemm_gw(
  kind: i32, G: i32, m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize, s: usize, mx: usize, ngp: i32,
  wsum: usize, shifts: usize, rowZero: usize, asum: usize, corr: usize, window: i32, out: usize, outStride: i32, rowRange: usize,
): void {
  const nu = kp >> 5;
  const ng = kp / G;
  const tileW = <usize>nu * <usize>(unit_bytes(kind) << 2);
  const tileS = <usize>ng << 3;
  const corrRow = <usize>ng << 4;
  const asumRow = <usize>ngp << 2;
  const nc = channel_block(nu * unit_bytes(kind), np);
  for (let n0 = 0; n0 < np; n0 += nc) {
    const n1 = min(n0 + nc, np);
    for (let i = 0; i < m; i++) {
      const a0 = a + <usize>i * <usize>aStride;
      const z = <i64>load<i32>(rowZero + (<usize>i << 2));
      const rowAsum = asum + <usize>i * asumRow;
      let lo4 = i32x4.splat(0), hi4 = lo4;
      for (let n = n0; n < n1; n += NR) {
        const t = <usize>(n >> 2);
        const p4 = kind == KIND_I8
          ? tile_i8_1x4(a0, w + t * tileW, s + t * tileS, nu, z, <usize>n, wsum, shifts, mx, rowAsum, ngp)
          : tile_1x4(kind, G, a0, corr + <usize>i * corrRow, w + t * tileW, s + t * tileS, nu, window, z, <usize>n, wsum, shifts, mx, rowAsum, ngp);
        v128.store(out + ((<usize>i * <usize>outStride + <usize>n) << 2), p4);
        lo4 = i32x4.min_s(lo4, p4);
        hi4 = i32x4.max_s(hi4, p4);
      }
      di_range_merge(rowRange + (<usize>i << 3), lo4, hi4);
    }
  }
}

/**
 * Per-row preparation for a group-wise call: asum [m][ngp] i32 (group sums of a, zero padded to ngp)
 * and corr [m][kp/G] v128 (the kernels' i16 lane sums of a against codes all = off).
 */
export function gw_prepare_rows(m: i32, kp: i32, a: usize, aStride: i32, G: i32, off: i32, asum: usize, ngp: i32, corr: usize): void {
  const ng = kp / G;
  const offv = i8x16.splat(<i8>off);
  for (let i = 0; i < m; i++) {
    const row = a + <usize>i * <usize>aStride;
    const as = asum + <usize>i * (<usize>ngp << 2);
    const cr = corr + <usize>i * (<usize>ng << 4);
    for (let g = 0; g < ng; g++) {
      const at = row + <usize>(g * G);
      let v = i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(at)));
      let c = half16(v128.load(at), offv);
      if (G == 32) {
        v = i32x4.add(v, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(at, 16))));
        c = i16x8.add(c, half16(v128.load(at, 16), offv));
      }
      store<i32>(as + (<usize>g << 2), i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3));
      v128.store(cr + (<usize>g << 4), c); // zeros when off == 0
    }
    for (let g = ng; g < ngp; g++) store<i32>(as + (<usize>g << 2), 0);
  }
}

// Exports: codes kind x group size. Arguments: m rows, np channels (multiple of 4), kp (multiple of 32),
// a [m][aStride] int8, w/s/mx/ngp/wsum/shifts as above, rowZero [m] i32, asum/corr from gw_prepare_rows,
// window (units of 32 k per int32 pass), out [m][outStride] i32, rowRange [m] x (lo, hi) i32 (widened).

/** Nibble codes, groups of 32: Q4_0, Q4_1, Q4_K. */
export function gemm_gwq4_1x4c32(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize, s: usize, mx: usize, ngp: i32,
  wsum: usize, shifts: usize, rowZero: usize, asum: usize, corr: usize, window: i32, out: usize, outStride: i32, rowRange: usize,
): void {
  gemm_gw(KIND_Q4, 32, m, np, kp, a, aStride, w, s, mx, ngp, wsum, shifts, rowZero, asum, corr, window, out, outStride, rowRange);
}

/** Byte codes (<= 31), groups of 32: Q5_0, Q5_1, Q5_K. */
export function gemm_gwq6_1x4c32(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize, s: usize, mx: usize, ngp: i32,
  wsum: usize, shifts: usize, rowZero: usize, asum: usize, corr: usize, window: i32, out: usize, outStride: i32, rowRange: usize,
): void {
  gemm_gw(KIND_Q6, 32, m, np, kp, a, aStride, w, s, mx, ngp, wsum, shifts, rowZero, asum, corr, window, out, outStride, rowRange);
}

/** Byte codes (<= 63), groups of 16: Q6_K, Q3_K, Q2_K. */
export function gemm_gwq6_1x4c16(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize, s: usize, mx: usize, ngp: i32,
  wsum: usize, shifts: usize, rowZero: usize, asum: usize, corr: usize, window: i32, out: usize, outStride: i32, rowRange: usize,
): void {
  gemm_gw(KIND_Q6, 16, m, np, kp, a, aStride, w, s, mx, ngp, wsum, shifts, rowZero, asum, corr, window, out, outStride, rowRange);
}

/** Signed int8 values, groups of 32: Q8_0, IQ4_NL (its table applied when packing). */
export function gemm_gwi8_1x4c32(
  m: i32, np: i32, kp: i32, a: usize, aStride: i32, w: usize, s: usize, mx: usize, ngp: i32,
  wsum: usize, shifts: usize, rowZero: usize, asum: usize, corr: usize, window: i32, out: usize, outStride: i32, rowRange: usize,
): void {
  gemm_gw(KIND_I8, 32, m, np, kp, a, aStride, w, s, mx, ngp, wsum, shifts, rowZero, asum, corr, window, out, outStride, rowRange);
}
