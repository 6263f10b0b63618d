// Facts about this build that the TypeScript runtime reads at load.

/** First free byte after static data; the TypeScript arena allocates from here. */
export function heap_base(): usize {
  return __heap_base;
}

/** 1 for the relaxed-SIMD build, 0 for the plain SIMD128 build (compile-time constant). */
export function build_flavor(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
