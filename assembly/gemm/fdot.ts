// The fused relaxed dot, i32x4.relaxed_dot_i8x16_i7x16_add_s: acc + the dot of each lane's four int8 a
// and four 7-bit b (0..127), exact for such b on every engine that compiles it correctly (vpdpbusd,
// pmaddubsw + pmaddwd, sdot). V8 in Node 20 does not: its baseline compiler Liftoff returns twice the dot
// and drops acc. So the kernels that use it (the *_fdot variants of assembly/gemm/lowbit.ts) are only
// picked after relaxed_dot_probe below gave exact results in both of the engine's tiers
// (bindings/gemm/fused-dot.ts). The SIMD build computes the same integers with dot_i16x8_s.

// @ts-ignore: decorator
@inline export function fdot(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, acc);
  } else {
    const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(a), i16x8.extend_low_i8x16_u(b)); // pair sums 0..3
    const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(a), i16x8.extend_high_i8x16_u(b)); // pair sums 4..7
    return i32x4.add(acc, i32x4.add(i32x4.shuffle(lo, hi, 0, 2, 4, 6), i32x4.shuffle(lo, hi, 1, 3, 5, 7)));
  }
}

/**
 * The probe: a = 16 int8 at `at`, b = 16 bytes (0..127) at at + 16, acc = i32x4 at at + 32;
 * n times acc = fdot(a, b, acc); the result is stored at at + 48. Run once (baseline tier) and hot
 * (optimizing tier) by bindings/gemm/fused-dot.ts on a known input.
 */
export function relaxed_dot_probe(at: usize, n: i32): void {
  const a = v128.load(at);
  const b = v128.load(at, 16);
  let acc = v128.load(at, 32);
  for (let i = 0; i < n; i++) acc = fdot(a, b, acc);
  v128.store(at, acc, 48);
}

/**
 * Timing loop for the load-time choice: n iterations of one 32-k unit against the 7-bit b at at + 16,
 * its two int8 halves read from the 8 vectors at at + 64 .. at + 192 in turn (loads, so nothing is loop
 * invariant), with the fused dot (fused = 1) or the plain kernels' sequence (i16x8.relaxed_dot_i8x16_i7x16_s
 * twice, i16 add, widening add: what assembly/gemm/lowbit.ts does without it). Engines that lower the
 * fused dot without a dot-product instruction (V8 11 on x64: pmaddubsw, pmaddwd by a re-made constant,
 * add) run it slower than the plain sequence. The sum is stored at at + 48 so the loop is not dead code.
 */
export function relaxed_dot_timing(at: usize, n: i32, fused: i32): void {
  const b = v128.load(at, 16);
  let acc = v128.load(at, 32);
  if (ASC_FEATURE_RELAXED_SIMD && !fused) {
    for (let i = 0; i < n; i++) {
      const x = at + 64 + (<usize>(i & 3) << 5);
      const p = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(x), b), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(x, 16), b));
      acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(p));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const x = at + 64 + (<usize>(i & 3) << 5);
      acc = fdot(v128.load(x, 16), b, fdot(v128.load(x), b, acc));
    }
  }
  v128.store(at, acc, 48);
}
