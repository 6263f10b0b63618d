// Entry of both wasm builds (simd, relaxed). Each kernel file owns one concern; this file only
// re-exports them. Memory is owned by the TypeScript arena (bindings/runtime/arena.ts): every kernel
// takes byte offsets into linear memory and allocates nothing.

export { heap_base, build_flavor } from "./runtime";
export { di_rescale_rows, di_requant_rows } from "./epilogue";
export { sparse_widen_a_i16, sparse_pad_a_i8 } from "./sparse/prepare";
export { spmm_w8_4x16_dot16, spmm_w4_4x16_dot16, spmm_w4_4x16_reldot } from "./sparse/spmm_4x16";
export { spmm_w8_1x16_dot16, spmm_w4_1x16_dot16 } from "./sparse/spmm_1x16";
export { gemm_w8a8_2x4c8 } from "./gemm/w8a8";
export { gemm_w4a8_2x4c32, gemm_w6a8_2x4c64, gemm_w7a8_2x4c128 } from "./gemm/lowbit";
