// DI-Norm: RMSNorm and LayerNorm on integer rows. Integer arithmetic only: a 64-bit sum of squares, an
// integer square root and one division per row. Scalar TypeScript reference:
// bindings/ops/norm.ref.ts (tests compare exactly, both builds).
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// Input:  x [rows, n] int32 (row stride xStride), real x = x_int * m_r / 2^k_r (per-row scales inM/inK,
//         int32 [rows]; they matter only through eps). The residual stream's contract
//         (assembly/ops/residual.ts) keeps |x_int| < 2^30; LayerNorm (center = 1) requires that.
//         eps = epsM / 2^epsK (epsM = 0: no eps).
//         gamma: int16 [n] mantissas, gamma_c = g_c / 2^gammaK; gamma = 0 (null) means no gamma (folded into
//         the next weights offline: bindings/ops/norm.ts foldNormIntoLinear).
// Output: y_c = (x_c - mean) / sqrt(mean_c((x - mean)^2) + eps) * gamma_c  (mean = 0 for RMSNorm)
//         mode 0: int8 [rows, n] (row stride outStride) with per-row (m_y, k_y, z_y) in outM/outK/outZ:
//                 y ~ m_y / 2^k_y * (q - z_y) -- the DI-MatMul epilogue's format, made by
//                 assembly/ops/requant.ts (half-step rounding), ready for the next matmul.
//         mode 1: int32 p [rows, n] with per-row (m_a, k_a): y ~ p * m_a / 2^k_a (|p| <= 2^P_BITS; no
//                 rounding to 8 bits, for consumers that want more precision). outZ is not written.
// Scratch: int32 [n + 4] (16-byte aligned).
//
// ── Method, per row ──────────────────────────────────────────────────────────────────────────────
// mean = floor((2 sum + n) / 2n) (LayerNorm); d = x - mean; sh = max(0, bitlength(max|d|) - 15);
// x' = d >> sh (|x'| <= 2^15: 15 bits of the row's largest element, ample for the row's scale);
// S = sum x'^2 + n * eps / (s^2 2^(2 sh))   (64-bit; eps converted to x' units with one division);
// p_c = round(d_c g_c / 2^shp) (or round(d_c / 2^shp)) from the full d, 64-bit products, with
//   shp = max(0, bitlength(max|d|) + bitlength(max|g|) - P_BITS): p keeps P_BITS bits of the row's
//   largest product. (Multiplying x' by g instead left a row whose outliers push x' of the bulk down to
//   ~7 bits with 0.4% error: issue 19, seed 1360365735.) Its real scale 2^(shp - sh - gammaK) sqrt(n / S):
//   SN = isqrt(n 2^tn) (once per call), y = inv_sqrt_q30(S 2^t) ~ 2^60 / sqrt(S 2^t) (even shifts to
//   61..62 bits; Newton without division), m_a = floor(SN y / 2^31), k_a = gammaK + 29 + (tn - t)/2 + sh - shp.
// x / rms(x) does not depend on x's scale, so the scale enters only through eps.

import { write_row_output } from "./requant";
import { bitlength_u32, even_norm_shift, inv_sqrt_q30, isqrt_i64, mul_pow2_div, shift_i64, SAT62 } from "../common/intmath";

/** Bits p keeps of the row's largest (x - mean) * gamma (|p| <= 2^P_BITS). */
export const P_BITS: i32 = 29;

