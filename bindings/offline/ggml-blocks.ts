// Encoders of llama.cpp's (GGML's) quantized block types, offline and in float: Q8_0, Q4_0, Q4_1, Q5_0,
// Q5_1 (32-element blocks, one f16 scale, Q4_1/Q5_1 also an f16 minimum) and the 256-element K-quant
// super-blocks Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (sub-block scales quantized against f16 super-block scales).
//
// Every type is split the same way so that GPTQ (gptq-blocks.ts) can drive it:
//   plan(x)         chooses a block's scales from its values (and optional per-element importance) and
//                   writes them into the block's bytes; every element of group g then decodes as
//                   step[g] * level + offset[g], level in [lo, hi];
//   levelOf(...)    the nearest level of one value under a plan (GPTQ rounds column by column with it);
//   pack(plan, L)   writes the levels into the block's bytes.
// encodeBlock(x) is plan + nearest levels + pack. For the round-to-nearest 32-element types it is instead
// llama.cpp's own arithmetic (float32 products with the unrounded 1/d, truncating casts), so that a file
// written here is byte-identical to llama.cpp's quantizer's from the same F32 weights (test/offline/).
// The K-types' scales come from a weighted least-squares search of this file's own (llama.cpp searches
// differently; the tests hold the reconstruction error to llama.cpp's).
import { DYADIC_GROUP_BITS, DYADIC_GROUP_SIZES, GgmlType, dyadicGroupType, floatToHalf, halfToFloat } from '../formats/tensor-types.js';

const f32 = Math.fround;

/** A block's chosen scales: its bytes with every field but the levels written. */
export interface BlockPlan {
  /** [groups] decoded step of each group (the stored f16 scale, times the sub-block scale for K-types). */
  readonly step: Float64Array;
  /** [groups] decoded offset of each group (0 for symmetric types). */
  readonly offset: Float64Array;
  /** [blockBytes] the block, levels still zero. */
  readonly bytes: Uint8Array;
}

export interface BlockCodec {
  readonly type: number;
  readonly name: string;
  /** Elements per block and bytes per block. */
  readonly blockSize: number;
  readonly blockBytes: number;
  /** Elements sharing one step/offset. */
  readonly groupSize: number;
  /** Level range (inclusive). */
  readonly lo: number;
  readonly hi: number;
  /** Chooses scales for one block of values; `importance` [blockSize] weighs each element's squared error. */
  plan(x: ArrayLike<number>, importance?: ArrayLike<number>): BlockPlan;
  /** Writes levels [blockSize] (each in [lo, hi]) into the plan's bytes, then copies them to out[at..]. */
  pack(plan: BlockPlan, levels: Int32Array, out: Uint8Array, at: number): void;
  /** Round-to-nearest encoding of one block at out[at..] (llama.cpp's exact bytes for the 32-element types). */
  encodeBlock(x: ArrayLike<number>, out: Uint8Array, at: number): void;
}

/** The nearest level of v in group g of a plan (a zero step decodes every level to the offset: level 0 or lo). */
export function levelOf(codec: BlockCodec, plan: BlockPlan, g: number, v: number): number {
  const s = plan.step[g];
  if (s === 0) return Math.max(codec.lo, Math.min(codec.hi, 0));
  return Math.max(codec.lo, Math.min(codec.hi, Math.round((v - plan.offset[g]) / s)));
}

/** Decoded value of a level (float64; the file's decoder computes the same in float32). */
export function levelValue(plan: BlockPlan, g: number, level: number): number {
  return plan.step[g] * level + plan.offset[g];
}

// ── scale searches (float64) ────────────────────────────────────────────────────────────────────────

/** Ratios of the largest-magnitude value's own step tried by the searches (1 = no clipping). */
export const STEP_SEARCH_GRID = Array.from({ length: 25 }, (_, i) => 1.1 - i * 0.025); // 1.1 .. 0.5

const weightAt = (w: ArrayLike<number> | undefined, i: number) => (w ? w[i] : 1);

/**
 * Best signed step s for levels in [lo, hi] (lo < 0 < hi) of x[from, from+n): each candidate maps the
 * largest-magnitude value to lo or hi times a grid ratio, rounds, then refits s by weighted least squares
 * for those levels; the candidate with the least weighted squared error wins. Returns 0 for an all-zero group.
 */
