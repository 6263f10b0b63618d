// llama.cpp's block types as group-wise integer weights (the contract of the group-wise kernels,
// assembly/gemm/groupwise.ts). Each stored block decodes, without changing any stored quant, into
//   codes u[k]      the stored quant of element k (0..umax; signed int8 values for the 8-bit kinds)
//   per group g of G elements (G = 32, or 16 for the 16-element sub-blocks of Q6_K, Q3_K, Q2_K):
//     sd[g]         the real group scale (f16 d, times the stored integer sub-scale for K-quants)
//     sm[g]         the real group min (0 for symmetric types)
//   with the file's value  w[k] = sd[g] * (u[k] - off) - sm[g]   (off: the type's fixed offset).
// Only sd and sm are real numbers; they become integers here (offline, the only float step) under a
// per-row power of two 2^e (integerRow):
//   S[g] = round(sd[g] * 2^e),  Mx[g] = round(sm[g] * 2^e),   W[k] = S[g] * (u[k] - off) - Mx[g]
// so the integer weight W[k] * 2^-e approximates w[k] within the budget below.
//
// Block layouts (ggml-common.h; little-endian, f16 = IEEE half):
//   Q8_0   34 B / 32: d, int8 q[32]                                   w = d q
//   IQ4_NL 18 B / 32: d, 16 B nibbles (low: j, high: j + 16)           w = d IQ4NL_VALUES[nibble]
//   Q4_0   18 B / 32: d, 16 B nibbles                                  w = d (q - 8)
//   Q4_1   20 B / 32: d, m, 16 B nibbles                               w = d q + m
//   Q5_0   22 B / 32: d, u32 fifth bits, 16 B nibbles                   w = d (q - 16)
//   Q5_1   24 B / 32: d, m, u32 fifth bits, 16 B nibbles                w = d q + m
//   Q4_K  144 B / 256: d, dmin, 12 B of 6-bit scales/mins, 128 B nibbles (32-element sub-blocks)
//   Q5_K  176 B / 256: as Q4_K plus 32 B of fifth bits                  w = d sc_j q - dmin m_j
//   Q6_K  210 B / 256: 128 B low nibbles, 64 B high 2 bits, int8 sc[16], d   w = d sc_j (q - 32)
//   Q3_K  110 B / 256: 32 B high bits, 64 B 2-bit quants, 12 B 6-bit scales, d   w = d (sc_j - 32) (q - 4)
//   Q2_K   84 B / 256: 16 B scale|min nibbles, 64 B 2-bit quants, d, dmin      w = d (s & 15) q - dmin (s >> 4)
import { GgmlType, IQ4NL_VALUES, halfToFloat, kScaleMin, q3kScale } from '../formats/tensor-types.js';

/** How the kernel stores a type's codes: nibbles (u <= 15), bytes (u <= 63) or signed int8 values. */
export type GroupKind = 'q4' | 'q6' | 'i8';

export interface GroupwiseFormat {
  readonly type: number;
  readonly name: string;
  readonly kind: GroupKind;
  /** Elements per group (one integer scale each). */
  readonly G: 16 | 32;
  /** Fixed offset subtracted from every code (0 for types with a min). */
  readonly off: number;
  /** Largest code (for 'i8': the largest |value|). */
  readonly umax: number;
  /** Whether the type has a per-group min (Mx). */
  readonly hasMin: boolean;
  readonly blockSize: number;
  readonly blockBytes: number;
}

const F = (type: number, name: string, kind: GroupKind, G: 16 | 32, off: number, umax: number, hasMin: boolean, blockSize: number, blockBytes: number): GroupwiseFormat =>
  ({ type, name, kind, G, off, umax, hasMin, blockSize, blockBytes });

export const GROUPWISE_FORMATS: ReadonlyMap<number, GroupwiseFormat> = new Map([
  [GgmlType.Q8_0, F(GgmlType.Q8_0, 'Q8_0', 'i8', 32, 0, 128, false, 32, 34)],
  [GgmlType.IQ4_NL, F(GgmlType.IQ4_NL, 'IQ4_NL', 'i8', 32, 0, 127, false, 32, 18)],
  [GgmlType.Q4_0, F(GgmlType.Q4_0, 'Q4_0', 'q4', 32, 8, 15, false, 32, 18)],
  [GgmlType.Q4_1, F(GgmlType.Q4_1, 'Q4_1', 'q4', 32, 0, 15, true, 32, 20)],
  [GgmlType.Q5_0, F(GgmlType.Q5_0, 'Q5_0', 'q6', 32, 16, 31, false, 32, 22)],
  [GgmlType.Q5_1, F(GgmlType.Q5_1, 'Q5_1', 'q6', 32, 0, 31, true, 32, 24)],
  [GgmlType.Q4_K, F(GgmlType.Q4_K, 'Q4_K', 'q4', 32, 0, 15, true, 256, 144)],
  [GgmlType.Q5_K, F(GgmlType.Q5_K, 'Q5_K', 'q6', 32, 0, 31, true, 256, 176)],
  [GgmlType.Q6_K, F(GgmlType.Q6_K, 'Q6_K', 'q6', 16, 32, 63, false, 256, 210)],
  [GgmlType.Q3_K, F(GgmlType.Q3_K, 'Q3_K', 'q6', 16, 4, 7, false, 256, 110)],
  [GgmlType.Q2_K, F(GgmlType.Q2_K, 'Q2_K', 'q6', 16, 0, 3, true, 256, 84)],
]);

