// Integer causal attention over an int8 KV cache: scores, DI-ClippedSoftmax, P x V, and the per-row
// requantization of the heads' outputs for the o projection. Integer arithmetic only, SIMD128 (the same
// code in both builds). Scalar TypeScript reference: bindings/attention/attention.ref.ts (tests
// compare exactly, both builds); thread split and scratch sizes: bindings/attention/attention.ts.
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// q    [rows, nHeads * headDim] int8 (row stride qStride), per-row (m, k, z) in qM/qK/qZ (int32 [rows]):
//      q_real = m / 2^k * (q - z)   -- RoPE's output format (assembly/ops/rope.ts).
// pos  [rows] int32: row r attends to cache positions 0..pos[r] (causal; the caller has already written
//      positions up to pos[r] into the cache).
// kc, vc [maxPos, nKvHeads * headDim] int8 (row stride kvStride), per-position (m, k, z) in
//      kM/kK/kZ and vM/vK/vZ (int32 [maxPos]): the K and V projections' per-token format, RoPE applied to K.
//      Query head h reads KV head h / (nHeads / nKvHeads) (grouped-query attention).
//      Zero points of q, k and v lie in [-128, 127] (every int8 format of quantize_row_i8 does), so q - z
//      and k - z are exact in 16-bit lanes and v - z in 32-bit ones.
// 1/sqrt(headDim) = cM / 2^cK (cM <= 2^15).
// out  [rows, nHeads * headDim] int8 (row stride outStride) with per-row (m, k, z) in outM/outK/outZ.
//
// Three entries share the per-head and per-row code below, so every split gives the same bits:
//   di_attention_rows    rows, all heads, quantized output (one thread)
//   di_attention_heads   heads [h0, h1) of every row -> int64 accumulators acc [rows, accStride]
//                        (columns h0*headDim .. h1*headDim); disjoint per head range, so threads can run
//                        head ranges side by side, each with its own scratch; reads/writes no static memory
//   di_attention_finish  acc rows -> quantized output (after every head range is done)
// Scratch (16-byte aligned; sizes in bindings/attention/attention.ts):
//   head scratch (attentionHeadScratchBytes): int16 [roundUp(headDim, 8)] q - z_q of the head, then
//      uint16 [lenCap] probabilities, int32 [lenCap] scores, int32 [lenCap] exponentials, int64 [lenCap]
//      rescaled scores, lenCap = roundUp(maxLen + 4, 8) and maxLen = max(pos) + 1. After the softmax the
//      last three (16 * lenCap bytes) hold the P x V entries, int32 [len, 4] at most.
//   di_attention_rows: head scratch, then int64 [nHeads * headDim] row accumulators, int32 [width + 4].
//   di_attention_finish: int32 [width + 4].
//
// ── Method, per row r and head h, over the len = pos[r] + 1 visible positions s ──────────────────
// acc_s = sum_d (q_d - z_q) (k_s,d - z_k,s)                                 exact int32
// t_s   = round(acc_s * m_k,s / 2^(k_k,s - Kr)),  Kr = min_s k_k,s          int64, one exponent per row
// x_s   = round(t_s / 2^sh)  (sh may be negative: a left shift) so that max|x| lands in [2^29, 2^30)
// real score = x_s * M_row / 2^K_row with M_row = round((m_q * cM) / 2^u) < 2^31 and
//      K_row = k_q + cK + Kr - sh - u; then di_softmax_rows gives P_s in Q15 (uint16 format).
// c_s   = round(P_s * m_v,s / 2^(k_v,s - Vr)),  Vr = min_s k_v,s            0 <= c_s < 2^46 (P < 2^15, m_v < 2^31)
// o_d   = sum_s c_s (v_s,d - z_v,s)                                        int64, real o_d * 2^-(15 + Vr)
// The row's heads share that scale (Vr depends only on the row's positions), so the row [nHeads*headDim]
// is brought to |p| < 2^30 by one shift and quantized with quantize_row_i8.
//
// ── SIMD and why it is exact ─────────────────────────────────────────────────────────────────────
// QK: q - z_q is widened to int16 once per head; four positions at a time, each k row is v128.load8x8_s
// minus z_k (int16), i32x4.dot_i16x8_s against it (|pair| <= 2 * 255^2), and one transpose-add gives the
// four dot products: the same int32 sums as the scalar loop (integer addition in any order).
// P x V, fast path (every c of the head within +-(2^31 - 2^15), always so for the 16-bit m_v of
// quantize_row_i8): o_d = sum_s c_s v_s,d - sum_s c_s z_v,s (the zero points fold into one int64 per head).
// c = cH * 2^16 + cL with int16 limbs; two positions at a time, their v rows are interleaved bytewise and
// sign-extended so each i16 lane pair is (v_s,d, v_s+1,d), and i32x4.dot_i16x8_s against the splat limb
// pairs (cH_s, cH_s+1) and (cL_s, cL_s+1) gives four columns' int32 sums; |sum| grows by <= 2^23 per pair,
// so up to 128 pairs stay exact in int32 before they are widened into the int64 o (o += H * 2^16 + L).
// Columns in blocks of 16 (then 8) keep the eight int32 sums in registers while the pairs stream past.
// General path (some c larger): c = cH * 2^24 + cL (0 <= cL < 2^24, cH < 2^22), v - z_v in int32 lanes
// exactly as the scalar i32 subtraction, i64x2.extmul_i32x4_s for both limbs, o = H * 2^24 + L.
// Both equal sum_s c_s (v_s,d - z_v,s) exactly (and modulo 2^64 alike), with |o| < 2^63 by the ranges.