export function searchSymmetricStep(x: ArrayLike<number>, from: number, n: number, lo: number, hi: number, w?: ArrayLike<number>): number {
  let max = 0;
  for (let i = from; i < from + n; i++) if (Math.abs(x[i]) > Math.abs(max)) max = x[i];
  if (max === 0) return 0;
  let best = max / (max > 0 ? hi : lo);
  let bestErr = Infinity;
  for (const end of [lo, hi]) {
    for (const r of STEP_SEARCH_GRID) {
      const s0 = (max / end) / r;
      let sxl = 0;
      let sll = 0;
      for (let i = from; i < from + n; i++) {
        const l = Math.max(lo, Math.min(hi, Math.round(x[i] / s0)));
        const wi = weightAt(w, i - from);
        sxl += wi * x[i] * l;
        sll += wi * l * l;
      }
      if (sll === 0) continue;
      const s = sxl / sll;
      if (!(s !== 0)) continue;
      let err = 0;
      for (let i = from; i < from + n; i++) {
        const l = Math.max(lo, Math.min(hi, Math.round(x[i] / s)));
        const d = x[i] - s * l;
        err += weightAt(w, i - from) * d * d;
      }
      if (err < bestErr) {
        bestErr = err;
        best = s;
      }
    }
  }
  return best;
}

/**
 * Best (step > 0, offset) for levels 0..hi of x[from, from+n), value = step * level + offset; with
 * `offsetAtMostZero` (the K-types store -offset as an unsigned min) the offset is held <= 0. Candidates
 * shrink the [min, max] range by grid ratios; each is refitted by weighted least squares over its levels.
 */
export function searchAffineStep(
  x: ArrayLike<number>, from: number, n: number, hi: number, w: ArrayLike<number> | undefined, offsetAtMostZero: boolean,
): { step: number; offset: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = from; i < from + n; i++) {
    min = Math.min(min, x[i]);
    max = Math.max(max, x[i]);
  }
  if (offsetAtMostZero) min = Math.min(min, 0);
  if (max === min) return { step: 0, offset: offsetAtMostZero ? Math.min(min, 0) : min };
  let best = { step: (max - min) / hi, offset: min };
  let bestErr = Infinity;
  const errorOf = (s: number, m: number) => {
    let err = 0;
    for (let i = from; i < from + n; i++) {
      const l = Math.max(0, Math.min(hi, Math.round((x[i] - m) / s)));
      const d = x[i] - s * l - m;
      err += weightAt(w, i - from) * d * d;
    }
    return err;
  };
  for (const r of STEP_SEARCH_GRID) {
    // shrink the range about its centre, then refit step and offset to the levels it gives
    const mid = (max + min) / 2;
    const half = ((max - min) / 2) * Math.min(r, 1);
    const m0 = offsetAtMostZero ? Math.min(0, mid - half) : mid - half;
    const s0 = (mid + half - m0) / hi;
    if (!(s0 > 0)) continue;
    let sw = 0, sl = 0, sll = 0, sx = 0, sxl = 0;
    for (let i = from; i < from + n; i++) {
      const l = Math.max(0, Math.min(hi, Math.round((x[i] - m0) / s0)));
      const wi = weightAt(w, i - from);
      sw += wi; sl += wi * l; sll += wi * l * l; sx += wi * x[i]; sxl += wi * x[i] * l;
    }
    const det = sw * sll - sl * sl;
    let s = det > 0 ? (sw * sxl - sx * sl) / det : s0;
    let m = det > 0 ? (sll * sx - sl * sxl) / det : m0;
    if (offsetAtMostZero && m > 0) {
      m = 0;
      s = sll > 0 ? sxl / sll : s0;
    }
    for (const [cs, cm] of [[s0, m0], [s, m]]) {
      if (!(cs > 0)) continue;
      const err = errorOf(cs, cm);
      if (err < bestErr) {
        bestErr = err;
        best = { step: cs, offset: cm };
      }
    }
  }
  return best;
}

