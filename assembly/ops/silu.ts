// DI-SiLU and DI-SwiGLU: x * sigmoid(x) from the integer exp, times the up projection, with FSBR's smoothed
// form (sigmoid evaluated on x / s_c for a per-channel dyadic s_c). Integer arithmetic only. Scalar
// TypeScript reference: bindings/ops/silu.ref.ts (tests compare exactly, both builds).
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// Input:  gate [rows, n] int8 (row stride gateStride) with per-row (m_g, k_g, z_g) in gateM/gateK/gateZ
//         (int32 [rows]): g = m_g / 2^k_g * (gate - z_g) -- the DI-MatMul epilogue's output format.
//         up [rows, n] int8 likewise with (upM, upK, upZ); up = 0 (null) computes SiLU alone.
//         smooth: int16 [n] with 1 / s_c = a_c / 2^smoothK (a_c >= 0); smooth = 0 (null): s_c = 1.
//         FSBR folds s into the weights (gate rows * s, up rows / s) so g * sigmoid(g / s) * u is exact.
// Output: y = g * sigmoid(g / s_c) [* u]
//         mode 0: int8 [rows, n] with per-row (m_y, k_y, z_y), the epilogue's format (assembly/ops/requant.ts);
//         mode 1: int32 p [rows, n] with per-row (m_a, k_a), y ~ p * m_a / 2^k_a (|p| < 2^30).
// Scratch: int32 [n + 4] (16-byte aligned).
//
// ── Method ───────────────────────────────────────────────────────────────────────────────────────
// d = gate - z_g; v = d * a_c (the sigmoid argument, real scale m_g / 2^(k_g + smoothK));
// e = DI-Exp(|v|) in Q29 (assembly/ops/exp.ts, parameters from that scale once per row);
// 1 / (1 + e) by Newton-Raphson in Q15 without division: D = (2^29 + e) >> 15 is (1 + e)/2 in Q15,
// X0 = 48/17 - 32/17 D, two steps X <- X (2 - D X) (error <= (1/17)^4, then Q14 rounding), and
// X in Q14 of 1/D is 1/(1 + e) in Q15; sigma = v >= 0 ? X : 2^15 - X.
// SiLU: p = d * sigma (|p| < 2^23, scale s_g 2^-15); SwiGLU: p = ((d * sigma) >> 2) * (up - z_u)
// (|p| < 2^29, scale s_g s_u 2^-13).

import { write_row_output } from "./requant";
import {
  exp_params, ep_pre, ep_mul, ep_shift, ep_clip_u,
  exp_z_i32x4, exp_z, exp_e16, exp_q16, pow2_p16, exp_deep, exp_a, exp_b, exp2_neg_q29, select_mask,
} from "./exp";
import { bitlength_i64, widen_i8_part } from "../common/intmath";

const RECIP_C48: i32 = 46261; // round(48/17 * 2^14)
const RECIP_C32: i32 = 30840; // round(32/17 * 2^14)

/** sigmoid in Q15 from e = exp(-|v|) in Q29 and the sign of v, four lanes. */
// @ts-ignore: decorator
@inline function sigmoid_q15_i32x4(v: v128, e: v128): v128 {
  const d = i32x4.shr_u(i32x4.add(e, i32x4.splat(1 << 29)), 15); // (1 + e) / 2 in Q15
  let x = i32x4.sub(i32x4.splat(RECIP_C48), i32x4.shr_s(i32x4.mul(d, i32x4.splat(RECIP_C32)), 15));
  x = i32x4.shr_s(i32x4.mul(x, i32x4.sub(i32x4.splat(1 << 15), i32x4.shr_s(i32x4.mul(d, x), 15))), 14);
  x = i32x4.shr_s(i32x4.mul(x, i32x4.sub(i32x4.splat(1 << 15), i32x4.shr_s(i32x4.mul(d, x), 15))), 14);
  const negative = i32x4.shr_s(v, 31);
  return select_mask(i32x4.sub(i32x4.splat(1 << 15), x), x, negative);
}

/** Scalar twin of DI-Exp + sigmoid_q15_i32x4, bit-identical. */
// @ts-ignore: decorator
@inline function sigmoid_q15(v: i32, pre: i32, mul: i32, shift: i32, clipU: i32): i32 {
  const e = exp2_neg_q29(exp_z(min(v < 0 ? -v : v, clipU), pre, mul, shift));
  const d = (e + (1 << 29)) >>> 15;
  let x = RECIP_C48 - ((d * RECIP_C32) >> 15);
  x = (x * ((1 << 15) - ((d * x) >> 15))) >> 14;
  x = (x * ((1 << 15) - ((d * x) >> 15))) >> 14;
  return v < 0 ? (1 << 15) - x : x;
}