import { rshift_round_i64 } from "../common/dyadic";
import { di_softmax_rows } from "../ops/softmax";
import { quantize_row_i8, rq_m, rq_k, rq_z } from "../ops/requant";
import { hsum4, hmin_i32x4, hmax_i32x4 } from "../common/simd";
import { bitlength_u64 } from "../common/intmath";

const P_BITS: i32 = 30; // row values are normalised into [2^(P_BITS-1), 2^P_BITS)
const SPLIT_BITS: i32 = 24; // general path: c = cH * 2^SPLIT_BITS + cL
const ENTRY_BYTES: usize = 16; // one P x V entry (a position, or a pair of positions on the fast path)
// Fast path: c = cH * 2^16 + cL with cH = (c + 2^15) >> 16 and cL in [-2^15, 2^15) both int16, i.e.
// -2^31 - 2^15 <= c < 2^31 - 2^15 (always true for m_v < 2^16: c <= 32767 * 65535).
const PAIR_C_MIN: i64 = -2147483648 - 32768;
const PAIR_C_MAX: i64 = 2147483648 - 32768;
// Pairs summed in int32 lanes before a flush to int64: each pair adds at most 2 * 2^15 * 128 = 2^23.
const PAIR_CHUNK: i32 = 128;

/** round(x / 2^s) for any s: a left shift when s < 0 (callers keep the result within 2^62). */
// @ts-ignore: decorator
@inline function shift_round(x: i64, s: i32): i64 {
  if (s <= 0) return x << (-s);
  if (s > 62) return 0;
  return rshift_round_i64(x, s);
}

/** The shift that brings max |x| = mx into [2^(bits-1), 2^bits) (0 when mx = 0). */
// @ts-ignore: decorator
@inline function normalising_shift(mx: u64, bits: i32): i32 {
  return mx == 0 ? 0 : bitlength_u64(mx) - bits;
}

// @ts-ignore: decorator
@inline function abs_i64(x: i64): u64 {
  return <u64>(x < 0 ? -x : x);
}

/** min of an int32 array's first len elements (the row-wide reference exponent). */
// @ts-ignore: decorator
@inline function min_i32(at: usize, len: i32): i32 {
  let m = load<i32>(at);
  for (let s = 1; s < len; s++) m = min(m, load<i32>(at + (<usize>s << 2)));
  return m;
}

/** Bytes of the per-thread head scratch (mirrored by attentionHeadScratchBytes). */
// @ts-ignore: decorator
@inline function q16_bytes(headDim: i32): usize {
  return <usize>((headDim + 7) & ~7) << 1;
}

// @ts-ignore: decorator
@inline function len_cap(maxLen: i32): usize {
  return <usize>((maxLen + 11) & ~7); // roundUp(maxLen + 4, 8): keeps every part 16-byte aligned
}

// @ts-ignore: decorator
@inline function head_scratch_bytes(maxLen: i32, headDim: i32): usize {
  return q16_bytes(headDim) + len_cap(maxLen) * 18;
}

/** Scalar dot of q16 [d0, headDim) with k row (k - zk): the tail of a head not a multiple of 8. */
// @ts-ignore: decorator
@inline function dot_tail(q16: usize, kRow: usize, zk: i32, d0: i32, headDim: i32): i32 {
  let acc: i32 = 0;
  for (let d = d0; d < headDim; d++) {
    acc += <i32>load<i16>(q16 + (<usize>d << 1)) * (<i32>load<i8>(kRow + <usize>d) - zk);
  }
  return acc;
}

