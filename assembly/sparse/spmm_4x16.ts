// Block-sparse x dense product, blocks of 4 output channels x 16 along K (layout: bindings/sparse/format.ts).
//   acc[i, n] = sum over stored blocks of a[i, k] * w[n, k]      (int32; |acc| < 2^31 for the validated K)
// then, fused into the tile store, stage 1 of the shared DI-MatMul epilogue (assembly/gemm/epilogue.ts):
//   out[i, n] = round_half_up((acc[i, n] - rowZero[i] * wsum[n]) * mant[n] / 2^shift), rowRange[i] updated
// (mant = 1, shift = 0 gives the zero-point-corrected int32 product; di_requant_rows then gives int8).
// Same arguments as a dense kernel plus the block-CSR arrays; range4 is scratch of 32 bytes per row.
// wsum and mant are padded with zeros to a multiple of 4 channels. Zero blocks are neither stored nor
// multiplied. One kernel serves SpMV (M = 1..4) and SpMM (any M): block rows are taken in chunks of
// about 256 KB of stored blocks (they stay in L2, like the dense kernels' channel blocks) while every
// pair of activation rows streams past; two rows share every weight load, and the 4 channels of a block
// share every activation load.
//
// Activations (every kernel): a [M][aStride] int8 with zero bytes in [K, Kp), Kp = K rounded up to 16, so a
// block that straddles the end of K multiplies zeros (the dense kernels have the same contract with their
// own Kp; bindings/sparse/spmm.ts copies into a padded buffer only when the caller's rows lack it).
// dot16 kernels (both builds): v128.load8x8_s sign-extends 8 activations or 8 int8 weights straight into
// an i16x8 operand of i32x4.dot_i16x8_s. int8 blocks are 64 bytes (row-major 4 x 16); int4 blocks are 32
// bytes: byte j of half h holds (row 2h, k j) in its low nibble and (row 2h+1, k j) in its high nibble,
// two's complement; one load8x8_s of 8 such bytes then yields 8 k of both rows with native i16 shifts
// (x64 has no 8-bit shifts: V8 expands i8x16.shr_s into several instructions, i16x8.shr_s is one).
//
// Relaxed kernel (relaxed build, int4 only): the weights, biased to w + 8 in 0..15 (xor 0x88 flips each
// nibble's sign bit), are the 7-bit operand of an i8 x i7 relaxed dot, which is then exact on every engine
// (DESIGN invariant 2); the bias is removed with 8 * sum(a) over the same stored blocks, accumulated
// alongside.
//
// Register budget (16 xmm in V8 x64): the 2-row tile holds 8 accumulators + 4 activation halves + 2
// weight temporaries = 14.

import { hsum4 } from "../common/simd";
import { storeRow4, rangeBegin, rangeEnd, chunkEnd, lowNibble16, highNibble16 } from "./reduce";

/** Activation rows per tile: a row pair shares every weight load (see the register budget). */
const M_TILE: i32 = 2;

// @ts-ignore: decorator
@inline function dot16(acc: v128, w: v128, x: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(w, x));
}

