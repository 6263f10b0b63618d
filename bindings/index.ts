// Public API of dyadic, shared by every host entry (bindings/entry/*).
export { loadRuntime, type LoadOptions } from './runtime/load.js';
export { relaxedSimdSupported, resolveBuild, type Build, type BuildChoice } from './runtime/features.js';
export { DyadicRuntime, type RuntimeOptions } from './runtime/instance.js';
export { WasmArena } from './runtime/arena.js';
export { packWeights, MAX_K, type PackedWeights, type PackWeightsOptions, type WeightBits, type WeightScale } from './gemm/pack.js';
export { matmul, type MatmulOptions, type MatmulInt8Result, type MatmulInt32Result, type RowScales } from './gemm/matmul.js';
export { DI_REQUANT_MAX_ERROR_STEPS } from './gemm/epilogue-reference.js';
export * from './sparse/index.js';
