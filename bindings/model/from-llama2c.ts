// llama2.c float32 checkpoints (the legacy 7 x int32 header, and export.py's version 1 "ak42" header
// padded to 256 bytes) read into a model. The header fixes every tensor size, so the total is checked
// against the file length before any tensor is copied.
import { ByteReader, asBytes } from '../formats/byte-reader.js';
import { ModelFormatError } from '../formats/errors.js';
import { GgmlType, decodeTensor } from '../formats/tensor-types.js';
import { AK42_HEADER_BYTES, isLlama2cV1 } from '../formats/llama2c.js';
import { type LlamaConfig, validateConfig } from './config.js';
import { type LayerWeights, type LlamaWeights, validateWeights } from './weights.js';

export interface Llama2cCheckpoint {
  readonly config: LlamaConfig;
  readonly weights: LlamaWeights;
  /** 0 for the legacy header, 1 for "ak42" version 1. */
  readonly version: number;
}

export function parseLlama2cCheckpoint(data: ArrayBuffer | ArrayBufferView, file = 'model.bin'): Llama2cCheckpoint {
  const bytes = asBytes(data);
  const r: ByteReader = new ByteReader(bytes, file);
  let version = 0;
  if (isLlama2cV1(bytes)) {
    r.u32('magic');
    version = r.i32('version');
    if (version === 2) r.fail('llama2.c version 2 (int8 Q8_0) checkpoints are not supported; export version 1 (float32)');
    if (version !== 1) r.fail(`unsupported llama2.c checkpoint version ${version}`);
  }
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabField, seqLen] = ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'seq_len'].map((f) => r.i32(f));
  let shared: boolean;
  if (version === 1) {
    const flag = r.u8('shared_classifier');
    if (flag > 1) r.fail(`shared_classifier = ${flag} is not 0 or 1`);
    shared = flag === 1;
    r.need(AK42_HEADER_BYTES - r.pos, 'header padding');
    r.pos = AK42_HEADER_BYTES;
  } else {
    // Legacy: a negative vocab_size means the classifier is stored separately at the end.
    shared = vocabField > 0;
  }
  const vocabSize = Math.abs(vocabField);
  const config = validateConfig(
    {
      architecture: 'llama',
      dim,
      hiddenDim,
      nLayers,
      nHeads,
      nKvHeads,
      headDim: Math.floor(dim / nHeads),
      vocabSize,
      contextLength: seqLen,
      ropeTheta: 10000,
      ropeLayout: 'adjacent',
      ropeDim: Math.floor(dim / nHeads),
      rmsEps: 1e-5,
      tiedEmbeddings: shared,
      qkvBias: false,
    },
    file,
  );
  if (config.headDim * nHeads !== dim) throw new ModelFormatError(file, `dim = ${dim} is not a multiple of n_heads = ${nHeads}`);

  const kv = nKvHeads * config.headDim;
  const L = nLayers;
  // Size of everything before reading: a header that lies is refused without allocating.
  const ropeTables = version === 0 ? seqLen * config.headDim : 0; // freq_cis_real + freq_cis_imag, unused
  const floats =
    vocabSize * dim + 2 * L * dim + L * dim * (2 * dim + 2 * kv) + 3 * L * dim * hiddenDim + dim + ropeTables + (shared ? 0 : vocabSize * dim);
  const available = bytes.byteLength - r.pos;
  if (floats * 4 > available) {
    throw new ModelFormatError(file, `truncated: the header (dim ${dim}, layers ${L}, vocab ${vocabSize}, seq_len ${seqLen}) needs ${floats * 4} bytes of weights, the file has ${available}`);
  }
  const take = (n: number) => {
    // [n] copied so it is aligned and independent of the file buffer
    const out = decodeTensor(GgmlType.F32, bytes.subarray(r.pos, r.pos + 4 * n), n);
    r.pos += 4 * n;
    return out;
  };
  const perLayer = (n: number) => Array.from({ length: L }, () => take(n));

  let tokenEmbedding: Float32Array, attnNorm: Float32Array[], ffnNorm: Float32Array[], finalNorm: Float32Array;
  let wq: Float32Array[], wk: Float32Array[], wv: Float32Array[], wo: Float32Array[], w1: Float32Array[], w2: Float32Array[], w3: Float32Array[];
  if (version === 0) {
    // run.c's memory_map_weights order.
    tokenEmbedding = take(vocabSize * dim);
    attnNorm = perLayer(dim);
    wq = perLayer(dim * dim);
    wk = perLayer(kv * dim);
    wv = perLayer(kv * dim);
    wo = perLayer(dim * dim);
    ffnNorm = perLayer(dim);
    w1 = perLayer(hiddenDim * dim);
    w2 = perLayer(dim * hiddenDim);
    w3 = perLayer(hiddenDim * dim);
    finalNorm = take(dim);
    r.pos += 4 * ropeTables;
  } else {
    // export.py version1_export order: norms first, then embeddings, then matrices.
    attnNorm = perLayer(dim);
    ffnNorm = perLayer(dim);
    finalNorm = take(dim);
    tokenEmbedding = take(vocabSize * dim);
    wq = perLayer(dim * dim);
    wk = perLayer(kv * dim);
    wv = perLayer(kv * dim);
    wo = perLayer(dim * dim);
    w1 = perLayer(hiddenDim * dim);
    w2 = perLayer(dim * hiddenDim);
    w3 = perLayer(hiddenDim * dim);
  }
  const output = shared ? tokenEmbedding : take(vocabSize * dim);
  const layers: LayerWeights[] = attnNorm.map((_, l) => ({
    attnNorm: attnNorm[l],
    wq: wq[l],
    wk: wk[l],
    wv: wv[l],
    wo: wo[l],
    ffnNorm: ffnNorm[l],
    wGate: w1[l],
    wDown: w2[l],
    wUp: w3[l],
  }));
  const weights: LlamaWeights = { tokenEmbedding, layers, finalNorm, output };
  validateWeights(config, weights, file);
  return { config, weights, version };
}
