// Per-row requantization of int32 rows to int8 for the nonlinear operators' outputs (norm, SwiGLU, RoPE)
// and for the residual stream before a matmul. Integer arithmetic only. Scalar TypeScript reference:
// bindings/ops/requant.ref.ts.
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// p [n] int32 with |p| < 2^30, real y = p * m_a / 2^k_a (m_a >= 1, k_a any sign), row range
// lo = min(0, min p), hi = max(0, max p)  ->  q [n] int8 with (m_y, k_y, z_y):
//     y ~ m_y / 2^k_y * (q - z_y)        -- the DI-MatMul epilogue's output format (assembly/gemm/epilogue.ts),
// so every op's int8 output feeds the next matmul unchanged.
// In 32-bit lanes, per row:
//   sp = max(0, bitlength(hi - lo) - 16), p' = round_half_up(p / 2^sp)       (so the range fits 16 bits)
//   R = max(hi' - lo', 1), S = bitlength(R) + 6, M = floor(253 * 2^S / R)   (one division; M < 2^15)
//   z_y = round_half_up(-lo' * M / 2^S) - 127,   q = round_half_up(p' * M / 2^S) + z_y
//   m_y = round_half_up(m_a 2^t / M) with t = 15 + bitlength(M) - bitlength(m_a), k_y = k_a + t - S - sp.
// |p' M| <= 253 * 2^S < 2^30, so each element costs one 32-bit multiply.
// Why not di_requant_rows: it rounds q from (p - lo) and z_y separately, so q - z_y carries both roundings
// (up to 1 step). Rounding p' alone and adding the integer z_y leaves half a step; 253 levels keep q
// within -127..127 without a clamp (round(v) + round(w) <= v + w + 1 <= 254).
// |error| <= REQUANT_MAX_ERROR_STEPS (0.5 + 2^-7 + 2^-8) output steps: half a step, the pre-shift's
// rounding (< 2^-8 step) and m_y's (m_y >= 2^14: relative 2^-15 over up to 253 steps, < 2^-7).

import { bitlength_i64 } from "../common/intmath";
import { hmin_i32x4, hmax_i32x4 } from "../common/simd";

// Output row parameters of the last quantize_row_i8 call.
export let rq_m: i32 = 0;
export let rq_k: i32 = 0;
export let rq_z: i32 = 0;

/** Quantizes one row (see the contract); sets rq_m, rq_k, rq_z. p and out may not alias. */
export function quantize_row_i8(p: usize, n: i32, lo: i32, hi: i32, ma: i32, ka: i32, out: usize): void {
  if (lo > 0) lo = 0;
  if (hi < 0) hi = 0;
  let sp = bitlength_i64(<i64>hi - <i64>lo) - 16;
  if (sp < 0) sp = 0;
  const ph = sp > 0 ? 1 << (sp - 1) : 0;
  const lo2 = (lo + ph) >> sp;
  const hi2 = (hi + ph) >> sp;
  let range = hi2 - lo2;
  if (range < 1) range = 1;
  const s = bitlength_i64(<i64>range) + 6;
  const mr = <i32>((<u32>253 << <u32>s) / <u32>range); // 253 * 2^s < 2^32 (s <= 23): a 32-bit division
  const half = 1 << (s - 1);
  const z = ((-lo2 * mr + half) >> s) - 127;
  const ph4 = i32x4.splat(ph);
  const mr4 = i32x4.splat(mr);
  // ((p' M + 2^(s-1)) >> s) + z == (p' M + 2^(s-1) + z 2^s) >> s, and |p' M| + |z| 2^s < 2^31
  const bias4 = i32x4.splat(half + (z << s));
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const o = p + (<usize>j << 2);
    const q0 = i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.shr_s(i32x4.add(v128.load(o), ph4), sp), mr4), bias4), s);
    const q1 = i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.shr_s(i32x4.add(v128.load(o, 16), ph4), sp), mr4), bias4), s);
    const q2 = i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.shr_s(i32x4.add(v128.load(o, 32), ph4), sp), mr4), bias4), s);
    const q3 = i32x4.shr_s(i32x4.add(i32x4.mul(i32x4.shr_s(i32x4.add(v128.load(o, 48), ph4), sp), mr4), bias4), s);
    v128.store(out + <usize>j, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
  }
  for (; j < n; j++) {
    const v = (load<i32>(p + (<usize>j << 2)) + ph) >> sp;
    store<i8>(out + <usize>j, <i8>(((v * mr + half) >> s) + z));
  }
  // m_y = round_half_up(m_a 2^t / M): m_a 2^(t+1) has bitlength 16 + bitlength(M) <= 31 and 2M < 2^16,
  // so the division runs in 32 bits. t + 1 < 0 when m_a is wide (31 bits) and M narrow: shift right then
  // (wasm masks negative shift counts); the reference's BigInt shift does the same floor division.
  const m = <u32>(ma < 1 ? 1 : ma);
  const t = 15 + bitlength_i64(<i64>mr) - bitlength_i64(<i64>m);
  const mt = t + 1 >= 0 ? m << <u32>(t + 1) : m >> <u32>(-(t + 1));
  rq_m = <i32>((mt + <u32>mr) / (<u32>mr << 1));
  rq_k = ka + t - s - sp;
  rq_z = z;
}

