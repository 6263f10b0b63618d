// Fewer activation levels for the low-bit modes (A6, A4): re-quantizes int8 rows in place to 2^bits levels,
// so the next matmul sees genuinely bits-wide activations while every kernel keeps its int8 interface.
// Integer arithmetic only. Scalar TypeScript reference: bindings/ops/levels.ref.ts.
//
// ── Contract ─────────────────────────────────────────────────────────────────────────────────────
// q [rows, n] int8 (row stride qStride) with per-row (m, k, z): real = m / 2^k * (q - z). levels L = 2^bits - 1
// (bits 2..7). Per row, with lo = min(q, z) and hi = max(q, z) (the real zero stays inside the range):
//   R  = max(hi - lo, 1);   q' = round_half_up((q - lo) * L / R) - 128   in -128 .. L - 128
//   z' = round_half_up((z - lo) * L / R) - 128
//   m' = round_half_up(m * R * 2^t / L) with t chosen so m' lands in [2^14, 2^15),   k' = k + t
// so real ~ m' / 2^k' * (q' - z'), the same row format, in place. When R <= L the row already fits in L
// levels and is left unchanged.

import { rshift_round_i64 } from "../common/dyadic";
import { bitlength_i64 } from "../common/intmath";

export function reduce_levels_rows(q: usize, rows: i32, n: i32, qStride: i32, qM: usize, qK: usize, qZ: usize, bits: i32): void {
  const L = (1 << bits) - 1;
  for (let r = 0; r < rows; r++) {
    const ri = <usize>r << 2;
    const row = q + <usize>r * <usize>qStride;
    const z = load<i32>(qZ + ri);
    let lo = z;
    let hi = z;
    for (let j = 0; j < n; j++) {
      const v = <i32>load<i8>(row + <usize>j);
      lo = min(lo, v);
      hi = max(hi, v);
    }
    const range = hi - lo;
    if (range <= L) continue;
    // (v - lo) * L / R with round half up: floor(((v - lo) * 2L + R) / 2R)
    const twoR = range << 1;
    for (let j = 0; j < n; j++) {
      const v = <i32>load<i8>(row + <usize>j);
      store<i8>(row + <usize>j, <i8>((((v - lo) * (L << 1) + range) / twoR) - 128));
    }
    store<i32>(qZ + ri, (((z - lo) * (L << 1) + range) / twoR) - 128);
    const num = <i64>load<i32>(qM + ri) * <i64>range; // m * R
    const t = 15 - (bitlength_i64(num) - bitlength_i64(<i64>L)); // m * R * 2^t / L near 2^15
    const scaled = t >= 0 ? num << t : rshift_round_i64(num, -t);
    store<i32>(qM + ri, <i32>((scaled * 2 + L) / (<i64>L * 2)));
    store<i32>(qK + ri, load<i32>(qK + ri) + t);
  }
}
