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
export { DI_REQUANT_MAX_ERROR_STEPS } from './gemm/epilogue.ref.js';
export {
  BLOCK_K, BLOCK_SHAPES, MAX_SPARSE_K, blockBytes, blockGrid, blockRows, denseWeightBytes, sparseWeightBytes, storedBlocks,
  type BlockCsr, type BlockShape, type SparseBits,
} from './sparse/format.js';
export { packBlockCsr, unpackBlockCsr, type IntWeights, type PackOptions, type SparsityReport } from './sparse/pack.js';
export { pruneBlocks, pruneToBlockCsr, type PruneOptions, type PruneScope } from './offline/prune.js';
export { validateBlockCsr, BlockCsrError } from './sparse/validate.js';
export { SparseLinear, epilogueShift, type SparseCallArgs } from './sparse/spmm.js';
export { packSparseWeights, sparseMatmul } from './sparse/matmul.js';
// Model files, tokenizer, float32 reference forward, sampling, generation and evaluation (issue 5).
export { ModelFormatError, InvalidInputError } from './formats/errors.js';
export { parseGguf, ggufTensorF32, type GgufFile, type GgufTensorInfo, type GgufValue } from './formats/gguf.js';
export { parseLlama2cCheckpoint, type Llama2cCheckpoint } from './model/from-llama2c.js';
export { parseLlama2cTokenizer, type Llama2cVocab } from './formats/llama2c.js';
export { parseSafetensors, type SafetensorsFile, type SafetensorsTensor } from './formats/safetensors.js';
export { configFromHfJson } from './model/from-safetensors.js';
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
export { createEngine, createSampler, registerEngine, engineModes, type EngineMode, type EngineFactory, type EngineOptions } from './engines/engines.js';
export { defaultMode } from './engines/default-mode.js';
export { generate, generateSteps, type GenerateOptions, type GenerateResult, type TokenSampler } from './model/generate.js';
export { evaluate, splitStories, scoreTokens, negativeLogLikelihood, type EvalResult } from './model/evaluate.js';
export { Sampler, argmax, type SamplerOptions } from './sampling/sampler.js';
export { Xorshift64Star } from './sampling/xorshift.js';
export { diExp } from './ops/exp.js';
export { softmax, type SoftmaxOptions, type Probabilities } from './ops/softmax.js';
export { PROB_BITS, PROB_ZERO, type ProbFormat } from './ops/softmax.js';
export { norm, normI32, type NormOptions, type NormGamma } from './ops/norm.js';
export { quantizeGamma, foldNormIntoLinear } from './offline/channel-factors.js';
export { swiglu, swigluI32, type SwigluInput, type SmoothFactors } from './ops/silu.js';
export { quantizeSmoothing } from './offline/channel-factors.js';
export { rope, ropeI32, type RopeInput } from './ops/rope.js';
export { buildRopeTable, ROPE_FRAC_BITS, type RopeTable, type RopeLayout as IntRopeLayout } from './ops/rope-table.js';
export { residualAdd, requantizeRows } from './ops/residual.js';
export type { Residual } from './common/rows.js';
export { quantizeRowsI8, quantizeRowsI32 } from './offline/quantize-rows.js';
export { dequantizeRows, dequantizeI32Rows, REQUANT_MAX_ERROR_STEPS } from './ops/requant.ref.js';
export { IntegerLlama, type IntegerLlamaOptions } from './model/integer/integer-llama.js';
export { quantizeLlama, type QuantizeOptions } from './offline/quantize-model.js';
export { INTEGER_MODES, type IntegerMode, type QuantizedLlama } from './model/integer/quantized-llama.js';
export { createIntegerEngine, quantizeForMode, type IntegerEngineOptions } from './engines/integer.js';
export { llamaConfig, randomLlamaWeights } from './model/random.js';
export { quantizeMatrix, type ClipMethod } from './offline/quantize-weights.js';
export { dequantizeMatrix } from './model/integer/dequantize.js';
export { type QuantizedMatrix } from './common/weights.js';
export { writeGguf, encodeF32, encodeF16, encodeQ8_0, type GgufTypedValue, type GgufTensorToWrite } from './offline/gguf-write.js';
export { IntegerSampler, type IntegerSamplerOptions } from './sampling/integer-sampler.js';
// Chat templates, the text API (chat, complete) and the OpenAI-compatible routes (issue 16).
export { ChatFormat, parseMessages, END_OF_TURN_TOKENS, PLAIN_STOP, type ChatMessage } from './chat/template.js';
export { ChatEngine, createChatEngine, type ChatEngineOptions } from './chat/engine.js';
export { chat, complete, TextStream, type CompletionOptions, type FinishReason } from './chat/complete.js';
export { openAIRoutes, DEFAULT_COMPLETION_TOKENS, type RequestRecord, type RoutesOptions } from './serve/routes.js';
export { downloadModel, type DownloadProgress, type UrlSource } from './model/download.js';
export { ggufSplitNames, mergeGgufSplits } from './formats/gguf-split.js';
