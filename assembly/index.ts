// Entry of both wasm builds (simd, relaxed). Each kernel file owns one concern; this file only
// re-exports them. Memory is owned by the TypeScript arena (bindings/runtime/arena.ts): every kernel
// takes byte offsets into linear memory and allocates nothing.

export { heap_base, build_flavor } from "./common/runtime";
export { di_rescale_rows, di_requant_rows } from "./gemm/epilogue";
export { sparse_pad_a_i8 } from "./sparse/prepare";
export { spmm_w8_4x16_dot16, spmm_w4_4x16_dot16, spmm_w4_4x16_reldot } from "./sparse/spmm_4x16";
export { spmm_w8_1x16_dot16, spmm_w4_1x16_dot16 } from "./sparse/spmm_1x16";
export { gemm_w8a8_2x4c8 } from "./gemm/w8a8";
export { gemm_w4a8_2x4c32, gemm_w6a8_4x4c64, gemm_w7a8_4x4c128, set_tile_scratch } from "./gemm/lowbit";
export { gemm_gwq4_1x4c32, gemm_gwq6_1x4c32, gemm_gwq6_1x4c16, gemm_gwi8_1x4c32, gw_prepare_rows } from "./gemm/groupwise";
export { gemm_w4a8_2x4c32_fdot, gemm_w6a8_4x4c64_fdot, gemm_w7a8_4x4c128_fdot } from "./gemm/lowbit";
export { relaxed_dot_probe, relaxed_dot_timing } from "./gemm/fdot";
export { gemm_peak_2x4 } from "./gemm/peak";
export { di_exp_rows, exp_params_into } from "./ops/exp";
export { di_softmax_rows } from "./ops/softmax";
export { di_norm_rows } from "./ops/norm";
export { di_swiglu_rows } from "./ops/silu";
export { di_rope_rows } from "./ops/rope";
export { di_residual_add_rows } from "./ops/residual";
export { di_requant_i32_rows } from "./ops/requant";
export { di_attention_rows, di_attention_heads, di_attention_finish } from "./attention/attention";
export { reduce_levels_rows } from "./ops/levels";