/**
 * Writes operator row r's result: mode 1 copies the int32 row p with its scale (m_a, k_a); mode 0
 * quantizes it with quantize_row_i8 and stores (m_y, k_y, z_y). Shared by norm, SwiGLU and RoPE.
 */
// @ts-ignore: decorator
@inline export function write_row_output(
  mode: i32, p: usize, n: i32, lo: i32, hi: i32, ma: i32, ka: i32,
  out: usize, outStride: i32, r: i32, outM: usize, outK: usize, outZ: usize,
): void {
  const ri = <usize>r << 2;
  if (mode == 1) {
    memory.copy(out + (<usize>r * <usize>outStride << 2), p, <usize>n << 2);
    store<i32>(outM + ri, ma);
    store<i32>(outK + ri, ka);
  } else {
    quantize_row_i8(p, n, lo, hi, ma, ka, out + <usize>r * <usize>outStride);
    store<i32>(outM + ri, rq_m);
    store<i32>(outK + ri, rq_k);
    store<i32>(outZ + ri, rq_z);
  }
}

/**
 * Rows of int32 (p [rows, n], row stride pStride, |p| < 2^30, per-row scales inM/inK int32 [rows]) to int8
 * rows (row stride outStride) with per-row (m_y, k_y, z_y) in outM/outK/outZ (int32 [rows]).
 */
export function di_requant_i32_rows(
  p: usize, rows: i32, n: i32, pStride: i32, inM: usize, inK: usize,
  out: usize, outStride: i32, outM: usize, outK: usize, outZ: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const ri = <usize>r << 2;
    const src = p + (<usize>r * <usize>pStride << 2);
    let lo4 = i32x4.splat(0);
    let hi4 = i32x4.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const v = v128.load(src + (<usize>j << 2));
      lo4 = i32x4.min_s(lo4, v);
      hi4 = i32x4.max_s(hi4, v);
    }
    let lo = hmin_i32x4(lo4);
    let hi = hmax_i32x4(hi4);
    for (; j < n; j++) {
      const v = load<i32>(src + (<usize>j << 2));
      lo = min(lo, v);
      hi = max(hi, v);
    }
    quantize_row_i8(src, n, lo, hi, load<i32>(inM + ri), load<i32>(inK + ri), out + <usize>r * <usize>outStride);
    store<i32>(outM + ri, rq_m);
    store<i32>(outK + ri, rq_k);
    store<i32>(outZ + ri, rq_z);
  }
}