// ── the 32-element types ────────────────────────────────────────────────────────────────────────────

/** Signed value of largest magnitude (the first one on ties), as llama.cpp's reference picks it. */
function signedMax(x: ArrayLike<number>): number {
  let amax = 0;
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (amax < a) {
      amax = a;
      max = x[i];
    }
  }
  return max;
}

function minMax(x: ArrayLike<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
  }
  return [min, max];
}

/** C's roundf: halves away from zero (exact for float32 inputs). */
const roundAway = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);

interface LegacyLayout {
  type: number;
  name: string;
  bits: 4 | 5 | 8;
  withMin: boolean;
}

function legacyCodec({ type, name, bits, withMin }: LegacyLayout): BlockCodec {
  const headerBytes = (withMin ? 4 : 2) + (bits === 5 ? 4 : 0);
  const blockBytes = headerBytes + (bits === 8 ? 32 : 16);
  const levels = 1 << bits;
  // symmetric types store level + levels/2 (Q8_0 stores the signed byte)
  const lo = withMin ? 0 : bits === 8 ? -127 : -levels / 2;
  const hi = withMin ? levels - 1 : bits === 8 ? 127 : levels / 2 - 1;
  const bias = withMin || bits === 8 ? 0 : levels / 2;
  const header = (d: number, m: number) => {
    const bytes = new Uint8Array(blockBytes);
    const dv = new DataView(bytes.buffer);
    const dBits = floatToHalf(d);
    dv.setUint16(0, dBits, true);
    const step = Float64Array.of(halfToFloat(dBits));
    const offset = new Float64Array(1);
    if (withMin) {
      const mBits = floatToHalf(m);
      dv.setUint16(2, mBits, true);
      offset[0] = halfToFloat(mBits);
    }
    return { step, offset, bytes };
  };
  // Stored byte values (0..levels-1, or the int8 for Q8_0) into the block.
  const write = (plan: BlockPlan, stored: ArrayLike<number>, out: Uint8Array, at: number) => {
    const b = plan.bytes;
    if (bits === 8) {
      for (let j = 0; j < 32; j++) b[2 + j] = stored[j] & 0xff;
    } else {
      let qh = 0;
      for (let j = 0; j < 16; j++) {
        const a = stored[j];
        const c = stored[j + 16];
        b[headerBytes + j] = (a & 15) | ((c & 15) << 4);
        qh |= ((a >> 4) & 1) << j;
        qh |= ((c >> 4) & 1) << (j + 16);
      }
      if (bits === 5) new DataView(b.buffer).setUint32(headerBytes - 4, qh >>> 0, true);
    }
    out.set(b, at);
  };
  return {
    type, name, blockSize: 32, blockBytes, groupSize: 32, lo, hi,
    plan(x, importance) {
      if (withMin) {
        const { step, offset } = searchAffineStep(x, 0, 32, hi, importance, false);
        return header(step, offset);
      }
      return header(searchSymmetricStep(x, 0, 32, lo, hi, importance), 0);
    },
    pack(plan, L, out, at) {
      write(plan, Array.from(L, (l) => l + bias), out, at);
    },
    encodeBlock(x, out, at) {
      // llama.cpp's reference arithmetic, in float32
      const stored = new Int32Array(32);
      let plan: BlockPlan;
      if (withMin) {
        const [min, max] = minMax(x);
        const d = f32(f32(max - min) / (levels - 1));
        const id = d ? f32(1 / d) : 0;
        plan = header(d, min);
        for (let j = 0; j < 32; j++) {
          const v = Math.trunc(f32(f32(f32(x[j] - min) * id) + 0.5));
          stored[j] = Math.min(levels - 1, v);
        }
      } else if (bits === 8) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[j]));
        const d = f32(amax / 127);
        const id = d ? f32(1 / d) : 0;
        plan = header(d, 0);
        for (let j = 0; j < 32; j++) stored[j] = roundAway(f32(x[j] * id));
      } else {
        const d = f32(signedMax(x) / -(levels / 2));
        const id = d ? f32(1 / d) : 0;
        plan = header(d, 0);
        for (let j = 0; j < 32; j++) stored[j] = Math.min(levels - 1, Math.trunc(f32(f32(x[j] * id) + (levels / 2 + 0.5))));
      }
      write(plan, stored, out, at);
    },
  };
}