export function di_norm_rows(
  x: usize, rows: i32, n: i32, xStride: i32,
  inM: usize, inK: usize,
  epsM: i32, epsK: i32,
  gamma: usize, gammaK: i32,
  center: i32,
  scratch: usize,
  mode: i32, out: usize, outStride: i32, outM: usize, outK: usize, outZ: usize,
): void {
  const pRow = scratch + 16; // int32 [n]
  // sqrt(n) 2^(tn/2) with 31 bits, once per call
  const tn = even_norm_shift(<i64>n);
  const sn = isqrt_i64(shift_i64(<i64>n, tn));
  // bit length of max |g|, once per call (0 without gamma)
  let gb = 0;
  if (gamma != 0) {
    let gm: u32 = 0;
    for (let j = 0; j < n; j++) {
      const g = <i32>load<i16>(gamma + (<usize>j << 1));
      gm = max<u32>(gm, <u32>(g < 0 ? -g : g));
    }
    gb = bitlength_u32(gm);
  }
  for (let r = 0; r < rows; r++) {
    const src = x + (<usize>r * <usize>xStride << 2);
    const ri = <usize>r << 2;

    // mean (LayerNorm only)
    let mean: i32 = 0;
    if (center != 0) {
      let s0 = i64x2.splat(0);
      let s1 = i64x2.splat(0);
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const v = v128.load(src + (<usize>j << 2));
        s0 = i64x2.add(s0, i64x2.extend_low_i32x4_s(v));
        s1 = i64x2.add(s1, i64x2.extend_high_i32x4_s(v));
      }
      const s = i64x2.add(s0, s1);
      let sum = i64x2.extract_lane(s, 0) + i64x2.extract_lane(s, 1);
      for (; j < n; j++) sum += <i64>load<i32>(src + (<usize>j << 2));
      const num = 2 * sum + <i64>n;
      const den = 2 * <i64>n;
      let q = num / den;
      if (num % den != 0 && num < 0) q -= 1;
      mean = <i32>q;
    }
    const mean4 = i32x4.splat(mean);

    // max |x - mean| -> pre-shift
    let mx4 = i32x4.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      mx4 = i32x4.max_u(mx4, i32x4.abs(i32x4.sub(v128.load(src + (<usize>j << 2)), mean4)));
    }
    let maxAbs = max<u32>(
      max<u32>(i32x4.extract_lane(mx4, 0), i32x4.extract_lane(mx4, 1)),
      max<u32>(i32x4.extract_lane(mx4, 2), i32x4.extract_lane(mx4, 3)),
    );
    for (; j < n; j++) {
      const d = load<i32>(src + (<usize>j << 2)) - mean;
      maxAbs = max<u32>(maxAbs, <u32>(d < 0 ? -d : d));
    }
    let sh = bitlength_u32(maxAbs) - 15;
    if (sh < 0) sh = 0;
    let shp = bitlength_u32(maxAbs) + gb - P_BITS;
    if (shp < 0) shp = 0;
    const half: i64 = shp > 0 ? (<i64>1) << (shp - 1) : 0;
    const half2 = i64x2.splat(half);
    const one4 = i32x4.splat(1);

    // x' = (x - mean) >> sh: sum of squares; p = round((x - mean) g / 2^shp), and p's range
    let q0 = i64x2.splat(0);
    let q1 = i64x2.splat(0);
    let lo4 = i32x4.splat(0);
    let hi4 = i32x4.splat(0);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const d = i32x4.sub(v128.load(src + o), mean4);
      const xs = i32x4.shr_s(d, sh);
      const sq = i32x4.mul(xs, xs);
      q0 = i64x2.add(q0, i64x2.extend_low_i32x4_u(sq));
      q1 = i64x2.add(q1, i64x2.extend_high_i32x4_u(sq));
      let p: v128;
      if (gamma != 0) {
        const g = v128.load16x4_s(gamma + (<usize>j << 1));
        const pl = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(d, g), half2), shp);
        const ph = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(d, g), half2), shp);
        p = i8x16.shuffle(pl, ph, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
      } else {
        // round(d / 2^shp) without overflow: ((d >> (shp - 1)) + 1) >> 1
        p = shp > 0 ? i32x4.shr_s(i32x4.add(i32x4.shr_s(d, shp - 1), one4), 1) : d;
      }
      v128.store(pRow + o, p);
      lo4 = i32x4.min_s(lo4, p);
      hi4 = i32x4.max_s(hi4, p);
    }
    const qs = i64x2.add(q0, q1);
    let sumSq = i64x2.extract_lane(qs, 0) + i64x2.extract_lane(qs, 1);
    let lo = min(min(i32x4.extract_lane(lo4, 0), i32x4.extract_lane(lo4, 1)), min(i32x4.extract_lane(lo4, 2), i32x4.extract_lane(lo4, 3)));
    let hi = max(max(i32x4.extract_lane(hi4, 0), i32x4.extract_lane(hi4, 1)), max(i32x4.extract_lane(hi4, 2), i32x4.extract_lane(hi4, 3)));
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const d = load<i32>(src + o) - mean;
      const xs = d >> sh;
      sumSq += <i64><u32>(xs * xs);
      const p = gamma != 0
        ? <i32>((<i64>d * <i64>load<i16>(gamma + (<usize>j << 1)) + half) >> shp)
        : shp > 0 ? ((d >> (shp - 1)) + 1) >> 1 : d;
      store<i32>(pRow + o, p);
      lo = min(lo, p);
      hi = max(hi, p);
    }

    // eps in x' units: n * epsM * 2^(2k - epsK - 2sh) / m^2
    let total = sumSq;
    if (epsM > 0) {
      let m = <i64>load<i32>(inM + ri);
      if (m < 1) m = 1;
      const e = 2 * load<i32>(inK + ri) - epsK - 2 * sh;
      total += mul_pow2_div(<i64>n * <i64>epsM, e, m * m);
      if (total > SAT62) total = SAT62;
    }

    // p's scale 2^(shp - sh - gammaK) * sqrt(n / total) as m_a / 2^k_a, with y ~ 2^60 / sqrt(total 2^t)
    let ma: i64 = 1;
    let ka: i32 = 0;
    if (total > 0) {
      const t = even_norm_shift(total);
      const y = inv_sqrt_q30(shift_i64(total, t));
      ma = (sn * y) >> 31;
      ka = gammaK + 29 + ((tn - t) >> 1) + sh - shp;
    }

    write_row_output(mode, pRow, n, lo, hi, <i32>ma, ka, out, outStride, r, outM, outK, outZ);
  }
}