/** t_s = round(acc * m_k,s / 2^(k_k,s - Kr)) into tBuf; returns |t_s|. */
// @ts-ignore: decorator
@inline function rescale_score(acc: i32, s: i32, kM: usize, kK: usize, kr: i32, tBuf: usize): u64 {
  const si = <usize>s << 2;
  const t = shift_round(<i64>acc * <i64>load<i32>(kM + si), load<i32>(kK + si) - kr);
  store<i64>(tBuf + (<usize>s << 3), t);
  return abs_i64(t);
}

/** o[j..j+3] += h_j * 2^16 + l_j in int64 (one flush of the int32 limb sums). */
// @ts-ignore: decorator
@inline function flush_limbs(at: usize, h: v128, l: v128): void {
  const lo = i64x2.add(i64x2.shl(i64x2.extend_low_i32x4_s(h), 16), i64x2.extend_low_i32x4_s(l));
  const hi = i64x2.add(i64x2.shl(i64x2.extend_high_i32x4_s(h), 16), i64x2.extend_high_i32x4_s(l));
  v128.store(at, i64x2.add(v128.load(at), lo));
  v128.store(at, i64x2.add(v128.load(at, 16), hi), 16);
}

/**
 * P x V for one head from position pairs (the fast path, see the header): o [headDim] int64 =
 * sum over pairs of c0 v0 + c1 v1, minus zc = sum c z_v. Pair entry: int32 [v0 address, v1 address],
 * int16 [cH0, cH1], int16 [cL0, cL1] with c = cH * 2^16 + cL.
 */