export const Q8_0 = legacyCodec({ type: GgmlType.Q8_0, name: 'Q8_0', bits: 8, withMin: false });
export const Q4_0 = legacyCodec({ type: GgmlType.Q4_0, name: 'Q4_0', bits: 4, withMin: false });
export const Q4_1 = legacyCodec({ type: GgmlType.Q4_1, name: 'Q4_1', bits: 4, withMin: true });
export const Q5_0 = legacyCodec({ type: GgmlType.Q5_0, name: 'Q5_0', bits: 5, withMin: false });
export const Q5_1 = legacyCodec({ type: GgmlType.Q5_1, name: 'Q5_1', bits: 5, withMin: true });

// ── K-quant super-blocks (256 elements) ─────────────────────────────────────────────────────────────

/** Sub-scale quantization: integers q in [0, qmax] with q * f16(d) ~ s, d chosen so the largest s fits. */
function quantizeSubScales(s: ArrayLike<number>, qmax: number, qmin = 0): { dBits: number; d: number; q: Int32Array } {
  let amax = 0;
  for (let i = 0; i < s.length; i++) amax = Math.max(amax, Math.abs(s[i]));
  const q = new Int32Array(s.length);
  if (amax === 0) return { dBits: 0, d: 0, q };
  const dBits = floatToHalf(amax / Math.max(qmax, -qmin));
  const d = halfToFloat(dBits);
  if (d === 0) return { dBits: 0, d: 0, q };
  for (let i = 0; i < s.length; i++) {
    let v = Math.max(qmin, Math.min(qmax, Math.round(s[i] / d)));
    if (v === 0 && s[i] !== 0 && qmin === 0) v = 1; // keep a non-zero group representable
    q[i] = v;
  }
  return { dBits, d, q };
}

/**
 * After the sub-scales and mins are rounded to integers against the super-block's d and dmin, each group
 * tries the neighbouring integers (+-1 of each) and keeps the pair with the least weighted squared error
 * over its elements (rounding both independently ignores that they trade off).
 */
function refineScaleMinPairs(
  x: ArrayLike<number>, importance: ArrayLike<number> | undefined, groupSize: number, hi: number, qmax: number,
  d: number, dmin: number, sc: Int32Array, mn: Int32Array,
): void {
  for (let g = 0; g < sc.length; g++) {
    let best = { e: Infinity, s: sc[g], m: mn[g] };
    for (let ds = -1; ds <= 1; ds++) {
      for (let dm = -1; dm <= 1; dm++) {
        const s = sc[g] + ds;
        const m = mn[g] + dm;
        if (s < 0 || s > qmax || m < 0 || m > qmax) continue;
        const step = d * s;
        const off = -dmin * m;
        let e = 0;
        for (let i = g * groupSize; i < (g + 1) * groupSize; i++) {
          const l = step === 0 ? 0 : Math.max(0, Math.min(hi, Math.round((x[i] - off) / step)));
          const diff = x[i] - step * l - off;
          e += (importance ? importance[i] : 1) * diff * diff;
        }
        if (e < best.e) best = { e, s, m };
      }
    }
    sc[g] = best.s;
    mn[g] = best.m;
  }
}

