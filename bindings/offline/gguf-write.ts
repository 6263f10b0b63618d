// GGUF writer (version 3, little-endian), the inverse of gguf.ts: for saving quantized models with their
// own metadata keys, and for writing synthetic models of real shapes for tests and benchmarks. Metadata
// values carry their GGUF type explicitly, since a JavaScript number does not say whether it is a u32 or
// an f32. Tensor data is written in order, each at the file's alignment, as llama.cpp writes it.
import { GgmlType, floatToHalf } from '../formats/tensor-types.js';
import { Q8_0, encodeBlocks } from './ggml-blocks.js';

export { floatToHalf };

export type GgufScalarType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'u64' | 'i64' | 'f64';

export type GgufTypedValue =
  | { readonly type: GgufScalarType; readonly value: number | bigint | boolean | string }
  | { readonly type: 'array'; readonly of: GgufScalarType; readonly value: ArrayLike<number | bigint | boolean | string> };

export interface GgufTensorToWrite {
  readonly name: string;
  /** Innermost first, as GGUF stores them: a [rows][cols] matrix is dims [cols, rows]. */
  readonly dims: readonly number[];
  /** GGML type id (GgmlType). */
  readonly type: number;
  /** Encoded bytes (encodeF32, encodeF16, encodeQ8_0, or integer tensor bytes). */
  readonly data: Uint8Array;
}

const TYPE_ID: Record<GgufScalarType | 'array', number> = {
  u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12,
};

class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  pos = 0;
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number) { this.room(1); this.view.setUint8(this.pos, v); this.pos += 1; }
  i8(v: number) { this.room(1); this.view.setInt8(this.pos, v); this.pos += 1; }
  u16(v: number) { this.room(2); this.view.setUint16(this.pos, v, true); this.pos += 2; }
  i16(v: number) { this.room(2); this.view.setInt16(this.pos, v, true); this.pos += 2; }
  u32(v: number) { this.room(4); this.view.setUint32(this.pos, v, true); this.pos += 4; }
  i32(v: number) { this.room(4); this.view.setInt32(this.pos, v, true); this.pos += 4; }
  f32(v: number) { this.room(4); this.view.setFloat32(this.pos, v, true); this.pos += 4; }
  f64(v: number) { this.room(8); this.view.setFloat64(this.pos, v, true); this.pos += 8; }
  u64(v: number | bigint) { this.room(8); this.view.setBigUint64(this.pos, BigInt(v), true); this.pos += 8; }
  i64(v: number | bigint) { this.room(8); this.view.setBigInt64(this.pos, BigInt(v), true); this.pos += 8; }
  bytes(b: Uint8Array) { this.room(b.length); this.buf.set(b, this.pos); this.pos += b.length; }
  string(s: string) { const b = new TextEncoder().encode(s); this.u64(b.length); this.bytes(b); }
  padTo(alignment: number) { const n = (alignment - (this.pos % alignment)) % alignment; this.room(n); this.pos += n; }
  result(): Uint8Array { return this.buf.slice(0, this.pos); }
}

function writeScalar(w: ByteWriter, type: GgufScalarType, v: number | bigint | boolean | string, key: string): void {
  const num = () => {
    if (typeof v !== 'number' && typeof v !== 'bigint') throw new TypeError(`gguf write: "${key}" expects a number for ${type}, got ${typeof v}`);
    return v;
  };
  switch (type) {
    case 'u8': return w.u8(Number(num()));
    case 'i8': return w.i8(Number(num()));
    case 'u16': return w.u16(Number(num()));
    case 'i16': return w.i16(Number(num()));
    case 'u32': return w.u32(Number(num()));
    case 'i32': return w.i32(Number(num()));
    case 'f32': return w.f32(Number(num()));
    case 'f64': return w.f64(Number(num()));
    case 'u64': return w.u64(num());
    case 'i64': return w.i64(num());
    case 'bool':
      if (typeof v !== 'boolean') throw new TypeError(`gguf write: "${key}" expects a boolean`);
      return w.u8(v ? 1 : 0);
    case 'string':
      if (typeof v !== 'string') throw new TypeError(`gguf write: "${key}" expects a string`);
      return w.string(v);
  }
}

/** Serialises metadata and tensors into GGUF v3 bytes. */
export function writeGguf(
  metadata: Iterable<readonly [string, GgufTypedValue]>,
  tensors: readonly GgufTensorToWrite[],
  { alignment = 32 }: { alignment?: number } = {},
): Uint8Array {
  if (!Number.isInteger(alignment) || alignment < 1 || (alignment & (alignment - 1)) !== 0) {
    throw new RangeError(`gguf write: alignment ${alignment} is not a power of two`);
  }
  const entries = [...metadata];
  if (alignment !== 32 && !entries.some(([k]) => k === 'general.alignment')) {
    entries.push(['general.alignment', { type: 'u32', value: alignment }]);
  }
  const w = new ByteWriter();
  w.u32(0x46554747); // "GGUF"
  w.u32(3);
  w.u64(tensors.length);
  w.u64(entries.length);
  for (const [key, v] of entries) {
    w.string(key);
    w.u32(TYPE_ID[v.type]);
    if (v.type === 'array') {
      w.u32(TYPE_ID[v.of]);
      w.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) writeScalar(w, v.of, v.value[i], key);
    } else writeScalar(w, v.type, v.value, key);
  }
  let offset = 0;
  for (const t of tensors) {
    if (t.dims.length < 1 || t.dims.length > 4) throw new RangeError(`gguf write: tensor "${t.name}" has ${t.dims.length} dimensions`);
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    w.u64(offset);
    offset += Math.ceil(t.data.length / alignment) * alignment;
  }
  w.padTo(alignment);
  for (const t of tensors) {
    w.bytes(t.data);
    w.padTo(alignment);
  }
  return w.result();
}

// ── tensor encoders ─────────────────────────────────────────────────────────────────────────────────

export function encodeF32(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

export function encodeF16(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatToHalf(values[i]);
  return new Uint8Array(out.buffer);
}

/** GGML Q8_0 as llama.cpp's quantizer writes it (bindings/offline/ggml-blocks.ts). Length must be a multiple of 32. */
export function encodeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % 32 !== 0) throw new RangeError(`Q8_0 needs a multiple of 32 values, got ${values.length}`);
  return encodeBlocks(Q8_0, values, 1, values.length, 'values');
}

export { GgmlType };