export function di_swiglu_rows(
  gate: usize, rows: i32, n: i32, gateStride: i32, gateM: usize, gateK: usize, gateZ: usize,
  up: usize, upStride: i32, upM: usize, upK: usize, upZ: usize,
  smooth: usize, smoothK: i32,
  scratch: usize,
  mode: i32, out: usize, outStride: i32, outM: usize, outK: usize, outZ: usize,
): void {
  const pRow = scratch + 16;
  const hasUp = up != 0;
  const hasSmooth = smooth != 0;
  for (let r = 0; r < rows; r++) {
    const ri = <usize>r << 2;
    const g8 = gate + <usize>r * <usize>gateStride;
    const u8 = up + <usize>r * <usize>upStride;
    const zg = load<i32>(gateZ + ri);
    const zu = hasUp ? load<i32>(upZ + ri) : 0;
    const mg = load<i32>(gateM + ri);
    const kg = load<i32>(gateK + ri);
    exp_params(mg, kg + (hasSmooth ? smoothK : 0));
    const pre = ep_pre, mul = ep_mul, shift = ep_shift, clipU = ep_clip_u;
    const mul4 = i32x4.splat(mul), clip4 = i32x4.splat(clipU);
    const zg4 = i32x4.splat(zg);
    const zu4 = i32x4.splat(zu);
    let lo4 = i32x4.splat(0);
    let hi4 = i32x4.splat(0);
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      const gv = v128.load(g8 + <usize>j);
      const uv = hasUp ? v128.load(u8 + <usize>j) : i32x4.splat(0);
      for (let part = 0; part < 4; part += 2) {
        const c = j + part * 4;
        const d0 = i32x4.sub(widen_i8_part(gv, part), zg4);
        const d1 = i32x4.sub(widen_i8_part(gv, part + 1), zg4);
        const v0 = hasSmooth ? i32x4.mul(d0, v128.load16x4_s(smooth + (<usize>c << 1))) : d0;
        const v1 = hasSmooth ? i32x4.mul(d1, v128.load16x4_s(smooth + (<usize>(c + 4) << 1))) : d1;
        const z0 = exp_z_i32x4(i32x4.min_s(i32x4.abs(v0), clip4), pre, mul4, shift);
        const z1 = exp_z_i32x4(i32x4.min_s(i32x4.abs(v1), clip4), pre, mul4, shift);
        const e16 = exp_e16(z0, z1);
        const q = exp_q16(z0, z1);
        const p16 = pow2_p16(q);
        const deep = exp_deep(q);
        const ea = exp_a(e16, p16, deep);
        const eb = exp_b(p16, deep);
        let p0 = i32x4.mul(d0, sigmoid_q15_i32x4(v0, i32x4.extmul_low_i16x8_u(ea, eb)));
        let p1 = i32x4.mul(d1, sigmoid_q15_i32x4(v1, i32x4.extmul_high_i16x8_u(ea, eb)));
        if (hasUp) {
          p0 = i32x4.mul(i32x4.shr_s(p0, 2), i32x4.sub(widen_i8_part(uv, part), zu4));
          p1 = i32x4.mul(i32x4.shr_s(p1, 2), i32x4.sub(widen_i8_part(uv, part + 1), zu4));
        }
        v128.store(pRow + (<usize>c << 2), p0);
        v128.store(pRow + (<usize>c << 2), p1, 16);
        lo4 = i32x4.min_s(lo4, i32x4.min_s(p0, p1));
        hi4 = i32x4.max_s(hi4, i32x4.max_s(p0, p1));
      }
    }
    let lo = min(min(i32x4.extract_lane(lo4, 0), i32x4.extract_lane(lo4, 1)), min(i32x4.extract_lane(lo4, 2), i32x4.extract_lane(lo4, 3)));
    let hi = max(max(i32x4.extract_lane(hi4, 0), i32x4.extract_lane(hi4, 1)), max(i32x4.extract_lane(hi4, 2), i32x4.extract_lane(hi4, 3)));
    for (; j < n; j++) {
      const d = <i32>load<i8>(g8 + <usize>j) - zg;
      const v = hasSmooth ? d * <i32>load<i16>(smooth + (<usize>j << 1)) : d;
      let p = d * sigmoid_q15(v, pre, mul, shift, clipU);
      if (hasUp) p = (p >> 2) * (<i32>load<i8>(u8 + <usize>j) - zu);
      store<i32>(pRow + (<usize>j << 2), p);
      lo = min(lo, p);
      hi = max(hi, p);
    }

    // p's scale: m_g / 2^(k_g + 15), or m_g m_u / 2^(k_g + k_u + 13) renormalised to 31 bits
    let ma = <i64>(mg < 1 ? 1 : mg);
    let ka = kg + 15;
    if (hasUp) {
      const mu = load<i32>(upM + ri);
      ma *= <i64>(mu < 1 ? 1 : mu);
      ka = kg + load<i32>(upK + ri) + 13;
      const excess = bitlength_i64(ma) - 31;
      if (excess > 0) {
        ma >>= excess;
        ka -= excess;
      }
    }

    write_row_output(mode, pRow, n, lo, hi, <i32>ma, ka, out, outStride, r, outM, outK, outZ);
  }
}