/** Q4_K / Q5_K: 8 groups of 32, 6-bit scales and mins packed in 12 bytes after f16 d and dmin. */
function kAffineCodec(type: number, name: string, bits: 4 | 5): BlockCodec {
  const hi = (1 << bits) - 1;
  const blockBytes = bits === 4 ? 144 : 176;
  const qsAt = bits === 4 ? 16 : 48;
  const plan = (x: ArrayLike<number>, importance?: ArrayLike<number>): BlockPlan => {
    const s = new Float64Array(8);
    const mins = new Float64Array(8); // -offset >= 0
    for (let g = 0; g < 8; g++) {
      const w = importance ? Array.from({ length: 32 }, (_, i) => importance[32 * g + i]) : undefined;
      const r = searchAffineStep(x, 32 * g, 32, hi, w, true);
      s[g] = r.step;
      mins[g] = -r.offset;
    }
    const sc = quantizeSubScales(s, 63);
    const mn = quantizeSubScales(mins, 63);
    refineScaleMinPairs(x, importance, 32, hi, 63, sc.d, mn.d, sc.q, mn.q);
    const bytes = new Uint8Array(blockBytes);
    const dv = new DataView(bytes.buffer);
    dv.setUint16(0, sc.dBits, true);
    dv.setUint16(2, mn.dBits, true);
    for (let j = 0; j < 8; j++) {
      const ls = sc.q[j];
      const lm = mn.q[j];
      if (j < 4) {
        bytes[4 + j] |= ls;
        bytes[4 + j + 4] |= lm;
      } else {
        bytes[4 + j + 4] = (ls & 15) | ((lm & 15) << 4);
        bytes[4 + j - 4] |= (ls >> 4) << 6;
        bytes[4 + j] |= (lm >> 4) << 6;
      }
    }
    return {
      step: Float64Array.from(sc.q, (q) => sc.d * q),
      offset: Float64Array.from(mn.q, (q) => -mn.d * q),
      bytes,
    };
  };
  const pack = (p: BlockPlan, L: Int32Array, out: Uint8Array, at: number) => {
    const b = p.bytes;
    if (bits === 5) b.fill(0, 16, 48);
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) {
        const a = L[64 * c + l];
        const e = L[64 * c + 32 + l];
        b[qsAt + 32 * c + l] = (a & 15) | ((e & 15) << 4);
        if (bits === 5) b[16 + l] |= ((a >> 4) << (2 * c)) | ((e >> 4) << (2 * c + 1));
      }
    }
    out.set(b, at);
  };
  return kCodec({ type, name, blockBytes, groupSize: 32, lo: 0, hi, plan, pack });
}

/** Q6_K: 16 groups of 16, levels -32..31, int8 scales, f16 d at the end. */
const q6kPlan = (x: ArrayLike<number>, importance?: ArrayLike<number>): BlockPlan => {
  const s = new Float64Array(16);
  for (let g = 0; g < 16; g++) {
    const w = importance ? Array.from({ length: 16 }, (_, i) => importance[16 * g + i]) : undefined;
    s[g] = searchSymmetricStep(x, 16 * g, 16, -32, 31, w);
  }
  const sc = quantizeSubScales(s, 127, -127);
  const bytes = new Uint8Array(210);
  const dv = new DataView(bytes.buffer);
  for (let g = 0; g < 16; g++) dv.setInt8(192 + g, sc.q[g]);
  dv.setUint16(208, sc.dBits, true);
  return { step: Float64Array.from(sc.q, (q) => sc.d * q), offset: new Float64Array(16), bytes };
};
function q6kPack(p: BlockPlan, L: Int32Array, out: Uint8Array, at: number): void {
  const b = p.bytes;
  for (let h = 0; h < 2; h++) {
    const j = 128 * h;
    for (let l = 0; l < 32; l++) {
      const [a, c, e, f] = [L[j + l] + 32, L[j + l + 32] + 32, L[j + l + 64] + 32, L[j + l + 96] + 32];
      b[64 * h + l] = (a & 15) | ((e & 15) << 4);
      b[64 * h + l + 32] = (c & 15) | ((f & 15) << 4);
      b[128 + 32 * h + l] = (a >> 4) | ((c >> 4) << 2) | ((e >> 4) << 4) | ((f >> 4) << 6);
    }
  }
  out.set(b, at);
}

/** 2-bit fields of four 32-element quarters of each 128 elements (Q2_K and Q3_K's low bits). */
function packCrumbs(L: ArrayLike<number>, b: Uint8Array, at: number): void {
  for (let j = 0; j < 256; j += 128) {
    for (let l = 0; l < 32; l++) {
      b[at + j / 4 + l] = (L[j + l] & 3) | ((L[j + l + 32] & 3) << 2) | ((L[j + l + 64] & 3) << 4) | ((L[j + l + 96] & 3) << 6);
    }
  }
}