function pv_pairs(pairs: usize, nPairs: i32, headDim: i32, zc: i64, o: usize): void {
  for (let d = 0; d < headDim; d++) store<i64>(o + (<usize>d << 3), -zc);
  let d = 0;
  for (; d + 16 <= headDim; d += 16) {
    const od = o + (<usize>d << 3);
    for (let p0 = 0; p0 < nPairs; p0 += PAIR_CHUNK) {
      const end = pairs + <usize>min(nPairs, p0 + PAIR_CHUNK) * ENTRY_BYTES;
      let h0 = i32x4.splat(0), h1 = h0, h2 = h0, h3 = h0, l0 = h0, l1 = h0, l2 = h0, l3 = h0;
      for (let e = pairs + <usize>p0 * ENTRY_BYTES; e < end; e += ENTRY_BYTES) {
        const ent = v128.load(e);
        const ch = i32x4.shuffle(ent, ent, 2, 2, 2, 2);
        const cl = i32x4.shuffle(ent, ent, 3, 3, 3, 3);
        const v0 = v128.load(<usize>i32x4.extract_lane(ent, 0) + <usize>d);
        const v1 = v128.load(<usize>i32x4.extract_lane(ent, 1) + <usize>d);
        const a = i8x16.shuffle(v0, v1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const b = i8x16.shuffle(v0, v1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        const x0 = i16x8.extend_low_i8x16_s(a);
        const x1 = i16x8.extend_high_i8x16_s(a);
        const x2 = i16x8.extend_low_i8x16_s(b);
        const x3 = i16x8.extend_high_i8x16_s(b);
        h0 = i32x4.add(h0, i32x4.dot_i16x8_s(x0, ch));
        h1 = i32x4.add(h1, i32x4.dot_i16x8_s(x1, ch));
        h2 = i32x4.add(h2, i32x4.dot_i16x8_s(x2, ch));
        h3 = i32x4.add(h3, i32x4.dot_i16x8_s(x3, ch));
        l0 = i32x4.add(l0, i32x4.dot_i16x8_s(x0, cl));
        l1 = i32x4.add(l1, i32x4.dot_i16x8_s(x1, cl));
        l2 = i32x4.add(l2, i32x4.dot_i16x8_s(x2, cl));
        l3 = i32x4.add(l3, i32x4.dot_i16x8_s(x3, cl));
      }
      flush_limbs(od, h0, l0);
      flush_limbs(od + 32, h1, l1);
      flush_limbs(od + 64, h2, l2);
      flush_limbs(od + 96, h3, l3);
    }
  }
  for (; d + 8 <= headDim; d += 8) {
    const od = o + (<usize>d << 3);
    for (let p0 = 0; p0 < nPairs; p0 += PAIR_CHUNK) {
      const end = pairs + <usize>min(nPairs, p0 + PAIR_CHUNK) * ENTRY_BYTES;
      let h0 = i32x4.splat(0), h1 = h0, l0 = h0, l1 = h0;
      for (let e = pairs + <usize>p0 * ENTRY_BYTES; e < end; e += ENTRY_BYTES) {
        const ent = v128.load(e);
        const ch = i32x4.shuffle(ent, ent, 2, 2, 2, 2);
        const cl = i32x4.shuffle(ent, ent, 3, 3, 3, 3);
        const v0 = v128.load64_zero(<usize>i32x4.extract_lane(ent, 0) + <usize>d);
        const v1 = v128.load64_zero(<usize>i32x4.extract_lane(ent, 1) + <usize>d);
        const a = i8x16.shuffle(v0, v1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const x0 = i16x8.extend_low_i8x16_s(a);
        const x1 = i16x8.extend_high_i8x16_s(a);
        h0 = i32x4.add(h0, i32x4.dot_i16x8_s(x0, ch));
        h1 = i32x4.add(h1, i32x4.dot_i16x8_s(x1, ch));
        l0 = i32x4.add(l0, i32x4.dot_i16x8_s(x0, cl));
        l1 = i32x4.add(l1, i32x4.dot_i16x8_s(x1, cl));
      }
      flush_limbs(od, h0, l0);
      flush_limbs(od + 32, h1, l1);
    }
  }
  // columns past the last block of 8, one at a time
  const end = pairs + <usize>nPairs * ENTRY_BYTES;
  for (; d < headDim; d++) {
    let acc: i64 = 0;
    for (let e = pairs; e < end; e += ENTRY_BYTES) {
      const c0 = (<i64>load<i16>(e, 8) << 16) + <i64>load<i16>(e, 12);
      const c1 = (<i64>load<i16>(e, 10) << 16) + <i64>load<i16>(e, 14);
      acc += c0 * <i64>load<i8>(<usize>load<i32>(e) + <usize>d) + c1 * <i64>load<i8>(<usize>load<i32>(e, 4) + <usize>d);
    }
    const at = o + (<usize>d << 3);
    store<i64>(at, load<i64>(at) + acc);
  }
}

/**
 * P x V for one head, any c (the general path): o [headDim] int64 = sum over the entries of c * (v - z_v)
 * with c = cH * 2^24 + cL. Entry: int32 [v address, cH, cL, z_v].
 */
function pv_split(entries: usize, n: i32, headDim: i32, o: usize): void {
  const end = entries + <usize>n * ENTRY_BYTES;
  let d = 0;
  for (; d + 8 <= headDim; d += 8) {
    let h0 = i64x2.splat(0), h1 = h0, h2 = h0, h3 = h0, l0 = h0, l1 = h0, l2 = h0, l3 = h0;
    for (let e = entries; e < end; e += ENTRY_BYTES) {
      const ent = v128.load(e);
      const ch = i32x4.shuffle(ent, ent, 1, 1, 1, 1);
      const cl = i32x4.shuffle(ent, ent, 2, 2, 2, 2);
      const z = i32x4.shuffle(ent, ent, 3, 3, 3, 3);
      const v = v128.load8x8_s(<usize>i32x4.extract_lane(ent, 0) + <usize>d);
      const x0 = i32x4.sub(i32x4.extend_low_i16x8_s(v), z);
      const x1 = i32x4.sub(i32x4.extend_high_i16x8_s(v), z);
      h0 = i64x2.add(h0, i64x2.extmul_low_i32x4_s(x0, ch));
      h1 = i64x2.add(h1, i64x2.extmul_high_i32x4_s(x0, ch));
      h2 = i64x2.add(h2, i64x2.extmul_low_i32x4_s(x1, ch));
      h3 = i64x2.add(h3, i64x2.extmul_high_i32x4_s(x1, ch));
      l0 = i64x2.add(l0, i64x2.extmul_low_i32x4_s(x0, cl));
      l1 = i64x2.add(l1, i64x2.extmul_high_i32x4_s(x0, cl));
      l2 = i64x2.add(l2, i64x2.extmul_low_i32x4_s(x1, cl));
      l3 = i64x2.add(l3, i64x2.extmul_high_i32x4_s(x1, cl));
    }
    const od = o + (<usize>d << 3);
    v128.store(od, i64x2.add(i64x2.shl(h0, SPLIT_BITS), l0));
    v128.store(od, i64x2.add(i64x2.shl(h1, SPLIT_BITS), l1), 16);
    v128.store(od, i64x2.add(i64x2.shl(h2, SPLIT_BITS), l2), 32);
    v128.store(od, i64x2.add(i64x2.shl(h3, SPLIT_BITS), l3), 48);
  }
  // columns past the last block of 8, one at a time
  for (; d < headDim; d++) {
    let acc: i64 = 0;
    for (let e = entries; e < end; e += ENTRY_BYTES) {
      const c = (<i64>load<i32>(e, 4) << SPLIT_BITS) + <i64>load<i32>(e, 8);
      acc += c * <i64>(<i32>load<i8>(<usize>load<i32>(e) + <usize>d) - load<i32>(e, 12));
    }
    store<i64>(o + (<usize>d << 3), acc);
  }
}

/**
 * dst[j] = <i32>shift_round(src[j], sh) for n int64 (sh uniform: a left shift when sh <= 0), two
 * vectors of two at a time and a scalar tail: the heads' score normalisation and the row's shift.
 */
// @ts-ignore: decorator
@inline function shift_round_to_i32(src: usize, n: i32, sh: i32, dst: usize): void {
  const end = <usize>(n & ~3) << 3;
  if (sh <= 0) {
    for (let o: usize = 0; o < end; o += 32) {
      const a = i64x2.shl(v128.load(src + o), -sh);
      const b = i64x2.shl(v128.load(src + o, 16), -sh);
      v128.store(dst + (o >> 1), i32x4.shuffle(a, b, 0, 2, 4, 6));
    }
  } else if (sh > 62) {
    memory.fill(dst, 0, end >> 1);
  } else {
    const half = i64x2.splat(<i64>1 << (sh - 1));
    for (let o: usize = 0; o < end; o += 32) {
      const a = i64x2.shr_s(i64x2.add(v128.load(src + o), half), sh);
      const b = i64x2.shr_s(i64x2.add(v128.load(src + o, 16), half), sh);
      v128.store(dst + (o >> 1), i32x4.shuffle(a, b, 0, 2, 4, 6));
    }
  }
  for (let j = n & ~3; j < n; j++) store<i32>(dst + (<usize>j << 2), <i32>shift_round(load<i64>(src + (<usize>j << 3)), sh));
}

/** One fast-path pair entry: v row addresses and int16 limbs of c0, c1 (see pv_pairs). */
// @ts-ignore: decorator
@inline function store_pair(e: usize, at0: i32, c0: i64, at1: i32, c1: i64): void {
  const h0 = (c0 + 0x8000) >> 16; // c = h * 2^16 + l, -2^15 <= l < 2^15
  const h1 = (c1 + 0x8000) >> 16;
  store<i32>(e, at0);
  store<i32>(e, at1, 4);
  store<i16>(e, <i16>h0, 8);
  store<i16>(e, <i16>h1, 10);
  store<i16>(e, <i16>(c0 - (h0 << 16)), 12);
  store<i16>(e, <i16>(c1 - (h1 << 16)), 14);
}

/**
 * One head of one row: o [headDim] int64 (see the method). kr, vr: the row's reference exponents;
 * mRow, u: its score mantissa and that mantissa's shift. Uses only `scratch` (head scratch).
 */
function attention_head(
  qh: usize, zq: i32, kq: i32, len: i32, kvOff: usize,
  kc: usize, vc: usize, kvStride: i32,
  kM: usize, kK: usize, kZ: usize, vM: usize, vK: usize, vZ: usize,
  headDim: i32, cK: i32, kr: i32, vr: i32, mRow: i32, u: i32,
  scratch: usize, maxLen: i32, o: usize,
): void {
  const cap = len_cap(maxLen);
  const q16 = scratch; // int16 [roundUp(headDim, 8)] q - z_q
  const probs = q16 + q16_bytes(headDim); // uint16 [cap]
  const scores = probs + (cap << 1); // int32 [cap]
  const expScratch = scores + (cap << 2); // int32 [cap]
  const tBuf = expScratch + (cap << 2); // int64 [cap] rescaled scores before normalisation
  const entries = scores; // int32 [len, 4] P x V entries, after the softmax (16 * cap bytes from scores)

  // q - z_q in int16, once per head
  const zq8 = i16x8.splat(<i16>zq);
  const full = headDim & ~7;
  for (let d = 0; d < full; d += 8) {
    v128.store(q16 + (<usize>d << 1), i16x8.sub(v128.load8x8_s(qh + <usize>d), zq8));
  }
  for (let d = full; d < headDim; d++) store<i16>(q16 + (<usize>d << 1), <i16>(<i32>load<i8>(qh + <usize>d) - zq));

  // scores: exact dot products four positions at a time, then one exponent for the row
  const stride = <usize>kvStride;
  let mx: u64 = 0;
  let s = 0;
  for (; s + 4 <= len; s += 4) {
    const k0 = kc + <usize>s * stride + kvOff;
    const k1 = k0 + stride;
    const k2 = k1 + stride;
    const k3 = k2 + stride;
    const zk = kZ + (<usize>s << 2);
    const zk0 = load<i32>(zk), zk1 = load<i32>(zk, 4), zk2 = load<i32>(zk, 8), zk3 = load<i32>(zk, 12);
    const z0 = i16x8.splat(<i16>zk0), z1 = i16x8.splat(<i16>zk1), z2 = i16x8.splat(<i16>zk2), z3 = i16x8.splat(<i16>zk3);
    let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (let d = 0; d < full; d += 8) {
      const qv = v128.load(q16 + (<usize>d << 1));
      const dd = <usize>d;
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(qv, i16x8.sub(v128.load8x8_s(k0 + dd), z0)));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(qv, i16x8.sub(v128.load8x8_s(k1 + dd), z1)));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(qv, i16x8.sub(v128.load8x8_s(k2 + dd), z2)));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(qv, i16x8.sub(v128.load8x8_s(k3 + dd), z3)));
    }
    const sums = hsum4(a0, a1, a2, a3);
    let d0 = i32x4.extract_lane(sums, 0), d1 = i32x4.extract_lane(sums, 1);
    let d2 = i32x4.extract_lane(sums, 2), d3 = i32x4.extract_lane(sums, 3);
    if (full < headDim) {
      d0 += dot_tail(q16, k0, zk0, full, headDim);
      d1 += dot_tail(q16, k1, zk1, full, headDim);
      d2 += dot_tail(q16, k2, zk2, full, headDim);
      d3 += dot_tail(q16, k3, zk3, full, headDim);
    }
    mx = max(mx, rescale_score(d0, s, kM, kK, kr, tBuf));
    mx = max(mx, rescale_score(d1, s + 1, kM, kK, kr, tBuf));
    mx = max(mx, rescale_score(d2, s + 2, kM, kK, kr, tBuf));
    mx = max(mx, rescale_score(d3, s + 3, kM, kK, kr, tBuf));
  }
  for (; s < len; s++) {
    const kRow = kc + <usize>s * stride + kvOff;
    const zk = load<i32>(kZ + (<usize>s << 2));
    const z = i16x8.splat(<i16>zk);
    let a = i32x4.splat(0);
    for (let d = 0; d < full; d += 8) {
      a = i32x4.add(a, i32x4.dot_i16x8_s(v128.load(q16 + (<usize>d << 1)), i16x8.sub(v128.load8x8_s(kRow + <usize>d), z)));
    }
    const acc = i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3)
      + dot_tail(q16, kRow, zk, full, headDim);
    mx = max(mx, rescale_score(acc, s, kM, kK, kr, tBuf));
  }
  const sh = normalising_shift(mx, P_BITS);
  shift_round_to_i32(tBuf, len, sh, scores);
  // the row's score scale (m, k) for the softmax, in the (now free) q16 slot
  store<i32>(q16, mRow);
  store<i32>(q16, kq + cK + kr - sh - u, 4);
  di_softmax_rows(scores, 1, len, len, q16, q16 + 4, 0, len, 0, probs, len, 2, expScratch);

  // P x V: pairs of positions with P > 0 straight into the fast path's entries; the general path
  // rebuilds its own entries if some c is out of the fast path's range
  const vBase = vc + kvOff;
  const pairs = entries;
  let n = 0;
  let zc: i64 = 0; // sum of c * z_v
  let firstAt: i32 = 0; // the pending first position of a pair: v row address and c
  let firstC: i64 = 0;
  let pairable = true;
  for (let j = 0; j < len; j++) {
    const p = <i64>load<u16>(probs + (<usize>j << 1));
    if (p == 0) continue;
    const ji = <usize>j << 2;
    const c = shift_round(p * <i64>load<i32>(vM + ji), load<i32>(vK + ji) - vr);
    if (c < PAIR_C_MIN || c >= PAIR_C_MAX) {
      pairable = false;
      break;
    }
    zc += c * <i64>load<i32>(vZ + ji);
    const at = <i32>(vBase + <usize>j * stride);
    if (n & 1) store_pair(pairs + (<usize>(n >> 1) << 4), firstAt, firstC, at, c);
    else {
      firstAt = at;
      firstC = c;
    }
    n++;
  }
  if (pairable) {
    if (n & 1) store_pair(pairs + (<usize>(n >> 1) << 4), firstAt, firstC, firstAt, 0); // pad: c = 0
    pv_pairs(pairs, (n + 1) >> 1, headDim, zc, o);
    return;
  }
  n = 0;
  for (let j = 0; j < len; j++) {
    const p = <i64>load<u16>(probs + (<usize>j << 1));
    if (p == 0) continue;
    const ji = <usize>j << 2;
    const c = shift_round(p * <i64>load<i32>(vM + ji), load<i32>(vK + ji) - vr);
    const e = entries + <usize>n * ENTRY_BYTES;
    store<i32>(e, <i32>(vBase + <usize>j * stride));
    store<i32>(e, <i32>(c >> SPLIT_BITS), 4);
    store<i32>(e, <i32>(c & ((<i64>1 << SPLIT_BITS) - 1)), 8);
    store<i32>(e, load<i32>(vZ + ji), 12);
    n++;
  }
  pv_split(entries, n, headDim, o);
}

