// GGUF (llama.cpp's model file), versions 2 and 3, little-endian: header, metadata key/values,
// tensor infos, then tensor data at an aligned offset. Works on bytes so it runs in browsers and
// Workers; nothing here touches a file system. Every count and size is checked against the bytes that
// remain before anything is allocated, so a header that lies fails fast with the field's name.
import { ByteReader, asBytes } from './byte-reader.js';
import { ModelFormatError } from './errors.js';
import { decodeTensor, tensorByteSize, tensorTypeInfo, tensorTypeName } from './tensor-types.js';

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4; // GGML_MAX_DIMS

export type GgufValue = number | bigint | boolean | string | GgufValue[] | Float32Array | Int32Array | Uint32Array;

export interface GgufTensorInfo {
  readonly name: string;
  /** Dimensions innermost first, as GGUF stores them (ne[0] is the row length). */
  readonly dims: number[];
  readonly type: number;
  readonly elements: number;
  /** Absolute byte offset of the data in the file, and its size. */
  readonly offset: number;
  readonly byteSize: number;
}

export interface GgufFile {
  readonly file: string;
  readonly version: number;
  readonly metadata: Map<string, GgufValue>;
  /** Each key's stored value type ('u32', 'f32', 'string', 'array:i32', ...), for writing the key back unchanged. */
  readonly metadataTypes?: Map<string, string>;
  readonly tensors: Map<string, GgufTensorInfo>;
  readonly alignment: number;
  readonly dataOffset: number;
  readonly bytes: Uint8Array;
}

// Value type ids and the byte size of each scalar one.
const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 };
const SCALAR_BYTES = [1, 1, 2, 2, 4, 4, 4, 1, 8, 0, 8, 8, 8]; // string: at least its u64 length
const TYPE_NAMES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'];

