// One entry point from file bytes to a runnable model: detects GGUF, llama2.c or safetensors by their
// first bytes, builds config + float32 weights, and the tokenizer when the file carries one. Bytes in,
// objects out: no file system here, so browsers and Workers use it as is.
import { asBytes } from '../formats/byte-reader.js';
import { ModelFormatError } from '../formats/errors.js';
import { type GgufFile, type GgufTensorInfo, parseGguf } from '../formats/gguf.js';
import { mergeGgufSplits } from '../formats/gguf-split.js';
import { downloadModel, isUrlSource, type UrlSource } from './download.js';
import { hasLlama2cHeader, isLlama2cV1, parseLlama2cTokenizer } from '../formats/llama2c.js';
import { parseLlama2cCheckpoint } from './from-llama2c.js';
import { configFromHfJson, safetensorsWeights } from './from-safetensors.js';
import { parseSafetensors } from '../formats/safetensors.js';
import { tensorTypeName } from '../formats/tensor-types.js';
import { tokenizerFromGguf, tokenizerFromHfJson, tokenizerFromLlama2c } from '../tokenizer/load.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { isQuantizedGguf, loadQuantizedGguf } from './integer/quantized-gguf.js';
import { dequantizeLlama } from './integer/dequantize.js';
import { type QuantizedLlama } from './integer/quantized-llama.js';
import type { LlamaConfig } from './config.js';
import { ggufConfig, ggufWeights, ggufWeightShapes } from './from-gguf.js';
import type { TensorReader } from './integer/native-model.js';
import type { LlamaWeights } from './weights.js';

export type ModelFormat = 'gguf' | 'llama2c' | 'safetensors';

/** What a file stores, tensor by tensor (for `dyadic info`). */
export interface StoredTensor {
  readonly name: string;
  /** Outermost first ([rows, cols] for a matrix). */
  readonly shape: number[];
  readonly type: string;
  readonly bytes: number;
}

export interface LoadedModel {
  readonly file: string;
  readonly format: ModelFormat;
  readonly config: LlamaConfig;
  readonly weights: LlamaWeights;
  readonly tensors: StoredTensor[];
  /** Present when the file carries a vocabulary (GGUF). */
  readonly tokenizer?: Tokenizer;
  /** The Jinja chat template the file carries (GGUF `tokenizer.chat_template`), if any. */
  readonly chatTemplate?: string;
  /** Present when the file was written by `dyadic quantize`: the integer model and its mode. */
  readonly quantized?: { model: QuantizedLlama; mode: string };
  /** GGUF files: the tensors as stored, read one at a time (mode native packs from these, no float copy). */
  readonly reader?: TensorReader;
}

export interface ByteSource {
  readonly bytes: ArrayBuffer | ArrayBufferView;
  /** The file's name, for messages (and a `.gguf`/`.bin`/`.safetensors`/`.json` ending is trusted over the bytes). */
  readonly file?: string;
}

/** What loadModel and loadTokenizer take: the file's bytes, alone or with its name. */
export type ModelInput = ByteSource | ArrayBuffer | ArrayBufferView;


function isBinary(x: unknown): x is ArrayBuffer | ArrayBufferView {
  if (ArrayBuffer.isView(x)) return true;
  // toString tag, not instanceof: an ArrayBuffer from another realm (a worker, an iframe) is one too.
  const tag = Object.prototype.toString.call(x);
  return tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]';
}

/** Normalizes loadModel's argument to bytes + a name, naming what was passed when it is neither. */
function sourceOf(input: ModelInput, what: string, unnamed: string): { bytes: ArrayBuffer | ArrayBufferView; file: string } {
  if (isBinary(input)) return { bytes: input, file: unnamed };
  if (input !== null && typeof input === 'object' && isBinary((input as ByteSource).bytes)) {
    const file = (input as ByteSource).file;
    if (file !== undefined && typeof file !== 'string') throw new TypeError(`dyadic: ${what}: file must be a string, got ${typeof file}`);
    return { bytes: (input as ByteSource).bytes, file: file ?? unnamed };
  }
  const got = input === null ? 'null' : typeof input === 'string' ? `the string "${input}"` : typeof input === 'object' ? 'an object without bytes' : typeof input;
  throw new TypeError(
    `dyadic: ${what} takes the file's bytes (a Uint8Array, an ArrayBuffer or { bytes, file }), got ${got}` +
      (typeof input === 'string' ? ' (in Node, loadModelFromPath reads a path)' : ''),
  );
}

/** The format the bytes' first bytes announce, or undefined when they are none of dyadic's. */
export function detectFormat(data: ArrayBuffer | ArrayBufferView): ModelFormat | undefined {
  const b = asBytes(data);
  if (b.byteLength >= 4 && b[0] === 0x47 && b[1] === 0x47 && b[2] === 0x55 && b[3] === 0x46) return 'gguf';
  // safetensors: a u64 header length followed by '{'.
  if (b.byteLength >= 9 && b[8] === 0x7b && b[5] === 0 && b[6] === 0 && b[7] === 0) return 'safetensors';
  if (hasLlama2cHeader(b)) return 'llama2c';
  return undefined;
}