/** The row's shared score mantissa round(m_q * cM / 2^u) < 2^31 and its shift u, packed as (u << 32) | m. */
// @ts-ignore: decorator
@inline function row_score_mantissa(mq: i32, cM: i32): i64 {
  const prod = <i64>mq * <i64>cM;
  const u = max(0, bitlength_u64(<u64>prod) - 31);
  return (<i64>u << 32) | <i64><u32><i32>rshift_round_i64(prod, u);
}

/** Heads [h0, h1) of row r into accRow (int64, head h at column h * headDim). */
// @ts-ignore: decorator
@inline function row_heads(
  r: i32, q: usize, qStride: i32, qM: usize, qK: usize, qZ: usize, pos: usize,
  kc: usize, vc: usize, kvStride: i32,
  kM: usize, kK: usize, kZ: usize, vM: usize, vK: usize, vZ: usize,
  nHeads: i32, nKvHeads: i32, headDim: i32, cM: i32, cK: i32, h0: i32, h1: i32,
  scratch: usize, maxLen: i32, accRow: usize,
): void {
  const ri = <usize>r << 2;
  const len = load<i32>(pos + ri) + 1;
  const qRow = q + <usize>r * <usize>qStride;
  const kr = min_i32(kK, len);
  const vr = min_i32(vK, len);
  const mu = row_score_mantissa(load<i32>(qM + ri), cM);
  const group = nHeads / nKvHeads;
  for (let h = h0; h < h1; h++) {
    attention_head(
      qRow + <usize>(h * headDim), load<i32>(qZ + ri), load<i32>(qK + ri), len, <usize>((h / group) * headDim),
      kc, vc, kvStride, kM, kK, kZ, vM, vK, vZ,
      headDim, cK, kr, vr, <i32>mu, <i32>(mu >> 32),
      scratch, maxLen, accRow + (<usize>(h * headDim) << 3),
    );
  }
}