// @ts-ignore: decorator
@inline function spmm4x16Dot16(
  a: usize, aStride: i32, M: i32, rowptr: usize, colidx: usize, values: usize, N: i32,
  rowZero: usize, wsum: usize, mant: usize, shift: i32, out: usize, outStride: i32, rowRange: usize, range4: usize, int4: bool,
): void {
  const nbr = (N + 3) >> 2;
  const blockBytes: usize = int4 ? 32 : 64;
  const aRow = <usize>aStride; // int8 elements
  const outRow = <usize>outStride << 2;
  rangeBegin(range4, M);
  for (let c0 = 0; c0 < nbr; ) {
    const c1 = chunkEnd(rowptr, c0, nbr, blockBytes);
    for (let m0 = 0; m0 < M; m0 += M_TILE) {
      const m1 = min(m0 + M_TILE, M);
      for (let br = c0; br < c1; br++) {
        const p0 = load<i32>(rowptr + (<usize>br << 2));
        const p1 = load<i32>(rowptr + (<usize>br << 2), 4);
        const ws = v128.load(wsum + (<usize>br << 4)), mt = v128.load(mant + (<usize>br << 4));
        const n0 = br << 2;
        let i = m0;
        for (; i + 2 <= m1; i += 2) {
          const ar0 = a + <usize>i * aRow;
          const ar1 = ar0 + aRow;
          let c00 = i32x4.splat(0), c01 = c00, c02 = c00, c03 = c00;
          let c10 = c00, c11 = c00, c12 = c00, c13 = c00;
          for (let p = p0; p < p1; p++) {
            const col = <usize>load<u16>(colidx + (<usize>p << 1)) << 4; // 16 int8 per block column
            const wp = values + <usize>p * blockBytes;
            const x0l = v128.load8x8_s(ar0 + col), x0h = v128.load8x8_s(ar0 + col, 8);
            const x1l = v128.load8x8_s(ar1 + col), x1h = v128.load8x8_s(ar1 + col, 8);
            let w: v128;
            if (int4) {
              let b = v128.load8x8_s(wp); // rows 0 | 1, k 0..7
              w = lowNibble16(b); c00 = dot16(c00, w, x0l); c10 = dot16(c10, w, x1l);
              w = highNibble16(b); c01 = dot16(c01, w, x0l); c11 = dot16(c11, w, x1l);
              b = v128.load8x8_s(wp, 8); // rows 0 | 1, k 8..15
              w = lowNibble16(b); c00 = dot16(c00, w, x0h); c10 = dot16(c10, w, x1h);
              w = highNibble16(b); c01 = dot16(c01, w, x0h); c11 = dot16(c11, w, x1h);
              b = v128.load8x8_s(wp, 16); // rows 2 | 3, k 0..7
              w = lowNibble16(b); c02 = dot16(c02, w, x0l); c12 = dot16(c12, w, x1l);
              w = highNibble16(b); c03 = dot16(c03, w, x0l); c13 = dot16(c13, w, x1l);
              b = v128.load8x8_s(wp, 24); // rows 2 | 3, k 8..15
              w = lowNibble16(b); c02 = dot16(c02, w, x0h); c12 = dot16(c12, w, x1h);
              w = highNibble16(b); c03 = dot16(c03, w, x0h); c13 = dot16(c13, w, x1h);
            } else {
              w = v128.load8x8_s(wp); c00 = dot16(c00, w, x0l); c10 = dot16(c10, w, x1l);
              w = v128.load8x8_s(wp, 8); c00 = dot16(c00, w, x0h); c10 = dot16(c10, w, x1h);
              w = v128.load8x8_s(wp, 16); c01 = dot16(c01, w, x0l); c11 = dot16(c11, w, x1l);
              w = v128.load8x8_s(wp, 24); c01 = dot16(c01, w, x0h); c11 = dot16(c11, w, x1h);
              w = v128.load8x8_s(wp, 32); c02 = dot16(c02, w, x0l); c12 = dot16(c12, w, x1l);
              w = v128.load8x8_s(wp, 40); c02 = dot16(c02, w, x0h); c12 = dot16(c12, w, x1h);
              w = v128.load8x8_s(wp, 48); c03 = dot16(c03, w, x0l); c13 = dot16(c13, w, x1l);
              w = v128.load8x8_s(wp, 56); c03 = dot16(c03, w, x0h); c13 = dot16(c13, w, x1h);
            }
          }
          const o0 = out + <usize>i * outRow;
          storeRow4(o0, n0, N, hsum4(c00, c01, c02, c03), load<i32>(rowZero + (<usize>(i) << 2)), ws, mt, shift, range4 + (<usize>(i) << 5));
          storeRow4(o0 + outRow, n0, N, hsum4(c10, c11, c12, c13), load<i32>(rowZero + (<usize>(i + 1) << 2)), ws, mt, shift, range4 + (<usize>(i + 1) << 5));
        }
        if (i < m1) {
          const ar0 = a + <usize>i * aRow;
          let c00 = i32x4.splat(0), c01 = c00, c02 = c00, c03 = c00;
          for (let p = p0; p < p1; p++) {
            const col = <usize>load<u16>(colidx + (<usize>p << 1)) << 4;
            const wp = values + <usize>p * blockBytes;
            const x0l = v128.load8x8_s(ar0 + col), x0h = v128.load8x8_s(ar0 + col, 8);
            if (int4) {
              const b0 = v128.load8x8_s(wp), b1 = v128.load8x8_s(wp, 8);
              c00 = dot16(dot16(c00, lowNibble16(b0), x0l), lowNibble16(b1), x0h);
              c01 = dot16(dot16(c01, highNibble16(b0), x0l), highNibble16(b1), x0h);
              const b2 = v128.load8x8_s(wp, 16), b3 = v128.load8x8_s(wp, 24);
              c02 = dot16(dot16(c02, lowNibble16(b2), x0l), lowNibble16(b3), x0h);
              c03 = dot16(dot16(c03, highNibble16(b2), x0l), highNibble16(b3), x0h);
            } else {
              c00 = dot16(dot16(c00, v128.load8x8_s(wp), x0l), v128.load8x8_s(wp, 8), x0h);
              c01 = dot16(dot16(c01, v128.load8x8_s(wp, 16), x0l), v128.load8x8_s(wp, 24), x0h);
              c02 = dot16(dot16(c02, v128.load8x8_s(wp, 32), x0l), v128.load8x8_s(wp, 40), x0h);
              c03 = dot16(dot16(c03, v128.load8x8_s(wp, 48), x0l), v128.load8x8_s(wp, 56), x0h);
            }
          }
          storeRow4(out + <usize>i * outRow, n0, N, hsum4(c00, c01, c02, c03), load<i32>(rowZero + (<usize>(i) << 2)), ws, mt, shift, range4 + (<usize>(i) << 5));
        }
      }
    }
    c0 = c1;
  }
  rangeEnd(range4, M, rowRange);
}