/** The format a file name announces (trusted over the first bytes, so a damaged header is reported as such). */
function formatByName(file: string): ModelFormat | undefined {
  if (file.endsWith('.gguf')) return 'gguf';
  if (file.endsWith('.safetensors')) return 'safetensors';
  if (file.endsWith('.bin')) return 'llama2c';
  return undefined;
}

function notAModel(file: string, bytes: ArrayBuffer | ArrayBufferView): ModelFormatError {
  const b = asBytes(bytes);
  const head = [...b.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  return new ModelFormatError(
    file,
    `not a model file: no GGUF magic, no safetensors header, no llama2.c header (${b.byteLength} bytes, starting ${head || 'with nothing'})`,
  );
}

/**
 * A GGUF model whose tensors are read one at a time (Node reads a path in chunks: bindings/entry/node-files.ts):
 * `header` parsed from the file's first bytes (parseGguf with fileSize), `readAt` returns `length` bytes
 * from `offset` (the caller may reuse its buffer between calls), `readAll` the whole file (only the float
 * paths ask: the float32 reference and the per-channel modes; a dyadic-quantized file is read whole).
 */
export function loadGgufChunked(header: GgufFile, readAt: (offset: number, length: number) => Uint8Array, readAll: () => Uint8Array): LoadedModel {
  if (isQuantizedGguf(header)) return fromGguf(parseGguf(readAll(), header.file));
  let whole: GgufFile | undefined;
  return fromGguf(header, readAt, () => (whole ??= parseGguf(readAll(), header.file)));
}

function fromGguf(
  g: GgufFile,
  readAt: (offset: number, length: number) => Uint8Array = (offset, length) => g.bytes.subarray(offset, offset + length),
  whole: () => GgufFile = () => g,
): LoadedModel {
  const config = ggufConfig(g);
  // A file dyadic quantized: integer tensors, and float weights recovered from them for the float path.
  const quantized = isQuantizedGguf(g) ? loadQuantizedGguf(g, config) : undefined;
  const tensors = [...g.tensors.values()].map((t) => ({ name: t.name, shape: [...t.dims].reverse(), type: tensorTypeName(t.type), bytes: t.byteSize }));
  const tokenizer = g.metadata.has('tokenizer.ggml.tokens') ? tokenizerFromGguf(g) : undefined;
  if (tokenizer && tokenizer.vocabSize !== config.vocabSize) {
    throw new ModelFormatError(g.file, `the tokenizer has ${tokenizer.vocabSize} tokens, the embedding ${config.vocabSize} rows`);
  }
  const template = g.metadata.get('tokenizer.chat_template');
  const chatTemplate = typeof template === 'string' ? template : undefined;
  // The float32 weights are made only when something asks for them (the float32 reference and the
  // per-channel modes): mode native never does.
  let weights: LlamaWeights | undefined;
  const info = (name: string): GgufTensorInfo => {
    const t = g.tensors.get(name);
    if (!t) throw new ModelFormatError(g.file, `missing tensor "${name}"`);
    return t;
  };
  const reader: TensorReader = {
    file: g.file,
    tensors: g.tensors,
    read: (name) => {
      const t = info(name);
      return readAt(t.offset, t.byteSize);
    },
    readRange: (name, offset, length) => {
      const t = info(name);
      if (!(offset >= 0 && length >= 0 && offset + length <= t.byteSize)) throw new RangeError(`dyadic: bytes [${offset}, ${offset + length}) outside tensor "${name}" (${t.byteSize} bytes)`);
      return readAt(t.offset + offset, length);
    },
  };
  if (!quantized) ggufWeightShapes(g, config); // shape errors at load, as before
  return {
    file: g.file, format: 'gguf', config, tensors, tokenizer, quantized, reader, chatTemplate,
    get weights() {
      return (weights ??= quantized ? dequantizeLlama(quantized.model) : ggufWeights(whole(), config));
    },
  };
}

/** The ids config.json gives BOS and EOS (EOS may be a list; the first is the one generation stops at). */
function specialIds(configJson: string): { bos?: number; eos?: number } {
  const c = JSON.parse(configJson) as { bos_token_id?: unknown; eos_token_id?: unknown };
  const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);
  const id = (v: unknown) => (Number.isInteger(v) ? (v as number) : undefined);
  return { bos: id(first(c.bos_token_id)), eos: id(first(c.eos_token_id)) };
}

export interface ModelExtras {
  configJson?: string;
  extraShards?: ModelInput[];
  tokenizerJson?: string;
}

