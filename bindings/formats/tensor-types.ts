// Tensor element types found in model files (GGML's numbering, which GGUF stores) and their decoding
// to float32. Quantized types are stored as blocks: a block of `blockSize` elements takes `blockBytes`
// bytes. Decoding is offline work (loading), so clarity beats speed here.

/** GGML type ids as written in GGUF tensor infos. */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  IQ4_NL: 20,
  I8: 24,
  I16: 25,
  I32: 26,
  F64: 28,
  BF16: 30,
} as const;
export type GgmlTypeId = (typeof GgmlType)[keyof typeof GgmlType];

export interface TensorTypeInfo {
  readonly name: string;
  /** Elements per block (1 for plain float types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly blockBytes: number;
}

/**
 * dyadic's own group-wise types (written by `dyadic quantize --bits B --group G` where no llama.cpp type
 * fits; llama.cpp cannot read them): blocks of G elements (32, 64 or 128) as f16 d, f16 m, then G B-bit
 * levels (B = 2..8) packed least-significant bit first; value = d * level + m. Ids far above ggml's.
 */
export const DYADIC_GROUP_BITS = [2, 3, 4, 5, 6, 8] as const;
export const DYADIC_GROUP_SIZES = [32, 64, 128] as const;
export function dyadicGroupType(bits: number, group: number): number {
  const g = (DYADIC_GROUP_SIZES as readonly number[]).indexOf(group);
  if (g < 0 || !(DYADIC_GROUP_BITS as readonly number[]).includes(bits)) throw new RangeError(`no dyadic group type of ${bits} bits in groups of ${group}`);
  return 1000 + 10 * g + bits;
}
/** [bits, group] of a dyadic group type id, or undefined. */
export function dyadicGroupLayout(type: number): [number, number] | undefined {
  const bits = (type - 1000) % 10;
  const group = DYADIC_GROUP_SIZES[Math.floor((type - 1000) / 10)];
  return type >= 1000 && group !== undefined && (DYADIC_GROUP_BITS as readonly number[]).includes(bits) ? [bits, group] : undefined;
}

const TYPES = new Map<number, TensorTypeInfo>([
  [GgmlType.F32, { name: 'F32', blockSize: 1, blockBytes: 4 }],
  [GgmlType.F16, { name: 'F16', blockSize: 1, blockBytes: 2 }],
  [GgmlType.BF16, { name: 'BF16', blockSize: 1, blockBytes: 2 }],
  // Plain integer and float64 tensors (ggml has them; dyadic's quantized files store integer weights,
  // mantissas and scales in them).
  [GgmlType.I8, { name: 'I8', blockSize: 1, blockBytes: 1 }],
  [GgmlType.I16, { name: 'I16', blockSize: 1, blockBytes: 2 }],
  [GgmlType.I32, { name: 'I32', blockSize: 1, blockBytes: 4 }],
  [GgmlType.F64, { name: 'F64', blockSize: 1, blockBytes: 8 }],
  [GgmlType.Q4_0, { name: 'Q4_0', blockSize: 32, blockBytes: 18 }], // f16 d, 16 bytes of nibbles
  [GgmlType.Q4_1, { name: 'Q4_1', blockSize: 32, blockBytes: 20 }], // f16 d, f16 m, 16 bytes of nibbles
  [GgmlType.Q5_0, { name: 'Q5_0', blockSize: 32, blockBytes: 22 }], // f16 d, u32 high bits, 16 bytes
  [GgmlType.Q5_1, { name: 'Q5_1', blockSize: 32, blockBytes: 24 }], // f16 d, f16 m, u32 high bits, 16 bytes
  [GgmlType.Q8_0, { name: 'Q8_0', blockSize: 32, blockBytes: 34 }], // f16 d, 32 x int8
  [GgmlType.Q4_K, { name: 'Q4_K', blockSize: 256, blockBytes: 144 }], // f16 d, f16 dmin, 12 scale bytes, 128 nibble bytes
  [GgmlType.Q6_K, { name: 'Q6_K', blockSize: 256, blockBytes: 210 }], // 128 low nibbles, 64 high 2-bits, 16 x int8 scales, f16 d
  [GgmlType.Q2_K, { name: 'Q2_K', blockSize: 256, blockBytes: 84 }], // 16 scale/min bytes, 64 bytes of 2-bit quants, f16 d, f16 dmin
  [GgmlType.Q3_K, { name: 'Q3_K', blockSize: 256, blockBytes: 110 }], // 32 high-bit bytes, 64 bytes of 2-bit quants, 12 scale bytes, f16 d
  [GgmlType.Q5_K, { name: 'Q5_K', blockSize: 256, blockBytes: 176 }], // f16 d, f16 dmin, 12 scale bytes, 32 high-bit bytes, 128 nibble bytes
  [GgmlType.IQ4_NL, { name: 'IQ4_NL', blockSize: 32, blockBytes: 18 }], // f16 d, 16 bytes of 4-bit indices into IQ4NL_VALUES
  ...DYADIC_GROUP_SIZES.flatMap((group) => DYADIC_GROUP_BITS.map((bits): [number, TensorTypeInfo] =>
    [dyadicGroupType(bits, group), { name: `DQ${bits}_G${group}`, blockSize: group, blockBytes: 4 + (group * bits) / 8 }])),
]);

/** IQ4_NL's fixed non-linear codebook: a 4-bit index selects one of these int8 values (times the block's d). */
export const IQ4NL_VALUES: readonly number[] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

/**
 * The 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes at `sc` of a Q4_K / Q5_K block:
 * j < 4 in the low 6 bits of bytes j (scale) and j + 4 (min); j >= 4 split into a low nibble in byte
 * j + 4 and the top 2 bits of bytes j - 4 (scale) and j (min).
 */
export function kScaleMin(src: Uint8Array, sc: number, j: number): [number, number] {
  return j < 4
    ? [src[sc + j] & 63, src[sc + j + 4] & 63]
    : [(src[sc + j + 4] & 15) | ((src[sc + j - 4] >> 6) << 4), (src[sc + j + 4] >> 4) | ((src[sc + j] >> 6) << 4)];
}

/** Q3_K's 6-bit scale i (0..15, stored offset by 32) from its 12 packed bytes at `sc`. */
export function q3kScale(src: Uint8Array, sc: number, i: number): number {
  const low = i < 8 ? src[sc + i] & 15 : src[sc + i - 8] >> 4;
  const high = (src[sc + 8 + (i & 3)] >> (2 * (i >> 2))) & 3;
  return low | (high << 4);
}

/** Type info, or undefined for a type dyadic cannot decode. */
export function tensorTypeInfo(type: number): TensorTypeInfo | undefined {
  return TYPES.get(type);
}

export function tensorTypeName(type: number): string {
  return TYPES.get(type)?.name ?? `unknown type ${type}`;
}

/** Byte size of `elements` elements of `type`, or undefined if it is not a whole number of blocks. */
export function tensorByteSize(type: number, elements: number): number | undefined {
  const info = TYPES.get(type);
  if (!info || elements % info.blockSize !== 0) return undefined;
  return (elements / info.blockSize) * info.blockBytes;
}

// IEEE half to float through a 64K-entry table built on first use (exact: every half is a float).
let halfTable: Float32Array | undefined;
function buildHalfTable(): Float32Array {
  const table = new Float32Array(65536); // [65536] float value of each half bit pattern
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * frac * 2 ** -24;
    else if (exp === 31) table[h] = frac ? NaN : sign * Infinity;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return table;
}
export function halfToFloat(h: number): number {
  halfTable ??= buildHalfTable();
  return halfTable[h & 0xffff];
}

/** float -> IEEE half, round to nearest even (as numpy and ggml's F16 conversion do). */
export function floatToHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && (r & 1))) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1))) r++;
  return sign | r;
}