export function groupwiseFormat(type: number): GroupwiseFormat | undefined {
  return GROUPWISE_FORMATS.get(type);
}

// ── Kept precision (budget constants, checked against float64 in test/gemm/groupwise.test.ts) ────────
/** Bits of a group's integer scale: |S| <= 2^13 - 1, so S fits the i16 operand of the kernels' scale dot. */
export const GW_SCALE_BITS = 13;
export const GW_SCALE_MAX = 2 ** GW_SCALE_BITS - 1;
/** Largest |Mx| (a group min's integer); the min term is accumulated in int64. */
export const GW_MIN_MAX = 2 ** 24 - 1;
/**
 * Per-weight error of the integer weights: |W[k] 2^-e - w[k]| <= GW_WEIGHT_ERROR_UNITS(qmax) * 2^-e,
 * from rounding S (times |u - off| <= qmax) and Mx to nearest. With e chosen as large as the row's
 * largest group scale allows, 2^-e < 2 max|sd| / GW_SCALE_MAX: every group scale is kept to within
 * 2^-13 of the row's largest one (the file's own f16 d carries 2^-11 relative precision).
 */
export const GW_WEIGHT_ERROR_UNITS = (qmax: number): number => (qmax + 1) / 2;

/** Largest |u - off| of a format (the factor on a group scale's rounding error). */
export function qmaxOf(f: GroupwiseFormat): number {
  return f.kind === 'i8' ? f.umax : Math.max(f.umax - f.off, f.off);
}

/** One row decoded (reused buffers): codes [K] and per-group sd, sm [K / G]. */
export interface DecodedRow {
  codes: Int16Array;
  sd: Float64Array;
  sm: Float64Array;
}

/** Sink for scale writes when only codes are wanted (writes to a typed array past its end are dropped). */
const NO_SCALES = new Float64Array(0);
const NO_CODES = new Int16Array(0);

export function newDecodedRow(f: GroupwiseFormat, K: number): DecodedRow {
  return { codes: new Int16Array(K), sd: new Float64Array(K / f.G), sm: new Float64Array(K / f.G) };
}

/**
 * Decodes the K elements of one row starting at byte `at` of `src` into `out`. With codesOnly, only the
 * codes are written, in integer arithmetic (the embedding lookup at inference; sd and sm stay untouched);
 * with scalesOnly, only sd and sm (the codes array is left as it was).
 */