/** Row r's accumulators [width] int64 -> int8 output row and its (m, k, z); rowP int32 [width + 4]. */
function finish_row(
  r: i32, len: i32, vK: usize, accRow: usize, width: i32, rowP: usize,
  out: usize, outStride: i32, outM: usize, outK: usize, outZ: usize,
): void {
  const vr = min_i32(vK, len);
  // max |acc| as max(max acc, -min acc) over 0 (unsigned, so -(-2^63) is 2^63 as abs_i64 gives)
  let mx2 = i64x2.splat(0);
  let mn2 = mx2;
  let j = 0;
  for (; j + 2 <= width; j += 2) {
    const v = v128.load(accRow + (<usize>j << 3));
    mx2 = v128.bitselect(v, mx2, i64x2.gt_s(v, mx2));
    mn2 = v128.bitselect(v, mn2, i64x2.lt_s(v, mn2));
  }
  let mx = max(i64x2.extract_lane(mx2, 0), i64x2.extract_lane(mx2, 1));
  let mn = min(i64x2.extract_lane(mn2, 0), i64x2.extract_lane(mn2, 1));
  for (; j < width; j++) {
    const v = load<i64>(accRow + (<usize>j << 3));
    mx = max(mx, v);
    mn = min(mn, v);
  }
  const sh2 = normalising_shift(max(<u64>mx, <u64>(-mn)), P_BITS - 1);
  shift_round_to_i32(accRow, width, sh2, rowP);
  // the row range of p (with 0), for quantize_row_i8
  let lo4 = i32x4.splat(0);
  let hi4 = lo4;
  j = 0;
  for (; j + 4 <= width; j += 4) {
    const v = v128.load(rowP + (<usize>j << 2));
    lo4 = i32x4.min_s(lo4, v);
    hi4 = i32x4.max_s(hi4, v);
  }
  let lo = hmin_i32x4(lo4);
  let hi = hmax_i32x4(hi4);
  for (; j < width; j++) {
    const p = load<i32>(rowP + (<usize>j << 2));
    lo = min(lo, p);
    hi = max(hi, p);
  }
  quantize_row_i8(rowP, width, lo, hi, 1, 15 + vr - sh2, out + <usize>r * <usize>outStride);
  const ri = <usize>r << 2;
  store<i32>(outM + ri, rq_m);
  store<i32>(outK + ri, rq_k);
  store<i32>(outZ + ri, rq_z);
}