/** Q3_K: 16 groups of 16, levels -4..3 (2 low bits + a high-bit mask), 6-bit signed scales, f16 d. */
const q3kPlan = (x: ArrayLike<number>, importance?: ArrayLike<number>): BlockPlan => {
  const s = new Float64Array(16);
  for (let g = 0; g < 16; g++) {
    const w = importance ? Array.from({ length: 16 }, (_, i) => importance[16 * g + i]) : undefined;
    s[g] = searchSymmetricStep(x, 16 * g, 16, -4, 3, w);
  }
  const sc = quantizeSubScales(s, 31, -32);
  const bytes = new Uint8Array(110);
  for (let j = 0; j < 16; j++) {
    const l = sc.q[j] + 32;
    if (j < 8) bytes[96 + j] |= l & 15;
    else bytes[96 + j - 8] |= (l & 15) << 4;
    bytes[96 + 8 + (j % 4)] |= (l >> 4) << (2 * Math.floor(j / 4));
  }
  new DataView(bytes.buffer).setUint16(108, sc.dBits, true);
  return { step: Float64Array.from(sc.q, (q) => sc.d * q), offset: new Float64Array(16), bytes };
};
function q3kPack(p: BlockPlan, L: Int32Array, out: Uint8Array, at: number): void {
  const b = p.bytes;
  b.fill(0, 0, 96);
  const stored = Int32Array.from(L, (l) => l + 4);
  for (let j = 0; j < 256; j++) if (stored[j] > 3) b[j % 32] |= 1 << Math.floor(j / 32);
  packCrumbs(stored, b, 32);
  out.set(b, at);
}

/** Q2_K: 16 groups of 16, levels 0..3, 4-bit scale and min per group, f16 d and dmin at the end. */
const q2kPlan = (x: ArrayLike<number>, importance?: ArrayLike<number>): BlockPlan => {
  const s = new Float64Array(16);
  const mins = new Float64Array(16);
  for (let g = 0; g < 16; g++) {
    const w = importance ? Array.from({ length: 16 }, (_, i) => importance[16 * g + i]) : undefined;
    const r = searchAffineStep(x, 16 * g, 16, 3, w, true);
    s[g] = r.step;
    mins[g] = -r.offset;
  }
  const sc = quantizeSubScales(s, 15);
  const mn = quantizeSubScales(mins, 15);
  refineScaleMinPairs(x, importance, 16, 3, 15, sc.d, mn.d, sc.q, mn.q);
  const bytes = new Uint8Array(84);
  for (let g = 0; g < 16; g++) bytes[g] = sc.q[g] | (mn.q[g] << 4);
  const dv = new DataView(bytes.buffer);
  dv.setUint16(80, sc.dBits, true);
  dv.setUint16(82, mn.dBits, true);
  return { step: Float64Array.from(sc.q, (q) => sc.d * q), offset: Float64Array.from(mn.q, (q) => -mn.d * q), bytes };
};
function q2kPack(p: BlockPlan, L: Int32Array, out: Uint8Array, at: number): void {
  packCrumbs(L, p.bytes, 16);
  out.set(p.bytes, at);
}

function kCodec(o: {
  type: number; name: string; blockBytes: number; groupSize: number; lo: number; hi: number;
  plan: BlockCodec['plan']; pack: BlockCodec['pack'];
}): BlockCodec {
  const codec: BlockCodec = {
    type: o.type, name: o.name, blockSize: 256, blockBytes: o.blockBytes, groupSize: o.groupSize, lo: o.lo, hi: o.hi,
    plan: o.plan,
    pack: o.pack,
    encodeBlock(x, out, at) {
      const p = o.plan(x);
      const L = new Int32Array(256);
      for (let i = 0; i < 256; i++) L[i] = levelOf(codec, p, Math.floor(i / o.groupSize), x[i]);
      o.pack(p, L, out, at);
    },
  };
  return codec;
}