/** bfloat16 is the top half of a float32. */
const bfScratch = new DataView(new ArrayBuffer(4));
export function bfloat16ToFloat(b: number): number {
  bfScratch.setUint32(0, (b & 0xffff) << 16);
  return bfScratch.getFloat32(0);
}

/** Files are little-endian; on a little-endian host float32 data can be copied as is. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Decodes `elements` elements of `type` from `src` (exactly tensorByteSize bytes) into a new float32
 * array. The caller has already checked the type is known and the bytes exist.
 */
export function decodeTensor(type: number, src: Uint8Array, elements: number): Float32Array {
  const out = new Float32Array(elements); // [elements]
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const f16 = (at: number) => halfToFloat(dv.getUint16(at, true));
  switch (type) {
    case GgmlType.F32:
      if (LITTLE_ENDIAN_HOST) out.set(new Float32Array(Uint8Array.prototype.slice.call(src).buffer)); // bulk copy (slice realigns)
      else for (let i = 0; i < elements; i++) out[i] = dv.getFloat32(4 * i, true);
      break;
    case GgmlType.F16:
      for (let i = 0; i < elements; i++) out[i] = f16(2 * i);
      break;
    case GgmlType.I8:
      for (let i = 0; i < elements; i++) out[i] = dv.getInt8(i);
      break;
    case GgmlType.I16:
      for (let i = 0; i < elements; i++) out[i] = dv.getInt16(2 * i, true);
      break;
    case GgmlType.I32:
      for (let i = 0; i < elements; i++) out[i] = dv.getInt32(4 * i, true);
      break;
    case GgmlType.F64:
      for (let i = 0; i < elements; i++) out[i] = dv.getFloat64(8 * i, true);
      break;
    case GgmlType.BF16:
      for (let i = 0; i < elements; i++) out[i] = bfloat16ToFloat(dv.getUint16(2 * i, true));
      break;
    case GgmlType.Q8_0:
      for (let b = 0, at = 0; b < elements / 32; b++, at += 34) {
        const d = f16(at);
        for (let j = 0; j < 32; j++) out[32 * b + j] = d * dv.getInt8(at + 2 + j);
      }
      break;
    case GgmlType.Q4_0:
      // Low nibbles hold elements 0..15 of the block, high nibbles 16..31; both offset by 8.
      for (let b = 0, at = 0; b < elements / 32; b++, at += 18) {
        const d = f16(at);
        for (let j = 0; j < 16; j++) {
          const q = src[at + 2 + j];
          out[32 * b + j] = d * ((q & 15) - 8);
          out[32 * b + j + 16] = d * ((q >> 4) - 8);
        }
      }
      break;
    case GgmlType.Q4_1:
      for (let b = 0, at = 0; b < elements / 32; b++, at += 20) {
        const d = f16(at);
        const m = f16(at + 2);
        for (let j = 0; j < 16; j++) {
          const q = src[at + 4 + j];
          out[32 * b + j] = d * (q & 15) + m;
          out[32 * b + j + 16] = d * (q >> 4) + m;
        }
      }
      break;
    case GgmlType.Q5_0:
    case GgmlType.Q5_1: {
      const withMin = type === GgmlType.Q5_1;
      const bytes = withMin ? 24 : 22;
      for (let b = 0, at = 0; b < elements / 32; b++, at += bytes) {
        const d = f16(at);
        const m = withMin ? f16(at + 2) : 0;
        const hiAt = at + (withMin ? 4 : 2);
        const qh = dv.getUint32(hiAt, true); // bit j is the fifth bit of element j
        for (let j = 0; j < 16; j++) {
          const q = src[hiAt + 4 + j];
          const lo = (q & 15) | (((qh >>> j) & 1) << 4);
          const hi = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
          out[32 * b + j] = withMin ? d * lo + m : d * (lo - 16);
          out[32 * b + j + 16] = withMin ? d * hi + m : d * (hi - 16);
        }
      }
      break;
    }
    case GgmlType.Q4_K:
    case GgmlType.Q5_K: {
      // 8 sub-blocks of 32: value = d * scale_j * q - dmin * min_j; Q5_K adds a fifth bit from qh.
      const five = type === GgmlType.Q5_K;
      const bytes = five ? 176 : 144;
      for (let b = 0, at = 0; b < elements / 256; b++, at += bytes) {
        const d = f16(at);
        const dmin = f16(at + 2);
        const sc = at + 4;
        const qh = at + 16; // Q5_K: 32 bytes, bit j of byte l is the fifth bit of element 32 j + l
        let q = at + (five ? 48 : 16);
        let y = 256 * b;
        for (let j = 0; j < 8; j += 2, q += 32) {
          const [s1, m1] = kScaleMin(src, sc, j);
          const [s2, m2] = kScaleMin(src, sc, j + 1);
          for (let l = 0; l < 32; l++) out[y++] = d * s1 * ((src[q + l] & 15) + (five ? ((src[qh + l] >> j) & 1) << 4 : 0)) - dmin * m1;
          for (let l = 0; l < 32; l++) out[y++] = d * s2 * ((src[q + l] >> 4) + (five ? ((src[qh + l] >> (j + 1)) & 1) << 4 : 0)) - dmin * m2;
        }
      }
      break;
    }
    case GgmlType.Q3_K:
      // 16 sub-blocks of 16: value = d * (scale - 32) * (q - 4), q = 2 low bits | high bit << 2.
      for (let b = 0, at = 0; b < elements / 256; b++, at += 110) {
        const d = f16(at + 108);
        for (let e = 0; e < 256; e++) {
          const half = e >> 7; // 128-element half: its own 32 bytes of qs
          const j = (e >> 5) & 3; // 2-bit plane within the byte
          const l = e & 31;
          const low = (src[at + 32 + 32 * half + l] >> (2 * j)) & 3;
          const high = (src[at + l] >> (4 * half + j)) & 1;
          out[256 * b + e] = d * (q3kScale(src, at + 96, e >> 4) - 32) * ((low | (high << 2)) - 4);
        }
      }
      break;
    case GgmlType.Q2_K:
      // 16 sub-blocks of 16: value = d * (s & 15) * q - dmin * (s >> 4), q 2 bits.
      for (let b = 0, at = 0; b < elements / 256; b++, at += 84) {
        const d = f16(at + 80);
        const dmin = f16(at + 82);
        for (let e = 0; e < 256; e++) {
          const half = e >> 7;
          const j = (e >> 5) & 3;
          const l = e & 31;
          const q = (src[at + 16 + 32 * half + l] >> (2 * j)) & 3;
          const s = src[at + (e >> 4)];
          out[256 * b + e] = d * (s & 15) * q - dmin * (s >> 4);
        }
      }
      break;
    default: {
      const layout = dyadicGroupLayout(type);
      if (!layout) throw new Error(`decodeTensor: unsupported type ${type}`);
      const [bits, group] = layout;
      const bytes = 4 + (group * bits) / 8;
      for (let b = 0, at = 0; b < elements / group; b++, at += bytes) {
        const d = f16(at);
        const m = f16(at + 2);
        for (let i = 0; i < group; i++) {
          const bit = i * bits;
          const word = src[at + 4 + (bit >> 3)] | ((src[at + 5 + (bit >> 3)] ?? 0) << 8); // a level spans at most 2 bytes
          out[group * b + i] = d * ((word >> (bit & 7)) & ((1 << bits) - 1)) + m;
        }
      }
      break;
    }
    case GgmlType.IQ4_NL:
      for (let b = 0, at = 0; b < elements / 32; b++, at += 18) {
        const d = f16(at);
        for (let j = 0; j < 16; j++) {
          const q = src[at + 2 + j];
          out[32 * b + j] = d * IQ4NL_VALUES[q & 15];
          out[32 * b + j + 16] = d * IQ4NL_VALUES[q >> 4];
        }
      }
      break;
    case GgmlType.Q6_K:
      for (let b = 0, at = 0; b < elements / 256; b++, at += 210) {
        const d = f16(at + 208);
        for (let half = 0; half < 2; half++) {
          const ql = at + 64 * half;
          const qh = at + 128 + 32 * half;
          const sc = at + 192 + 8 * half;
          const y = 256 * b + 128 * half;
          for (let l = 0; l < 32; l++) {
            const is = l >> 4;
            const h = src[qh + l];
            const q1 = ((src[ql + l] & 15) | ((h & 3) << 4)) - 32;
            const q2 = ((src[ql + l + 32] & 15) | (((h >> 2) & 3) << 4)) - 32;
            const q3 = ((src[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
            const q4 = ((src[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
            out[y + l] = d * dv.getInt8(sc + is) * q1;
            out[y + l + 32] = d * dv.getInt8(sc + is + 2) * q2;
            out[y + l + 64] = d * dv.getInt8(sc + is + 4) * q3;
            out[y + l + 96] = d * dv.getInt8(sc + is + 6) * q4;
          }
        }
      }
      break;
  }
  return out;
}
