// safetensors (Hugging Face): u64 header length, a JSON header {name: {dtype, shape, data_offsets}},
// then the raw little-endian data. A pure parser; bindings/model/from-safetensors.ts makes a model of
// one or more such files.
import { ByteReader, asBytes } from './byte-reader.js';
import { GgmlType, decodeTensor } from './tensor-types.js';

const MAX_HEADER_BYTES = 100 * 1024 * 1024; // the format's own limit
const DTYPES: Record<string, { type: number; bytes: number }> = {
  F32: { type: GgmlType.F32, bytes: 4 },
  F16: { type: GgmlType.F16, bytes: 2 },
  BF16: { type: GgmlType.BF16, bytes: 2 },
};

export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly file: string;
  readonly data: Uint8Array; // exactly the tensor's bytes
}

export interface SafetensorsFile {
  readonly file: string;
  readonly tensors: Map<string, SafetensorsTensor>;
  readonly metadata: Record<string, string>;
}

export function parseSafetensors(data: ArrayBuffer | ArrayBufferView, file = 'model.safetensors'): SafetensorsFile {
  const bytes = asBytes(data);
  const r: ByteReader = new ByteReader(bytes, file);
  const headerLength = r.u64('header length');
  if (headerLength > MAX_HEADER_BYTES) r.fail(`header length ${headerLength} is over the 100 MB limit`);
  const text = r.string(headerLength, 'JSON header');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    r.fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) r.fail('header is not a JSON object');
  const dataStart = r.pos;
  const dataBytes = bytes.byteLength - dataStart;
  const tensors = new Map<string, SafetensorsTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) r.fail(`tensor "${name}": entry is not an object`);
    const dtype = String(e.dtype);
    const info = DTYPES[dtype];
    if (!info) r.fail(`tensor "${name}": unsupported dtype ${dtype} (F32, F16, BF16 are supported)`);
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      r.fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      r.fail(`tensor "${name}": data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    }
    const [begin, end] = offsets as number[];
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataBytes) r.fail(`tensor "${name}": data_offsets [${begin}, ${end}] run past the ${dataBytes} data bytes`);
    if (end - begin !== elements * info.bytes) r.fail(`tensor "${name}": ${end - begin} bytes for shape [${shape}] of ${dtype} (expected ${elements * info.bytes})`);
    tensors.set(name, { name, dtype, shape: shape as number[], file, data: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  return { file, tensors, metadata };
}

export function safetensorF32(t: SafetensorsTensor): Float32Array {
  const elements = t.shape.reduce((a, b) => a * b, 1);
  return decodeTensor(DTYPES[t.dtype].type, t.data, elements);
}
