// The DI-MatMul epilogue (I-LLM's dynamic integer matmul output stage), shared by the dense GEMM/GEMV
// kernels (assembly/gemm/) and the sparse kernels. Integer arithmetic only. The scalar TypeScript
// reference with the same contract is bindings/gemm/epilogue.ref.ts; tests compare them exactly.
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// Inputs, for an output of M rows (tokens) x N channels:
//   acc[i,n]      int32  raw accumulator  sum_k a[i,k] * w[n,k]   (a: int8 activations, w: signed weights)
//   rowZero[i]    int32  activation zero point z_a of row i        (a_real = s_a,i * (a - z_a,i))
//   wsum[n]       int32  sum_k w[n,k]                               (precomputed when packing)
//   mant[n]       int32  per-channel weight-scale mantissa m_w,n >= 0 (s_w,n = m_w,n / 2^k_w, k_w shared)
//   shift         int32  rescale shift r, 0..62, chosen by the caller (see "Stage 1 bound")
//
// Stage 1, per-channel rescale (fused into the kernels' tile store; di_rescale_rows for a stored tile):
//   p[i,n] = round_half_up( (acc[i,n] - z_a,i * wsum[n]) * m_w,n / 2^r )          (int32)
//   which represents   y[i,n] = p[i,n] * s_a,i * 2^(r - k_w)
//   and records the row range  lo_i = min(0, min_n p[i,n]),  hi_i = max(0, max_n p[i,n])
//   into rowRange[i] = (lo_i, hi_i) (int32 pairs; start them at (0, 0): zero is always in the range,
//   so zero is exactly representable and the int8 zero point stays in -128..127).
//   Stage 1 bound: the caller picks r so that |p| < 2^30 for every possible input (|acc - z*wsum| < 2^31
//   too). bindings/gemm/ does this from K, the bit widths and max m_w. The "int32 output" of a matmul is
//   this p (pass m_w = 1, r = 0 to get the zero-point-corrected raw accumulator).
//
// Stage 2, per-row dynamic requantization to int8 (di_requant_rows): each row goes through the operators'
//   row quantizer (assembly/ops/requant.ts, quantize_row_i8) with the row range from stage 1 and the
//   real scale of p, m_a,i / 2^(k_a,i + expAdjust) where expAdjust = k_w - r:
//     one integer division per row, then q = round_half_up(p' * M / 2^S) + z_y per element (253 levels).
//   Output contract:   y[i,n]  ~  m_y / 2^k_y * (q[i,n] - z_y)
//   with |error| <= DI_REQUANT_MAX_ERROR_STEPS (0.5 + 2^-7) output steps + 0.5 * s_a,i * 2^(r - k_w) (stage 1).
//   The output triple (m_y, k_y, z_y) is the same format as the input (m_a, k_a, z_a), so a requantized
//   output feeds the next matmul directly; norm, SwiGLU, RoPE and attention outputs share it.
//
// Layout: all pointers are byte offsets into linear memory; strides are in elements of the buffer's type.
// acc and p may alias (in-place rescale). Nothing is allocated.

import { mul_dyadic_i32x4, rshift_round_i64 } from "../common/dyadic";
import { quantize_row_i8, rq_m, rq_k, rq_z } from "../ops/requant";

// DI_REQUANT_MAX_ERROR_STEPS (= 1 + 255 * 2^-15, the worst-case error of a requantized output in output
// steps) is a named constant in bindings/gemm/epilogue.ref.ts, checked there against float64; it is
// not defined here because the kernel wasm must carry no float.

// ── Stage 1 ──────────────────────────────────────────────────────────────────────────────────────

/** Stage 1 on four channels of one row. za: the row zero point splatted; wsum, mant: 4 channels. */
// @ts-ignore: decorator
@inline export function di_rescale_i32x4(acc: v128, za: v128, wsum: v128, mant: v128, shift: i32): v128 {
  const corrected = i32x4.sub(acc, i32x4.mul(za, wsum));
  return shift > 0 ? mul_dyadic_i32x4(corrected, mant, shift) : i32x4.mul(corrected, mant);
}

