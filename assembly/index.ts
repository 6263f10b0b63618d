// Entry of both wasm builds (simd, relaxed). Each kernel file owns one concern; this file only
// re-exports them. Memory is owned by the TypeScript arena (bindings/runtime/arena.ts): every kernel
// takes byte offsets into linear memory and allocates nothing.

export { heap_base, build_flavor } from "./runtime";
export { di_rescale_rows, di_requant_rows } from "./epilogue";
