// Public API of dyadic, shared by every host entry (bindings/entry/*).

// The declarations name WebAssembly.Module and WebAssembly.Memory, types that come with the DOM lib. A
// consumer compiling for Node or Workers without it (lib ES2022 + @types/node, skipLibCheck off) gets these
// opaque declarations instead; where the full ones exist (DOM, workers-types) the interfaces merge.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace WebAssembly {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Module {}
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Memory {}
  }
}
export { loadRuntime, resolveThreads, type LoadOptions } from './runtime/load.js';
export { availableThreads } from './threads/pool.js';
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
export { SentencePieceTokenizer, TokenType, type SpmVocab } from './tokenizer/spm.js';
export { ByteBpeTokenizer, PRE_TOKENIZERS, type ByteBpeVocab } from './tokenizer/byte-bpe.js';
export { tokenizerFromGguf, tokenizerFromLlama2c, tokenizerFromHfJson } from './tokenizer/load.js';
export type { Tokenizer, EncodeOptions } from './tokenizer/tokenizer.js';
export { loadModel, loadTokenizer, detectFormat, type LoadedModel, type ModelFormat, type ByteSource, type ModelInput, type StoredTensor } from './model/load.js';
export { parameterCount, kvCacheBytes, type LlamaConfig, type RopeLayout } from './model/config.js';
export type { LlamaWeights, LayerWeights } from './model/weights.js';
export type { LanguageModel, Logits } from './model/language-model.js';
export { FloatLlama, type FloatLlamaOptions } from './model/float-llama.js';
export { createEngine, createSampler, registerEngine, engineModes, type EngineMode, type EngineFactory, type EngineOptions } from './model/engines.js';
export { defaultMode } from './model/default-mode.js';
export { generate, generateSteps, type GenerateOptions, type GenerateResult, type TokenSampler } from './model/generate.js';
export { evaluate, splitStories, scoreTokens, negativeLogLikelihood, type EvalResult } from './model/evaluate.js';
export { Sampler, argmax, type SamplerOptions } from './sampling/sampler.js';
export { Xorshift64Star } from './sampling/xorshift.js';
export * from './ops/index.js';
export { IntegerLlama, type IntegerLlamaOptions } from './model/integer/integer-llama.js';
export { quantizeLlama, INTEGER_MODES, type IntegerMode, type QuantizedLlama, type QuantizeOptions } from './model/integer/quantize-model.js';
export { createIntegerEngine, quantizeForMode, type IntegerEngineOptions } from './model/integer/engine.js';
export { llamaConfig, randomLlamaWeights } from './model/random.js';
export { quantizeMatrix, dequantizeMatrix, type QuantizedMatrix, type ClipMethod } from './quant/weights.js';
export { writeGguf, encodeF32, encodeF16, encodeQ8_0, type GgufTypedValue, type GgufTensorToWrite } from './formats/gguf-write.js';
export { IntegerSampler, type IntegerSamplerOptions } from './sampling/integer-sampler.js';
// Chat templates, the text API (chat, complete) and the OpenAI-compatible routes (issue 16).
export { ChatFormat, parseMessages, END_OF_TURN_TOKENS, PLAIN_STOP, type ChatMessage } from './chat/template.js';
export { ChatEngine, createChatEngine, type ChatEngineOptions } from './chat/engine.js';
export { chat, complete, TextStream, type CompletionOptions, type FinishReason } from './chat/complete.js';
export { openAIRoutes, DEFAULT_COMPLETION_TOKENS, type RequestRecord, type RoutesOptions } from './serve/routes.js';
export { downloadModel, type DownloadProgress, type UrlSource } from './model/download.js';
export { ggufSplitNames, mergeGgufSplits } from './formats/gguf-split.js';
