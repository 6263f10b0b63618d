// llama2.c files: the version-1 checkpoint magic and tok*.bin tokenizers (a pure parser). Checkpoints
// (float32 tensors laid out by the header) are read into a model by bindings/model/from-llama2c.ts.
import { ByteReader, asBytes } from './byte-reader.js';

export const AK42_MAGIC = 0x616b3432; // "ak42" as export.py's struct.pack('I', ...)
export const AK42_HEADER_BYTES = 256;

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
