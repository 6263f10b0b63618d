// llama2.c files: float32 checkpoints (the legacy 7 x int32 header, and export.py's version 1
// "ak42" header padded to 256 bytes) and tok*.bin tokenizers. The checkpoint's header fixes every
// tensor size, so the total is checked against the file length before any tensor is copied.
import { ByteReader, asBytes } from './byte-reader.js';
import { ModelFormatError } from './errors.js';
import { GgmlType, decodeTensor } from './tensor-types.js';
import { type LlamaConfig, validateConfig } from '../model/config.js';
import { type LayerWeights, type LlamaWeights, validateWeights } from '../model/weights.js';

const AK42_MAGIC = 0x616b3432; // "ak42" as export.py's struct.pack('I', ...)
const AK42_HEADER_BYTES = 256;

export interface Llama2cCheckpoint {
  readonly config: LlamaConfig;
  readonly weights: LlamaWeights;
  /** 0 for the legacy header, 1 for "ak42" version 1. */
  readonly version: number;
}

export function isLlama2cV1(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === AK42_MAGIC;
}

/** Largest header field a plausible checkpoint has (text read as int32 is ~0x20202020 and above). */
const MAX_HEADER_FIELD = 1 << 24;

/**
 * True when the bytes start like a llama2.c checkpoint: the "ak42" magic, or a legacy header of seven
 * int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len) that are all in range, with
 * a negative vocab_size allowed (an untied classifier). Format detection only; the parser checks the rest.
 */
export function hasLlama2cHeader(bytes: Uint8Array): boolean {
  if (isLlama2cV1(bytes)) return true;
  if (bytes.byteLength < 28) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, 28);
  const f = [0, 1, 2, 3, 4, 5, 6].map((i) => v.getInt32(4 * i, true));
  f[5] = Math.abs(f[5]);
  return f.every((x) => x >= 1 && x <= MAX_HEADER_FIELD) && f[4] <= f[3] && f[3] <= f[0];
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

/** A llama2.c tokenizer: pieces use a plain ' ' for spaces, byte tokens are spelled "<0xXX>". */
export interface Llama2cVocab {
  readonly maxTokenLength: number;
  readonly pieces: Uint8Array[];
  readonly scores: Float32Array; // [vocab]
}

/** Reads a tok*.bin: int32 max_token_length, then {float32 score, int32 len, len bytes} until the end. */
export function parseLlama2cTokenizer(data: ArrayBuffer | ArrayBufferView, file = 'tokenizer.bin'): Llama2cVocab {
  const bytes = asBytes(data);
  const r: ByteReader = new ByteReader(bytes, file);
  const maxTokenLength = r.i32('max_token_length');
  if (maxTokenLength < 1 || maxTokenLength > 1 << 16) r.fail(`max_token_length = ${maxTokenLength} is not in 1..65536`);
  const pieces: Uint8Array[] = [];
  const scores: number[] = [];
  while (r.remaining > 0) {
    const i = pieces.length;
    scores.push(r.f32(`token ${i} score`));
    const len = r.i32(`token ${i} length`);
    if (len < 0 || len > maxTokenLength) r.fail(`token ${i} length ${len} is not in 0..max_token_length (${maxTokenLength})`);
    pieces.push(r.bytesAt(len, `token ${i} bytes`).slice());
  }
  if (pieces.length < 3) r.fail(`only ${pieces.length} tokens (need at least <unk>, <s>, </s>)`);
  return { maxTokenLength, pieces, scores: Float32Array.from(scores) };
}