export function decodeRow(f: GroupwiseFormat, src: Uint8Array, at: number, K: number, out: DecodedRow, codesOnly = false, scalesOnly = false): void {
  const codes = scalesOnly ? NO_CODES : out.codes;
  const C16 = scalesOnly ? 0 : 16; // code loop lengths (none when only scales are wanted)
  const C32 = scalesOnly ? 0 : 32;
  const C256 = scalesOnly ? 0 : 256;
  const sd = codesOnly ? NO_SCALES : out.sd;
  const sm = codesOnly ? NO_SCALES : out.sm;
  const h = (i: number) => (codesOnly ? 0 : halfToFloat(src[i] | (src[i + 1] << 8)));
  const nb = K / f.blockSize;
  for (let b = 0; b < nb; b++, at += f.blockBytes) {
    const y = b * f.blockSize; // first element of the block
    const g0 = y / f.G; // first group of the block
    switch (f.type) {
      case GgmlType.Q8_0:
        sd[g0] = h(at);
        sm[g0] = 0;
        for (let j = 0; j < C32; j++) codes[y + j] = (src[at + 2 + j] << 24) >> 24;
        break;
      case GgmlType.IQ4_NL:
      case GgmlType.Q4_0:
      case GgmlType.Q4_1: {
        const table = f.type === GgmlType.IQ4_NL;
        const q = at + (f.type === GgmlType.Q4_1 ? 4 : 2);
        sd[g0] = h(at);
        sm[g0] = f.type === GgmlType.Q4_1 ? -h(at + 2) : 0;
        for (let j = 0; j < C16; j++) {
          codes[y + j] = table ? IQ4NL_VALUES[src[q + j] & 15] : src[q + j] & 15;
          codes[y + 16 + j] = table ? IQ4NL_VALUES[src[q + j] >> 4] : src[q + j] >> 4;
        }
        break;
      }
      case GgmlType.Q5_0:
      case GgmlType.Q5_1: {
        const withMin = f.type === GgmlType.Q5_1;
        const hi = at + (withMin ? 4 : 2);
        const bits = (src[hi] | (src[hi + 1] << 8) | (src[hi + 2] << 16) | (src[hi + 3] << 24)) >>> 0;
        sd[g0] = h(at);
        sm[g0] = withMin ? -h(at + 2) : 0;
        for (let j = 0; j < C16; j++) {
          const q = src[hi + 4 + j];
          codes[y + j] = (q & 15) | (((bits >>> j) & 1) << 4);
          codes[y + 16 + j] = (q >> 4) | (((bits >>> (j + 16)) & 1) << 4);
        }
        break;
      }
      case GgmlType.Q4_K:
      case GgmlType.Q5_K: {
        const five = f.type === GgmlType.Q5_K;
        const d = h(at);
        const dmin = h(at + 2);
        const qs = at + (five ? 48 : 16);
        for (let j = 0; j < 8; j++) {
          const [s, m] = kScaleMin(src, at + 4, j);
          sd[g0 + j] = d * s;
          sm[g0 + j] = dmin * m;
          const q = qs + 32 * (j >> 1);
          const shift = 4 * (j & 1);
          for (let l = 0; l < C32; l++) {
            codes[y + 32 * j + l] = ((src[q + l] >> shift) & 15) | (five ? ((src[at + 16 + l] >> j) & 1) << 4 : 0);
          }
        }
        break;
      }
      case GgmlType.Q6_K: {
        const d = h(at + 208);
        for (let j = 0; j < 16; j++) {
          sd[g0 + j] = d * ((src[at + 192 + j] << 24) >> 24);
          sm[g0 + j] = 0;
        }
        for (let e = 0; e < C256; e++) {
          const half = e >> 7;
          const quarter = (e >> 5) & 3; // 32-element run: nibble plane (quarter & 1) of ql[64 half + 32 (quarter >> 1) ..]
          const l = e & 31;
          const low = (src[at + 64 * half + 32 * (quarter & 1) + l] >> (4 * (quarter >> 1))) & 15;
          const high = (src[at + 128 + 32 * half + l] >> (2 * quarter)) & 3;
          codes[y + e] = low | (high << 4);
        }
        break;
      }
      case GgmlType.Q3_K: {
        const d = h(at + 108);
        for (let j = 0; j < 16; j++) {
          sd[g0 + j] = d * (q3kScale(src, at + 96, j) - 32);
          sm[g0 + j] = 0;
        }
        for (let e = 0; e < C256; e++) {
          const half = e >> 7;
          const j = (e >> 5) & 3;
          const l = e & 31;
          codes[y + e] = ((src[at + 32 + 32 * half + l] >> (2 * j)) & 3) | (((src[at + l] >> (4 * half + j)) & 1) << 2);
        }
        break;
      }
      case GgmlType.Q2_K: {
        const d = h(at + 80);
        const dmin = h(at + 82);
        for (let j = 0; j < 16; j++) {
          sd[g0 + j] = d * (src[at + j] & 15);
          sm[g0 + j] = dmin * (src[at + j] >> 4);
        }
        for (let e = 0; e < C256; e++) {
          const half = e >> 7;
          const j = (e >> 5) & 3;
          codes[y + e] = (src[at + 16 + 32 * half + (e & 31)] >> (2 * j)) & 3;
        }
        break;
      }
      default:
        throw new RangeError(`dyadic group-wise: type ${f.name} has no decoder`);
    }
  }
}

/** One row's integer group scales: W[k] = S[g] (u[k] - off) - Mx[g], real weight ~ W 2^-e. */
export interface IntegerRow {
  e: number;
  S: Int32Array;
  Mx: Int32Array;
}

/**
 * Largest e such that every |round(sd 2^e)| <= GW_SCALE_MAX and every |round(sm 2^e)| <= GW_MIN_MAX
 * (e = 0 for an all-zero row). Writes S and Mx (length K / G).
 */
export function integerRow(sd: Float64Array, sm: Float64Array, S: Int32Array, Mx: Int32Array): number {
  let maxS = 0;
  let maxM = 0;
  for (let g = 0; g < sd.length; g++) {
    maxS = Math.max(maxS, Math.abs(sd[g]));
    maxM = Math.max(maxM, Math.abs(sm[g]));
  }
  if (!Number.isFinite(maxS) || !Number.isFinite(maxM)) throw new RangeError('dyadic group-wise: a block scale is not finite (inf or NaN in the file)');
  let e = 0;
  if (maxS > 0 || maxM > 0) {
    e = 200;
    if (maxS > 0) e = Math.min(e, Math.floor(Math.log2(GW_SCALE_MAX / maxS)));
    if (maxM > 0) e = Math.min(e, Math.floor(Math.log2(GW_MIN_MAX / maxM)));
    // log2 may land one off at powers of two: settle on the exact rule.
    while (Math.round(maxS * 2 ** e) > GW_SCALE_MAX || Math.round(maxM * 2 ** e) > GW_MIN_MAX) e--;
    while (Math.round(maxS * 2 ** (e + 1)) <= GW_SCALE_MAX && Math.round(maxM * 2 ** (e + 1)) <= GW_MIN_MAX) e++;
  }
  const p = 2 ** e;
  for (let g = 0; g < sd.length; g++) {
    S[g] = Math.round(sd[g] * p);
    Mx[g] = Math.round(sm[g] * p);
  }
  return e;
}