/** int8 weights, 4x16 blocks (both builds). */
export function spmm_w8_4x16_dot16(
  a: usize, aStride: i32, M: i32, rowptr: usize, colidx: usize, values: usize, N: i32,
  rowZero: usize, wsum: usize, mant: usize, shift: i32, out: usize, outStride: i32, rowRange: usize, range4: usize,
): void {
  spmm4x16Dot16(a, aStride, M, rowptr, colidx, values, N, rowZero, wsum, mant, shift, out, outStride, rowRange, range4, false);
}

/** int4 weights, 4x16 blocks (both builds). */
export function spmm_w4_4x16_dot16(
  a: usize, aStride: i32, M: i32, rowptr: usize, colidx: usize, values: usize, N: i32,
  rowZero: usize, wsum: usize, mant: usize, shift: i32, out: usize, outStride: i32, rowRange: usize, range4: usize,
): void {
  spmm4x16Dot16(a, aStride, M, rowptr, colidx, values, N, rowZero, wsum, mant, shift, out, outStride, rowRange, range4, true);
}

/**
 * acc + pair sums of a * b7 (i16 lanes) with b7 in 0..15: i16x8.relaxed_dot_i8x16_i7x16_s is exact here
 * (|pair| <= 2 * 128 * 15 = 3840) and I16_GROUP of them still fit i16 (8 * 3840 = 30720 < 2^15), so the
 * widening to i32 happens once per group. Deliberately NOT the fused i32x4.relaxed_dot_i8x16_i7x16_add_s:
 * in Node 20.20 (V8 11.3, x64) its baseline-tier (Liftoff) code returns wrong sums (twice the dot, addend
 * dropped: a = b = splat(1), c = splat(5) gives 8, not 9) until the function tiers up, so results would
 * depend on how often a kernel had run (DESIGN invariant 2). The non-fused relaxed dot is correct in both
 * tiers (the test sweeps run in Liftoff and match the oracle).
 */
// @ts-ignore: decorator
@inline function pairDot(acc16: v128, a: v128, b7: v128): v128 {
  return i16x8.add(acc16, i16x8.relaxed_dot_i8x16_i7x16_s(a, b7));
}

/** acc32 + the i16 lanes of acc16 added pairwise into i32 lanes. */
// @ts-ignore: decorator
@inline function widenAdd(acc32: v128, acc16: v128): v128 {
  return i32x4.add(acc32, i32x4.extadd_pairwise_i16x8_s(acc16));
}

/** Blocks per i16 accumulation group (see pairDot; the activation sums z stay below 8 * 256). */
const I16_GROUP: i32 = 8;

/**
 * int4 weights, 4x16 blocks, padded int8 activations, relaxed dot (relaxed build only; the SIMD build
 * exports it as a trap so both builds have the same export list).
 */