/** Stage 1 on one element (tails); bit-identical to di_rescale_i32x4 lane by lane. */
// @ts-ignore: decorator
@inline export function di_rescale_i32(acc: i32, za: i32, wsum: i32, mant: i32, shift: i32): i32 {
  const corrected = acc - za * wsum;
  return shift > 0 ? <i32>rshift_round_i64(<i64>corrected * <i64>mant, shift) : corrected * mant;
}

/** Folds four lanes of a running (min, max) pair into rowRange[i] = (lo, hi) in memory. */
// @ts-ignore: decorator
@inline export function di_range_merge(rowRangeAt: usize, lo4: v128, hi4: v128): void {
  let lo = load<i32>(rowRangeAt);
  let hi = load<i32>(rowRangeAt, 4);
  const l01 = min(i32x4.extract_lane(lo4, 0), i32x4.extract_lane(lo4, 1));
  const l23 = min(i32x4.extract_lane(lo4, 2), i32x4.extract_lane(lo4, 3));
  const h01 = max(i32x4.extract_lane(hi4, 0), i32x4.extract_lane(hi4, 1));
  const h23 = max(i32x4.extract_lane(hi4, 2), i32x4.extract_lane(hi4, 3));
  lo = min(lo, min(l01, l23));
  hi = max(hi, max(h01, h23));
  store<i32>(rowRangeAt, lo);
  store<i32>(rowRangeAt, hi, 4);
}

/**
 * Stage 1 over a stored accumulator tile: acc [m, n] (row stride accStride) -> p [m, n] (row stride
 * outStride; may alias acc), updating rowRange [m] x (lo, hi). rowZero [m], wsum [n], mant [n] are int32.
 */
export function di_rescale_rows(
  acc: usize, accStride: i32, m: i32, n: i32,
  rowZero: usize, wsum: usize, mant: usize, shift: i32,
  out: usize, outStride: i32, rowRange: usize,
): void {
  for (let i = 0; i < m; i++) {
    const src = acc + (<usize>i * <usize>accStride << 2);
    const dst = out + (<usize>i * <usize>outStride << 2);
    const z = load<i32>(rowZero + (<usize>i << 2));
    const za = i32x4.splat(z);
    let lo4 = i32x4.splat(0);
    let hi4 = i32x4.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const p = di_rescale_i32x4(v128.load(src + o), za, v128.load(wsum + o), v128.load(mant + o), shift);
      v128.store(dst + o, p);
      lo4 = i32x4.min_s(lo4, p);
      hi4 = i32x4.max_s(hi4, p);
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const p = di_rescale_i32(load<i32>(src + o), z, load<i32>(wsum + o), load<i32>(mant + o), shift);
      store<i32>(dst + o, p);
      lo4 = i32x4.min_s(lo4, i32x4.splat(p));
      hi4 = i32x4.max_s(hi4, i32x4.splat(p));
    }
    di_range_merge(rowRange + (<usize>i << 3), lo4, hi4);
  }
}

// ── Stage 2 ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Stage 2: p [m, n] int32 (row stride pStride) -> q [m, n] int8 (row stride outStride) with the row
 * parameters of the contract above. rowRange [m] x (lo, hi) from stage 1; inScaleM/inScaleK [m] the rows'
 * input scales; outScaleM/outScaleK/outZero [m] receive (m_y, k_y, z_y) (they may alias the input scales;
 * q may not alias p).
 */
export function di_requant_rows(
  p: usize, pStride: i32, m: i32, n: i32, rowRange: usize,
  inScaleM: usize, inScaleK: usize, expAdjust: i32,
  out: usize, outStride: i32, outScaleM: usize, outScaleK: usize, outZero: usize,
): void {
  for (let i = 0; i < m; i++) {
    const ri = <usize>i << 2;
    const range = rowRange + (<usize>i << 3);
    quantize_row_i8(p + (<usize>i * <usize>pStride << 2), n, load<i32>(range), load<i32>(range, 4),
      load<i32>(inScaleM + ri), load<i32>(inScaleK + ri) + expAdjust, out + <usize>i * <usize>outStride);
    store<i32>(outScaleM + ri, rq_m);
    store<i32>(outScaleK + ri, rq_k);
    store<i32>(outZero + ri, rq_z);
  }
}
