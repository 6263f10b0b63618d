// K-quant blocks (256 elements) packed here the way ggml's quantize_row_q4_K_ref / q6_K_ref lay them
// out, from chosen integer quants and scales, so the expected values are known exactly.
import { describe, expect, it } from 'vitest';
import { GgmlType, decodeTensor, tensorByteSize } from '../../bindings/formats/tensor-types.js';
import { halfValue } from './helpers/writers.js';
import { freshSeed, seededPerTest } from '../helpers/rng.js';

const SEED = freshSeed(); // named in the describe title
const random = seededPerTest(SEED);

const randInt = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

describe(`K-quant decoding (seed ${SEED})`, () => {
  it('Q4_K: 8 sub-blocks of 32 with 6-bit scales and mins packed in 12 bytes', () => {
    const blocks = 3;
    const data = new Uint8Array(blocks * 144);
    const dv = new DataView(data.buffer);
    const want = new Float32Array(blocks * 256);
    for (let b = 0; b < blocks; b++) {
      const at = b * 144;
      const dBits = randInt(0x2000, 0x3c00); // positive normal halves
      const mBits = randInt(0x2000, 0x3c00);
      dv.setUint16(at, dBits, true);
      dv.setUint16(at + 2, mBits, true);
      const sc = Array.from({ length: 8 }, () => randInt(0, 63));
      const mn = Array.from({ length: 8 }, () => randInt(0, 63));
      if (b === 0) sc.fill(63), mn.fill(63); // every bit of the packing in use
      const scales = new Uint8Array(12);
      for (let j = 0; j < 8; j++) {
        if (j < 4) {
          scales[j] |= sc[j];
          scales[j + 4] |= mn[j];
        } else {
          scales[j + 4] = (sc[j] & 15) | ((mn[j] & 15) << 4);
          scales[j - 4] |= (sc[j] >> 4) << 6;
          scales[j] |= (mn[j] >> 4) << 6;
        }
      }
      data.set(scales, at + 4);
      const q = Array.from({ length: 256 }, () => randInt(0, 15));
      // Each 64-element chunk: 32 bytes, low nibbles = first 32 elements, high nibbles = next 32.
      for (let chunk = 0; chunk < 4; chunk++)
        for (let l = 0; l < 32; l++) data[at + 16 + 32 * chunk + l] = q[64 * chunk + l] | (q[64 * chunk + 32 + l] << 4);
      for (let e = 0; e < 256; e++) {
        const s = e >> 5;
        want[256 * b + e] = halfValue(dBits) * sc[s] * q[e] - halfValue(mBits) * mn[s];
      }
    }
    expect(tensorByteSize(GgmlType.Q4_K, 768)).toBe(432);
    const got = decodeTensor(GgmlType.Q4_K, data, blocks * 256);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]))));
  });

  it('Q6_K: 6-bit quants split in low nibbles and high 2-bit pairs, 16 int8 scales, d last', () => {
    const blocks = 3;
    const data = new Uint8Array(blocks * 210);
    const dv = new DataView(data.buffer);
    const want = new Float32Array(blocks * 256);
    for (let b = 0; b < blocks; b++) {
      const at = b * 210;
      const L = Array.from({ length: 256 }, () => randInt(0, 63)); // stored as q + 32
      if (b === 0) L.fill(63);
      const scales = Array.from({ length: 16 }, () => randInt(-128, 127));
      const dBits = randInt(0x1000, 0x3800);
      for (let half = 0; half < 2; half++) {
        const j = 128 * half;
        for (let l = 0; l < 32; l++) {
          data[at + 64 * half + l] = (L[j + l] & 15) | ((L[j + l + 64] & 15) << 4);
          data[at + 64 * half + l + 32] = (L[j + l + 32] & 15) | ((L[j + l + 96] & 15) << 4);
          data[at + 128 + 32 * half + l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
        }
      }
      scales.forEach((s, i) => dv.setInt8(at + 192 + i, s));
      dv.setUint16(at + 208, dBits, true);
      for (let e = 0; e < 256; e++) want[256 * b + e] = halfValue(dBits) * scales[e >> 4] * (L[e] - 32);
    }
    const got = decodeTensor(GgmlType.Q6_K, data, blocks * 256);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]))));
  });
});
