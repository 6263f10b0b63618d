// The register-only ceiling of the W8A8 tile: the 2x4 tile's 8 i32x4.dot_i16x8_s + 8 i32x4.add per step
// (64 MACs) on operands that never leave registers (no loads, no sign extensions, no epilogue), n steps.
// What no kernel built on dot_i16x8_s can beat on this engine; `npm run bench -- peak` reports it next to
// the kernels (bench/peak.mjs). The six operands are loaded once from `at` (96 bytes): constants made by
// splats, V8 re-made inside the loop. Returns a lane sum so the loop is not dead code.
export function gemm_peak_2x4(n: i32, at: usize): i32 {
  const x0 = v128.load(at), x1 = v128.load(at, 16);
  const w0 = v128.load(at, 32), w1 = v128.load(at, 48), w2 = v128.load(at, 64), w3 = v128.load(at, 80);
  let c00 = i32x4.splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  for (let i = 0; i < n; i++) {
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, w0));
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, w0));
    c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, w1));
    c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, w1));
    c02 = i32x4.add(c02, i32x4.dot_i16x8_s(x0, w2));
    c12 = i32x4.add(c12, i32x4.dot_i16x8_s(x1, w2));
    c03 = i32x4.add(c03, i32x4.dot_i16x8_s(x0, w3));
    c13 = i32x4.add(c13, i32x4.dot_i16x8_s(x1, w3));
  }
  const s = i32x4.add(i32x4.add(i32x4.add(c00, c01), i32x4.add(c02, c03)), i32x4.add(i32x4.add(c10, c11), i32x4.add(c12, c13)));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 3);
}