export const Q4_K = kAffineCodec(GgmlType.Q4_K, 'Q4_K', 4);
export const Q5_K = kAffineCodec(GgmlType.Q5_K, 'Q5_K', 5);
export const Q6_K = kCodec({ type: GgmlType.Q6_K, name: 'Q6_K', blockBytes: 210, groupSize: 16, lo: -32, hi: 31, plan: q6kPlan, pack: q6kPack });
export const Q3_K = kCodec({ type: GgmlType.Q3_K, name: 'Q3_K', blockBytes: 110, groupSize: 16, lo: -4, hi: 3, plan: q3kPlan, pack: q3kPack });
export const Q2_K = kCodec({ type: GgmlType.Q2_K, name: 'Q2_K', blockBytes: 84, groupSize: 16, lo: 0, hi: 3, plan: q2kPlan, pack: q2kPack });

export const BLOCK_CODECS: readonly BlockCodec[] = [Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K];

// ── dyadic's own group-wise types (formats/tensor-types.ts: DQ{bits}_G{group}) ───────────────────────

function dyadicGroupCodec(bits: number, group: number): BlockCodec {
  const hi = (1 << bits) - 1;
  const blockBytes = 4 + (group * bits) / 8;
  const plan = (x: ArrayLike<number>, importance?: ArrayLike<number>): BlockPlan => {
    const { step, offset } = searchAffineStep(x, 0, group, hi, importance, false);
    const bytes = new Uint8Array(blockBytes);
    const dv = new DataView(bytes.buffer);
    const dBits = floatToHalf(step);
    const mBits = floatToHalf(offset);
    dv.setUint16(0, dBits, true);
    dv.setUint16(2, mBits, true);
    return { step: Float64Array.of(halfToFloat(dBits)), offset: Float64Array.of(halfToFloat(mBits)), bytes };
  };
  const codec: BlockCodec = {
    type: dyadicGroupType(bits, group), name: `DQ${bits}_G${group}`, blockSize: group, blockBytes, groupSize: group, lo: 0, hi,
    plan,
    pack(p, L, out, at) {
      const b = p.bytes;
      b.fill(0, 4);
      for (let i = 0; i < group; i++) {
        const bit = i * bits;
        const v = L[i] << (bit & 7);
        b[4 + (bit >> 3)] |= v & 0xff;
        if (v > 0xff) b[5 + (bit >> 3)] |= v >> 8;
      }
      out.set(b, at);
    },
    encodeBlock(x, out, at) {
      const p = plan(x);
      codec.pack(p, Int32Array.from({ length: group }, (_, i) => levelOf(codec, p, 0, x[i])), out, at);
    },
  };
  return codec;
}

/** dyadic's own codec of `bits` in groups of `group` (llama.cpp cannot read these). */
export const DYADIC_CODECS: readonly BlockCodec[] = DYADIC_GROUP_SIZES.flatMap((g) => DYADIC_GROUP_BITS.map((b) => dyadicGroupCodec(b, g)));
export function dyadicCodec(bits: number, group: number): BlockCodec {
  const c = DYADIC_CODECS.find((d) => d.type === dyadicGroupType(bits, group));
  if (!c) throw new RangeError(`no dyadic group type of ${bits} bits in groups of ${group}`);
  return c;
}

/** The codec of a type name ('q4_0', 'Q4_K', ...), or undefined. */
export function codecByName(name: string): BlockCodec | undefined {
  return BLOCK_CODECS.find((c) => c.name.toLowerCase() === name.toLowerCase());
}

/** Round-to-nearest encoding of a row-major [rows, cols] matrix (cols a multiple of the block size). */
export function encodeBlocks(codec: BlockCodec, values: Float32Array, rows: number, cols: number, name = 'tensor'): Uint8Array {
  if (values.length !== rows * cols) throw new RangeError(`${codec.name}: ${name} has ${values.length} values, expected ${rows} x ${cols}`);
  if (cols % codec.blockSize !== 0) throw new RangeError(`${codec.name}: ${name} rows of ${cols} are not a multiple of the ${codec.blockSize}-element block`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`${codec.name}: ${name}[${Math.floor(i / cols)}][${i % cols}] is ${values[i]}`);
  }
  const blocks = values.length / codec.blockSize;
  const out = new Uint8Array(blocks * codec.blockBytes);
  for (let b = 0; b < blocks; b++) codec.encodeBlock(values.subarray(b * codec.blockSize, (b + 1) * codec.blockSize), out, b * codec.blockBytes);
  return out;
}
