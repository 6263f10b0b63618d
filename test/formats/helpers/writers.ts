// Minimal writers for safetensors and llama2.c files and value encoders, written from the format
// descriptions (safetensors README, llama2.c export.py), so reader tests can build files the readers
// have never seen: other versions, dtypes, architectures. GGUF files are written with the package's
// own writer (bindings/offline/gguf-write.ts, checked byte for byte against llama.cpp's output).
import { encodeF16 } from '../../../bindings/offline/gguf-write.js';

class Out {
  private parts: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array) {
    this.parts.push(b);
    this.length += b.length;
  }
  num(kind: 'u8' | 'u32' | 'i32' | 'u64' | 'f32', v: number) {
    const size = kind === 'u8' ? 1 : kind === 'u64' ? 8 : 4;
    const dv = new DataView(new ArrayBuffer(size));
    if (kind === 'u8') dv.setUint8(0, v);
    else if (kind === 'u32') dv.setUint32(0, v, true);
    else if (kind === 'i32') dv.setInt32(0, v, true);
    else if (kind === 'f32') dv.setFloat32(0, v, true);
    else dv.setBigUint64(0, BigInt(v), true);
    this.bytes(new Uint8Array(dv.buffer));
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.num('u64', b.length);
    this.bytes(b);
  }
  pad(align: number) {
    const n = (align - (this.length % align)) % align;
    if (n) this.bytes(new Uint8Array(n));
  }
  done(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export interface SafetensorSpec {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  data: Uint8Array;
}

export function writeSafetensors(tensors: SafetensorSpec[]): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.data.length] };
    at += t.data.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += ' ';
  const o = new Out();
  o.num('u64', json.length);
  o.bytes(new TextEncoder().encode(json));
  for (const t of tensors) o.bytes(t.data);
  return o.done();
}

export const f32Bytes = (a: ArrayLike<number>): Uint8Array => new Uint8Array(Float32Array.from(a).buffer);

/** float32 -> bfloat16 by truncation (exact for values with at most 8 significant bits). */
export function bf16Bytes(a: ArrayLike<number>): Uint8Array {
  const f = Float32Array.from(a);
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = u[i] >>> 16;
  return new Uint8Array(out.buffer);
}

/** Value of IEEE half bits, computed independently of bindings/formats/tensor-types.ts. */
export function halfValue(h: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 31;
  const frac = h & 1023;
  if (exp === 0) return (sign ? -1 : 1) * frac * 2 ** -24; // subnormal or zero
  if (exp === 31) u32[0] = sign | 0x7f800000 | (frac << 13);
  else u32[0] = sign | ((exp - 15 + 127) << 23) | (frac << 13);
  return f32[0];
}

/** F16 bytes through the package's encoder (round to nearest even, subnormals included). */
export function f16Bytes(a: ArrayLike<number>): Uint8Array {
  return encodeF16(Float32Array.from(a));
}

/** llama2.c export.py version1_export: 256-byte "ak42" header, then float32 tensors, norms first. */
export function writeLlama2cV1(
  c: { dim: number; hiddenDim: number; nLayers: number; nHeads: number; nKvHeads: number; vocabSize: number; contextLength: number },
  w: import('../../../bindings/model/weights.js').LlamaWeights,
  shared: boolean,
): Uint8Array {
  const o = new Out();
  o.num('u32', 0x616b3432);
  o.num('i32', 1);
  for (const v of [c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, c.vocabSize, c.contextLength]) o.num('i32', v);
  o.num('u8', shared ? 1 : 0);
  o.pad(256);
  const L = w.layers;
  for (const a of [...L.map((l) => l.attnNorm), ...L.map((l) => l.ffnNorm), w.finalNorm, w.tokenEmbedding]) o.bytes(f32Bytes(a));
  for (const k of ['wq', 'wk', 'wv', 'wo', 'wGate', 'wDown', 'wUp'] as const) for (const l of L) o.bytes(f32Bytes(l[k]));
  if (!shared) o.bytes(f32Bytes(w.output));
  return o.done();
}