/** Every head of every row, quantized: the one-thread entry. */
export function di_attention_rows(
  q: usize, rows: i32, qStride: i32, qM: usize, qK: usize, qZ: usize,
  pos: usize,
  kc: usize, vc: usize, kvStride: i32,
  kM: usize, kK: usize, kZ: usize, vM: usize, vK: usize, vZ: usize,
  nHeads: i32, nKvHeads: i32, headDim: i32,
  cM: i32, cK: i32,
  scratch: usize, maxLen: i32,
  out: usize, outStride: i32, outM: usize, outK: usize, outZ: usize,
): void {
  const width = nHeads * headDim;
  const rowAcc = scratch + head_scratch_bytes(maxLen, headDim); // int64 [width] every head of the row
  const rowP = rowAcc + (<usize>width << 3); // int32 [width + 4]
  for (let r = 0; r < rows; r++) {
    row_heads(r, q, qStride, qM, qK, qZ, pos, kc, vc, kvStride, kM, kK, kZ, vM, vK, vZ,
      nHeads, nKvHeads, headDim, cM, cK, 0, nHeads, scratch, maxLen, rowAcc);
    finish_row(r, load<i32>(pos + (<usize>r << 2)) + 1, vK, rowAcc, width, rowP, out, outStride, outM, outK, outZ);
  }
}

