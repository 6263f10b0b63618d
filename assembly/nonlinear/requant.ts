// Requantization of int32 rows with a per-row dyadic scale (the residual stream, or any op's int32
// output) to int8 rows in the DI-MatMul epilogue's format. The per-row arithmetic is the epilogue's
// (assembly/epilogue.ts di_requant_rows); this file only finds each row's range first.
//
// Contract: p [rows, n] int32 (row stride pStride), |p| < 2^30, real p * m_r / 2^k_r (inM/inK int32 [rows])
// -> q [rows, n] int8 (row stride outStride) with per-row (m_y, k_y, z_y): real ~ m_y / 2^k_y * (q - z_y),
// error <= DI_REQUANT_MAX_ERROR_STEPS output steps. Scratch: 8 bytes (the row range).

import { di_requant_rows } from "../epilogue";

export function di_requant_i32_rows(
  p: usize, rows: i32, n: i32, pStride: i32, inM: usize, inK: usize,
  scratch: usize,
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
    let lo = min(min(i32x4.extract_lane(lo4, 0), i32x4.extract_lane(lo4, 1)), min(i32x4.extract_lane(lo4, 2), i32x4.extract_lane(lo4, 3)));
    let hi = max(max(i32x4.extract_lane(hi4, 0), i32x4.extract_lane(hi4, 1)), max(i32x4.extract_lane(hi4, 2), i32x4.extract_lane(hi4, 3)));
    for (; j < n; j++) {
      const v = load<i32>(src + (<usize>j << 2));
      lo = min(lo, v);
      hi = max(hi, v);
    }
    store<i32>(scratch, lo);
    store<i32>(scratch, hi, 4);
    di_requant_rows(
      src, 0, 1, n, scratch, inM + ri, inK + ri, 0,
      out + <usize>r * <usize>outStride, 0, outM + ri, outK + ri, outZ + ri,
    );
  }
}
