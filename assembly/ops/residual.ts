// Residual add of the int32 residual stream and an int8 branch output, each with its own per-token
// dyadic scale: the scales are aligned by shifts (the stream) and one integer multiply (the branch).
// Integer arithmetic only. Scalar TypeScript reference: bindings/ops/residual.ref.ts.
//
// ── Contract: the residual stream ────────────────────────────────────────────────────────────────
// a [rows, n] int32 (row stride aStride), real a = a_int * m_a / 2^k_a (per-row aM/aK, int32 [rows],
// m_a >= 1, k any sign), with |a_int| < 2^30 (the stream's invariant; every add restores it).
// b [rows, n] int8 (row stride bStride) with per-row (m_b, k_b, z_b): b_real = m_b / 2^k_b * (b - z_b),
// the DI-MatMul epilogue's output format (o_proj, down_proj).
// out [rows, n] int32 (may alias a) with per-row (m_o, k_o) in outM/outK (may alias aM/aK):
//   out = round(a 2^-t) + round((b - z_b) * MB / 2^KB),  m_o = m_a, k_o = k_a - t
//   (t > 30 only when the branch dwarfs the stream: round(a 2^-t) is then 0 since |a| < 2^30)
// where t is chosen per row so that the bound max|a| 2^-t + 255 s_b / s_o stays below 2^29: the stream
// keeps 28..29 significant bits whatever the magnitudes, and |out| < 2^30 again. The stream's mantissa
// never changes; only its exponent moves (a shift), and the branch is brought to it with one multiply
// MB / 2^KB = s_b / s_o (MB 30..31 bits, from one division per row).

import { mul_dyadic_i32x4, rshift_round_i64 } from "../common/dyadic";
import { bitlength_i64, mul_pow2_div, SAT62, widen_i8_part } from "../common/intmath";

/** Rounding right shift by t >= 1 without overflow: floor(a / 2^t) + bit (t-1) of a. */
// @ts-ignore: decorator
@inline function shr_round_i32x4(a: v128, t: i32): v128 {
  return i32x4.add(i32x4.shr_s(a, t), v128.and(i32x4.shr_u(a, t - 1), i32x4.splat(1)));
}

export function di_residual_add_rows(
  a: usize, rows: i32, n: i32, aStride: i32, aM: usize, aK: usize,
  b: usize, bStride: i32, bM: usize, bK: usize, bZ: usize,
  out: usize, outStride: i32, outM: usize, outK: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const ri = <usize>r << 2;
    const ar = a + (<usize>r * <usize>aStride << 2);
    const br = b + <usize>r * <usize>bStride;
    const dr = out + (<usize>r * <usize>outStride << 2);
    let ma = <i64>load<i32>(aM + ri);
    if (ma < 1) ma = 1;
    const ka = load<i32>(aK + ri);
    let mb = <i64>load<i32>(bM + ri);
    if (mb < 0) mb = 0;
    const kb = load<i32>(bK + ri);
    const zb = load<i32>(bZ + ri);

    // max |a|
    let mx4 = i32x4.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) mx4 = i32x4.max_u(mx4, i32x4.abs(v128.load(ar + (<usize>j << 2))));
    let maxA = max<u32>(
      max<u32>(i32x4.extract_lane(mx4, 0), i32x4.extract_lane(mx4, 1)),
      max<u32>(i32x4.extract_lane(mx4, 2), i32x4.extract_lane(mx4, 3)),
    );
    for (; j < n; j++) {
      const v = load<i32>(ar + (<usize>j << 2));
      maxA = max<u32>(maxA, <u32>(v < 0 ? -v : v));
    }

    // bound in units of s_a: max|a| + ceil(255 s_b / s_a); t puts it below 2^29
    const bBound = mul_pow2_div(255 * mb, ka - kb, ma) + 1;
    let bound = <i64>maxA + bBound;
    if (bound > SAT62) bound = SAT62;
    let t = bitlength_i64(bound) - 29;
    if (bBound > SAT62) {
      // the branch exceeds the stream by more than 2^54: size t from the ratio's bit length instead
      const tb = bitlength_i64(255 * mb) - bitlength_i64(ma) + (ka - kb) + 1 - 29;
      if (tb > t) t = tb;
    }

    // MB / 2^KB = s_b / s_o = m_b 2^(k_a - k_b - t) / m_a
    const x = 30 + bitlength_i64(ma) - bitlength_i64(mb);
    let mbq = (mb << x) / ma;
    let kbq = x - (ka - kb - t);
    if (mbq == 0 || kbq > 62) {
      mbq = 0;
      kbq = 1;
    } else if (kbq < 1) {
      kbq = 1; // unreachable by the bound above; keeps the shift defined
    }
    const mb4 = i32x4.splat(<i32>mbq);
    const zb4 = i32x4.splat(zb);

    j = 0;
    for (; j + 16 <= n; j += 16) {
      const bv = v128.load(br + <usize>j);
      for (let part = 0; part < 4; part++) {
        const o = <usize>(j + part * 4) << 2;
        let av = v128.load(ar + o);
        av = t > 30 ? i32x4.splat(0) : t > 0 ? shr_round_i32x4(av, t) : i32x4.shl(av, -t);
        const bb = mul_dyadic_i32x4(i32x4.sub(widen_i8_part(bv, part), zb4), mb4, kbq);
        v128.store(dr + o, i32x4.add(av, bb));
      }
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      let av = load<i32>(ar + o);
      av = t > 30 ? 0 : t > 0 ? (av >> t) + ((av >>> (t - 1)) & 1) : av << -t;
      const bb = <i32>rshift_round_i64(<i64>(<i32>load<i8>(br + <usize>j) - zb) * mbq, kbq);
      store<i32>(dr + o, av + bb);
    }
    store<i32>(outM + ri, <i32>ma);
    store<i32>(outK + ri, ka - t);
  }
}