/**
 * Heads [h0, h1) of every row into acc [rows, accStride] int64 (columns h0*headDim .. h1*headDim of each
 * row). scratch: head scratch of this thread only. Safe on a helper thread: no static memory.
 */
export function di_attention_heads(
  q: usize, rows: i32, qStride: i32, qM: usize, qK: usize, qZ: usize,
  pos: usize,
  kc: usize, vc: usize, kvStride: i32,
  kM: usize, kK: usize, kZ: usize, vM: usize, vK: usize, vZ: usize,
  nHeads: i32, nKvHeads: i32, headDim: i32,
  cM: i32, cK: i32, h0: i32, h1: i32,
  scratch: usize, maxLen: i32,
  acc: usize, accStride: i32,
): void {
  for (let r = 0; r < rows; r++) {
    row_heads(r, q, qStride, qM, qK, qZ, pos, kc, vc, kvStride, kM, kK, kZ, vM, vK, vZ,
      nHeads, nKvHeads, headDim, cM, cK, h0, h1, scratch, maxLen, acc + (<usize>r * <usize>accStride << 3));
  }
}

/** acc [rows, accStride] int64 (all heads done) -> out with per-row (m, k, z). scratch: int32 [width + 4]. */
export function di_attention_finish(
  rows: i32, pos: usize, vK: usize, acc: usize, accStride: i32, width: i32, scratch: usize,
  out: usize, outStride: i32, outM: usize, outK: usize, outZ: usize,
): void {
  for (let r = 0; r < rows; r++) {
    finish_row(r, load<i32>(pos + (<usize>r << 2)) + 1, vK, acc + (<usize>r * <usize>accStride << 3), width, scratch,
      out, outStride, outM, outK, outZ);
  }
}
