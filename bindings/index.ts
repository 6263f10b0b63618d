// Public API of dyadic, shared by every host entry (bindings/entry/*).
export { loadRuntime, type LoadOptions } from './runtime/load.js';
export { relaxedSimdSupported, resolveBuild, type Build, type BuildChoice } from './runtime/features.js';
export { DyadicRuntime, type RuntimeOptions } from './runtime/instance.js';
export { WasmArena } from './runtime/arena.js';
export { packWeights, MAX_K, type PackedWeights, type PackWeightsOptions, type WeightBits, type WeightScale } from './gemm/pack.js';
export { matmul, type MatmulOptions, type MatmulInt8Result, type MatmulInt32Result, type RowScales } from './gemm/matmul.js';
export { DI_REQUANT_MAX_ERROR_STEPS } from './gemm/epilogue-reference.js';
export * from './sparse/index.js';
// Model files, tokenizer, float32 reference forward, sampling, generation and evaluation (issue 5).
export { ModelFormatError, InvalidInputError } from './formats/errors.js';
export { parseGguf, ggufTensorF32, type GgufFile, type GgufTensorInfo, type GgufValue } from './formats/gguf.js';
export { parseLlama2cCheckpoint, parseLlama2cTokenizer, type Llama2cCheckpoint, type Llama2cVocab } from './formats/llama2c.js';
export { parseSafetensors, configFromHfJson, type SafetensorsFile, type SafetensorsTensor } from './formats/safetensors.js';
export { decodeTensor, tensorTypeName, halfToFloat } from './formats/tensor-types.js';
export { SentencePieceTokenizer, TokenType, type SpmVocab, type EncodeOptions } from './tokenizer/spm.js';
export { loadModel, loadTokenizer, detectFormat, type LoadedModel, type ModelFormat, type ByteSource, type StoredTensor } from './model/load.js';
export { parameterCount, kvCacheBytes, type LlamaConfig, type RopeLayout } from './model/config.js';
export type { LlamaWeights, LayerWeights } from './model/weights.js';
export type { LanguageModel, Logits } from './model/language-model.js';
export { FloatLlama, type FloatLlamaOptions } from './model/float-llama.js';
export { createEngine, registerEngine, engineModes, type EngineFactory, type EngineOptions } from './model/engines.js';
export { generate, type GenerateOptions, type GenerateResult } from './model/generate.js';
export { evaluate, splitStories, scoreTokens, negativeLogLikelihood, type EvalResult } from './model/evaluate.js';
export { Sampler, argmax, type SamplerOptions } from './sampling/sampler.js';
export { Xorshift64Star } from './sampling/xorshift.js';
export * from './ops/index.js';