function readScalar(r: ByteReader, type: number, what: string): GgufValue {
  switch (type) {
    case T.U8: return r.u8(what);
    case T.I8: return r.i8(what);
    case T.U16: return r.u16(what);
    case T.I16: return r.i16(what);
    case T.U32: return r.u32(what);
    case T.I32: return r.i32(what);
    case T.F32: return r.f32(what);
    case T.BOOL: {
      const b = r.u8(what);
      if (b > 1) r.fail(`${what}: bool value ${b} is not 0 or 1`);
      return b === 1;
    }
    case T.STRING: return r.string(r.u64(`${what} length`), what);
    case T.U64: {
      const v = r.u64big(what);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case T.I64: {
      const v = r.i64big(what);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
    }
    case T.F64: return r.f64(what);
    default: return r.fail(`${what}: unknown metadata value type ${type}`);
  }
}

function readValue(r: ByteReader, type: number, what: string, depth = 0): GgufValue {
  if (type !== T.ARRAY) return readScalar(r, type, what);
  const elemType = r.u32(`${what} array element type`);
  const count = r.u64(`${what} array length`);
  if (elemType > T.F64) r.fail(`${what}: unknown array element type ${elemType}`);
  // Each element takes at least this many bytes, so a count beyond the file is caught before allocating.
  const minBytes = elemType === T.ARRAY ? 12 : SCALAR_BYTES[elemType];
  if (count * minBytes > r.remaining) r.fail(`${what}: array length ${count} does not fit in the ${r.remaining} bytes left`);
  if (elemType === T.F32) {
    const out = new Float32Array(count); // [count]
    for (let i = 0; i < count; i++) out[i] = r.f32(what);
    return out;
  }
  if (elemType === T.I32) {
    const out = new Int32Array(count); // [count]
    for (let i = 0; i < count; i++) out[i] = r.i32(what);
    return out;
  }
  if (elemType === T.U32) {
    const out = new Uint32Array(count); // [count]
    for (let i = 0; i < count; i++) out[i] = r.u32(what);
    return out;
  }
  if (elemType === T.ARRAY && depth > 2) r.fail(`${what}: arrays nested too deep`);
  const out: GgufValue[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = readValue(r, elemType, what, depth + 1);
  return out;
}

/**
 * Parses a GGUF file from its bytes. `file` names it in errors. Tensor data is not decoded here.
 * `fileSize` (default: all of `data`) lets `data` be only the file's first bytes (header, metadata and
 * tensor infos), as a reader that fetches tensors one at a time needs: tensor ranges are checked against
 * fileSize, and `bytes` of the result is that prefix.
 */
export function parseGguf(data: ArrayBuffer | ArrayBufferView, file = 'model.gguf', fileSize?: number): GgufFile {
  const bytes = asBytes(data);
  const size = fileSize ?? bytes.byteLength;
  const r: ByteReader = new ByteReader(bytes, file);
  const magic = r.u32('magic');
  if (magic !== GGUF_MAGIC) r.fail(`not a GGUF file (magic 0x${magic.toString(16).padStart(8, '0')}, want "GGUF")`);
  const version = r.u32('version');
  if (version === 1) r.fail('GGUF version 1 is not supported (versions 2 and 3 are)');
  if (version !== 2 && version !== 3) {
    if (version >= 0x01000000) r.fail(`GGUF version ${version} looks big-endian; only little-endian files are supported`);
    r.fail(`unsupported GGUF version ${version} (versions 2 and 3 are supported)`);
  }
  const tensorCount = r.u64('tensor count');
  const kvCount = r.u64('metadata count');
  // A key/value needs >= 12 bytes (key length + type) and a tensor info >= 24; refuse counts past the end.
  if (kvCount * 12 > r.remaining) r.fail(`metadata count ${kvCount} does not fit in the file`);
  if (tensorCount * 24 > r.remaining) r.fail(`tensor count ${tensorCount} does not fit in the file`);

  const metadata = new Map<string, GgufValue>();
  const metadataTypes = new Map<string, string>();
  for (let i = 0; i < kvCount; i++) {
    const key = r.string(r.u64(`metadata key ${i} length`), `metadata key ${i}`);
    const type = r.u32(`metadata "${key}" type`);
    if (metadata.has(key)) r.fail(`duplicate metadata key "${key}"`);
    if (type === T.ARRAY) {
      // the element type is the next u32 (readValue checks it); its low byte names every valid type
      metadataTypes.set(key, `array:${r.remaining >= 4 ? TYPE_NAMES[r.bytes[r.pos]] : '?'}`);
    } else metadataTypes.set(key, TYPE_NAMES[type] ?? String(type));
    metadata.set(key, readValue(r, type, `metadata "${key}"`));
  }

  let alignment = DEFAULT_ALIGNMENT;
  const alignValue = metadata.get('general.alignment');
  if (alignValue !== undefined) {
    if (typeof alignValue !== 'number' || alignValue < 1 || alignValue > 65536 || (alignValue & (alignValue - 1)) !== 0) {
      r.fail(`general.alignment = ${String(alignValue)} is not a power of two up to 65536`);
    }
    alignment = alignValue;
  }

  const infos: { name: string; dims: number[]; type: number; relOffset: number; elements: number; byteSize: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = r.string(r.u64(`tensor ${i} name length`), `tensor ${i} name`);
    if (names.has(name)) r.fail(`duplicate tensor "${name}"`);
    names.add(name);
    const nDims = r.u32(`tensor "${name}" dimension count`);
    if (nDims < 1 || nDims > MAX_DIMS) r.fail(`tensor "${name}": ${nDims} dimensions (1..${MAX_DIMS} allowed)`);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const n = r.u64(`tensor "${name}" dimension ${d}`);
      if (n < 1) r.fail(`tensor "${name}": dimension ${d} is ${n}`);
      dims.push(n);
      elements *= n;
      if (elements > size * 8) r.fail(`tensor "${name}": shape [${dims.join(', ')}${d + 1 < nDims ? ', ...' : ''}] is larger than the file could hold`);
    }
    const type = r.u32(`tensor "${name}" type`);
    const info = tensorTypeInfo(type);
    if (!info) r.fail(`tensor "${name}": unsupported tensor type ${type}`);
    if (dims[0] % info.blockSize !== 0) r.fail(`tensor "${name}": row length ${dims[0]} is not a multiple of the ${info.name} block size ${info.blockSize}`);
    const relOffset = r.u64(`tensor "${name}" offset`);
    if (relOffset % alignment !== 0) r.fail(`tensor "${name}": offset ${relOffset} is not a multiple of the alignment ${alignment}`);
    infos.push({ name, dims, type, relOffset, elements, byteSize: tensorByteSize(type, elements)! });
  }

  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  const tensors = new Map<string, GgufTensorInfo>();
  for (const t of infos) {
    const offset = dataOffset + t.relOffset;
    if (offset + t.byteSize > size) {
      r.fail(`tensor "${t.name}": data [${offset}, ${offset + t.byteSize}) runs past the end of the file (${size} bytes)`);
    }
    tensors.set(t.name, { name: t.name, dims: t.dims, type: t.type, elements: t.elements, offset, byteSize: t.byteSize });
  }
  return { file, version, metadata, metadataTypes, tensors, alignment, dataOffset, bytes };
}

/** Decodes one tensor of a parsed GGUF file to float32 (row-major, dims[0] fastest). */
export function ggufTensorF32(g: GgufFile, name: string): Float32Array {
  const t = g.tensors.get(name);
  if (!t) throw new ModelFormatError(g.file, `missing tensor "${name}"`);
  return decodeTensor(t.type, g.bytes.subarray(t.offset, t.offset + t.byteSize), t.elements);
}

/** Typed metadata accessors that name the key when it is missing or of the wrong kind. */
export function ggufNumber(g: GgufFile, key: string, fallback?: number): number {
  const v = g.metadata.get(key);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new ModelFormatError(g.file, `missing metadata "${key}"`);
  }
  if (typeof v !== 'number') throw new ModelFormatError(g.file, `metadata "${key}" should be a number, got ${typeof v === 'bigint' ? v : typeof v}`);
  return v;
}

export function ggufString(g: GgufFile, key: string, fallback?: string): string {
  const v = g.metadata.get(key);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new ModelFormatError(g.file, `missing metadata "${key}"`);
  }
  if (typeof v !== 'string') throw new ModelFormatError(g.file, `metadata "${key}" should be a string`);
  return v;
}

export { tensorTypeName };