/**
 * Loads a model from its bytes, or (async) from `{ url, onProgress }`. GGUF and llama2.c are one file (a split GGUF passes its other parts, in
 * order, as `extraShards`); safetensors needs `configJson` (the text of config.json), may come as several
 * shards (`extraShards`) and may bring its tokenizer.json.
 */
export function loadModel(source: UrlSource, extra?: ModelExtras): Promise<LoadedModel>;
export function loadModel(source: ModelInput, extra?: ModelExtras): LoadedModel;
export function loadModel(source: ModelInput | UrlSource, extra: ModelExtras = {}): LoadedModel | Promise<LoadedModel> {
  // { url, onProgress }: downloaded (every part of a split GGUF), cached where the Cache API exists, then as bytes.
  if (isUrlSource(source)) return downloadModel(source).then(([first, ...rest]) => loadModel(first, rest.length ? { ...extra, extraShards: rest } : extra));
  const { bytes, file } = sourceOf(source, 'loadModel', 'model bytes');
  const format = formatByName(file) ?? detectFormat(bytes);
  if (format === undefined) throw notAModel(file, bytes);
  if (format === 'gguf') {
    // Split GGUF (NAME-00001-of-0000N.gguf): the other parts, in order, as extraShards.
    if (!extra.extraShards?.length) return fromGguf(parseGguf(bytes, file));
    const shards = extra.extraShards.map((s, i) => sourceOf(s, 'loadModel (extraShards)', `part ${i + 2}`));
    return fromGguf(mergeGgufSplits([{ bytes, file }, ...shards]));
  }
  if (format === 'safetensors') {
    if (extra.configJson === undefined) throw new ModelFormatError(file, 'a safetensors model needs its config.json');
    const config = configFromHfJson(extra.configJson);
    const shards = (extra.extraShards ?? []).map((s) => sourceOf(s, 'loadModel (extraShards)', 'shard bytes'));
    const files = [parseSafetensors(bytes, file), ...shards.map((s) => parseSafetensors(s.bytes, s.file))];
    const weights = safetensorsWeights(files, config);
    const tensors = files.flatMap((f) => [...f.tensors.values()].map((t) => ({ name: t.name, shape: t.shape, type: t.dtype, bytes: t.data.byteLength })));
    const tokenizer = extra.tokenizerJson === undefined ? undefined : tokenizerFromHfJson(extra.tokenizerJson, { ...specialIds(extra.configJson), vocabSize: config.vocabSize });
    return { file, format, config, weights, tensors, tokenizer };
  }
  const ckpt = parseLlama2cCheckpoint(bytes, file);
  const { config, weights } = ckpt;
  // llama2.c stores no names or shapes; these follow its export.py names, shapes [rows, cols].
  const q = config.nHeads * config.headDim;
  const kv = config.nKvHeads * config.headDim;
  const { dim, hiddenDim, vocabSize } = config;
  const shapes: [string, number[]][] = [['tok_embeddings.weight', [vocabSize, dim]]];
  for (let i = 0; i < config.nLayers; i++) {
    const p = `layers.${i}.`;
    shapes.push(
      [p + 'attention_norm.weight', [dim]],
      [p + 'attention.wq.weight', [q, dim]],
      [p + 'attention.wk.weight', [kv, dim]],
      [p + 'attention.wv.weight', [kv, dim]],
      [p + 'attention.wo.weight', [dim, q]],
      [p + 'ffn_norm.weight', [dim]],
      [p + 'feed_forward.w1.weight', [hiddenDim, dim]],
      [p + 'feed_forward.w2.weight', [dim, hiddenDim]],
      [p + 'feed_forward.w3.weight', [hiddenDim, dim]],
    );
  }
  shapes.push(['norm.weight', [dim]]);
  if (!config.tiedEmbeddings) shapes.push(['output.weight', [vocabSize, dim]]);
  const tensors = shapes.map(([name, shape]) => ({ name, shape, type: 'F32', bytes: 4 * shape.reduce((a, b) => a * b, 1) }));
  return { file, format, config, weights, tensors };
}

/** A tokenizer from a tok*.bin, a Hugging Face tokenizer.json, or the vocabulary inside a GGUF file. */
export function loadTokenizer(source: ModelInput): Tokenizer {
  const { bytes, file } = sourceOf(source, 'loadTokenizer', 'tokenizer bytes');
  if (file.endsWith('.json')) return tokenizerFromHfJson(new TextDecoder().decode(asBytes(bytes)), {}, file);
  if (detectFormat(bytes) === 'gguf') return tokenizerFromGguf(parseGguf(bytes, file));
  if (isLlama2cV1(asBytes(bytes))) throw new ModelFormatError(file, 'this is a llama2.c checkpoint, not a tokenizer');
  return tokenizerFromLlama2c(parseLlama2cTokenizer(bytes, file), file);
}