export function spmm_w4_4x16_reldot(
  a: usize, aStride: i32, M: i32, rowptr: usize, colidx: usize, values: usize, N: i32,
  rowZero: usize, wsum: usize, mant: usize, shift: i32, out: usize, outStride: i32, rowRange: usize, range4: usize,
): void {
  if (!ASC_FEATURE_RELAXED_SIMD) {
    unreachable();
  } else {
    const nbr = (N + 3) >> 2;
    const aRow = <usize>aStride; // i8 elements
    const outRow = <usize>outStride << 2;
    rangeBegin(range4, M);
    const lowNibble = i8x16.splat(0x0f);
    const signBits = i8x16.splat(<i8>0x88);
    for (let c0 = 0; c0 < nbr; ) {
      const c1 = chunkEnd(rowptr, c0, nbr, 32);
      for (let m0 = 0; m0 < M; m0 += M_TILE) {
        const m1 = min(m0 + M_TILE, M);
        for (let br = c0; br < c1; br++) {
          const p0 = load<i32>(rowptr + (<usize>br << 2));
          const p1 = load<i32>(rowptr + (<usize>br << 2), 4);
          const ws = v128.load(wsum + (<usize>br << 4)), mt = v128.load(mant + (<usize>br << 4));
          const n0 = br << 2;
          let i = m0;
          for (; i + 2 <= m1; i += 2) {
            const ar0 = a + <usize>i * aRow;
            const ar1 = ar0 + aRow;
            let c00 = i32x4.splat(0), c01 = c00, c02 = c00, c03 = c00;
            let c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            let s0 = c00, s1 = c00;
            for (let p = p0; p < p1; ) {
              // i16 partial sums over a group of blocks, widened to i32 once per group
              const pe = min(p + I16_GROUP, p1);
              let t00 = i16x8.splat(0), t01 = t00, t02 = t00, t03 = t00;
              let t10 = t00, t11 = t00, t12 = t00, t13 = t00;
              let z0 = t00, z1 = t00;
              for (; p < pe; p++) {
                const col = <usize>load<u16>(colidx + (<usize>p << 1)) << 4; // 16 i8 per block column
                const wp = values + (<usize>p << 5);
                const x0 = v128.load(ar0 + col), x1 = v128.load(ar1 + col);
                let v = v128.xor(v128.load(wp), signBits);
                let u = v128.and(v, lowNibble);
                t00 = pairDot(t00, x0, u); t10 = pairDot(t10, x1, u);
                u = v128.and(i16x8.shr_u(v, 4), lowNibble);
                t01 = pairDot(t01, x0, u); t11 = pairDot(t11, x1, u);
                v = v128.xor(v128.load(wp, 16), signBits);
                u = v128.and(v, lowNibble);
                t02 = pairDot(t02, x0, u); t12 = pairDot(t12, x1, u);
                u = v128.and(i16x8.shr_u(v, 4), lowNibble);
                t03 = pairDot(t03, x0, u); t13 = pairDot(t13, x1, u);
                z0 = i16x8.add(z0, i16x8.extadd_pairwise_i8x16_s(x0));
                z1 = i16x8.add(z1, i16x8.extadd_pairwise_i8x16_s(x1));
              }
              c00 = widenAdd(c00, t00); c01 = widenAdd(c01, t01); c02 = widenAdd(c02, t02); c03 = widenAdd(c03, t03);
              c10 = widenAdd(c10, t10); c11 = widenAdd(c11, t11); c12 = widenAdd(c12, t12); c13 = widenAdd(c13, t13);
              s0 = widenAdd(s0, z0); s1 = widenAdd(s1, z1);
            }
            const o0 = out + <usize>i * outRow;
            const bias = hsum4(s0, s1, s0, s1); // [sum a0, sum a1, ..]: the w + 8 bias to take off
            const b0 = i32x4.splat(i32x4.extract_lane(bias, 0) << 3);
            const b1 = i32x4.splat(i32x4.extract_lane(bias, 1) << 3);
            storeRow4(o0, n0, N, i32x4.sub(hsum4(c00, c01, c02, c03), b0), load<i32>(rowZero + (<usize>(i) << 2)), ws, mt, shift, range4 + (<usize>(i) << 5));
            storeRow4(o0 + outRow, n0, N, i32x4.sub(hsum4(c10, c11, c12, c13), b1), load<i32>(rowZero + (<usize>(i + 1) << 2)), ws, mt, shift, range4 + (<usize>(i + 1) << 5));
          }
          if (i < m1) {
            const ar0 = a + <usize>i * aRow;
            let c00 = i32x4.splat(0), c01 = c00, c02 = c00, c03 = c00, s0 = c00;
            for (let p = p0; p < p1; ) {
              const pe = min(p + I16_GROUP, p1);
              let t00 = i16x8.splat(0), t01 = t00, t02 = t00, t03 = t00, z0 = t00;
              for (; p < pe; p++) {
                const col = <usize>load<u16>(colidx + (<usize>p << 1)) << 4;
                const wp = values + (<usize>p << 5);
                const x0 = v128.load(ar0 + col);
                let v = v128.xor(v128.load(wp), signBits);
                t00 = pairDot(t00, x0, v128.and(v, lowNibble));
                t01 = pairDot(t01, x0, v128.and(i16x8.shr_u(v, 4), lowNibble));
                v = v128.xor(v128.load(wp, 16), signBits);
                t02 = pairDot(t02, x0, v128.and(v, lowNibble));
                t03 = pairDot(t03, x0, v128.and(i16x8.shr_u(v, 4), lowNibble));
                z0 = i16x8.add(z0, i16x8.extadd_pairwise_i8x16_s(x0));
              }
              c00 = widenAdd(c00, t00); c01 = widenAdd(c01, t01); c02 = widenAdd(c02, t02); c03 = widenAdd(c03, t03);
              s0 = widenAdd(s0, z0);
            }
            const bias = hsum4(s0, s0, s0, s0);
            storeRow4(out + <usize>i * outRow, n0, N, i32x4.sub(hsum4(c00, c01, c02, c03), i32x4.shl(bias, 3)), load<i32>(rowZero + (<usize>(i) << 2)), ws, mt, shift, range4 + (<usize>(i) << 5));
          }
        }
      }
      c0 = c1;
    }
    rangeEnd(range4, M, rowRange);
  }
}
