// Block-CSR (block compressed sparse row) int8 / int4 weights for the block-sparse kernels
// (assembly/sparse/). A weight matrix W [N output channels][K inputs] is cut into blocks of R x 16
// (R = 1 or 4 output channels, 16 along K); blocks that are entirely zero are neither stored nor
// multiplied. Layout, every array little-endian and handed to wasm as is:
//
//   rowPtr  Int32Array  [NB + 1]      NB = ceil(N / R) block rows; blocks of block row b are
//                                     rowPtr[b] .. rowPtr[b+1]-1; rowPtr[0] = 0, rowPtr[NB] = nnzb
//   colIdx  Uint16Array [nnzb]        block column kb (the block covers k = 16 kb .. 16 kb + 15), strictly
//                                     increasing within a block row, kb < KB = ceil(K / 16) <= 65536
//   values  Uint8Array  [nnzb * BB]   block payloads in rowPtr order, BB bytes each:
//             int8, 1x16: BB = 16   byte c = w[n, 16 kb + c]
//             int8, 4x16: BB = 64   byte 16 r + c = w[4 b + r, 16 kb + c]              (row-major 4 x 16)
//             int4, 1x16: BB = 8    byte j = w[n, 16 kb + j] (low nibble) | w[n, 16 kb + j + 8] (high)
//             int4, 4x16: BB = 32   byte 16 h + j = w[4 b + 2h, 16 kb + j] (low) | w[4 b + 2h + 1, ..] (high)
//           nibbles are two's complement (-8..7). The int4 4x16 pairing puts two channels in one byte so
//           one shift pair (or one and/shift for the relaxed kernel) yields a whole 16-wide channel row.
//           Entries past N (last block row) or past K (last block column) are zero.
//   wsum    Int32Array  [N]           sum_k w[n, k] (for the activation zero-point correction)
//   scaleM  Int32Array  [N]           per-channel dyadic mantissa m_w,n; the real weight scale is
//   scaleK  number                    m_w,n / 2^scaleK (one exponent per tensor, DESIGN "Numeric scheme")
//
// Memory per stored block: int8 1x16: 16 + 2 = 18 bytes (dense: 16), int8 4x16: 64 + 2 = 66 (dense: 64),
// int4 1x16: 8 + 2 = 10 (dense: 8), int4 4x16: 32 + 2 = 34 (dense: 32); plus 4 (NB + 1) bytes of row
// pointers and the 8 N bytes of wsum and scaleM that a dense layer carries too. So block-CSR saves bytes
// from about 11% (int8 1x16), 3% (int8 4x16), 20% (int4 1x16) or 6% (int4 4x16) block sparsity on.

export type SparseBits = 8 | 4;
export type BlockShape = '1x16' | '4x16';
export const BLOCK_SHAPES: readonly BlockShape[] = ['1x16', '4x16'];

/** Width of every block along K: one v128 of int8 activations. */
export const BLOCK_K = 16;
/** Largest K: block column indices are u16, and 255 * 128 * K must stay below 2^31 in the epilogue. */
export const MAX_SPARSE_K = 65536;

export interface BlockCsr {
  readonly N: number;
  readonly K: number;
  readonly bits: SparseBits;
  readonly block: BlockShape;
  /** [NB + 1] */
  readonly rowPtr: Int32Array;
  /** [nnzb] */
  readonly colIdx: Uint16Array;
  /** [nnzb * blockBytes] */
  readonly values: Uint8Array;
  /** [N] */
  readonly wsum: Int32Array;
  /** [N] */
  readonly scaleM: Int32Array;
  readonly scaleK: number;
}

/** Output channels per block. */
export function blockRows(block: BlockShape): number {
  return block === '4x16' ? 4 : 1;
}

/** Bytes of one stored block payload. */
export function blockBytes(block: BlockShape, bits: SparseBits): number {
  return (blockRows(block) * BLOCK_K * bits) / 8;
}

/** Block rows NB and block columns KB of an N x K matrix. */
export function blockGrid(N: number, K: number, block: BlockShape): { NB: number; KB: number } {
  return { NB: Math.ceil(N / blockRows(block)), KB: Math.ceil(K / BLOCK_K) };
}

/** Stored blocks. */
export function storedBlocks(csr: BlockCsr): number {
  return csr.colIdx.length;
}

/** Bytes of the block-CSR arrays that a dense layout would not need or would hold differently. */
export function sparseWeightBytes(csr: BlockCsr): number {
  return csr.values.byteLength + csr.colIdx.byteLength + csr.rowPtr.byteLength;
}

/** Bytes of the same weights dense (N x K at `bits`, int4 two per byte). */
export function denseWeightBytes(N: number, K: number, bits: SparseBits): number {
  return Math.ceil((N * K * bits) / 8);
}

/**
 * Weight w[4 b + r or b, 16 kb + c] of stored block p (r: row in block, c: 0..15), decoded from the
 * payload layout above. The scalar reference, the validator and the tests read blocks only through this.
 */
export function blockWeight(values: Uint8Array, block: BlockShape, bits: SparseBits, p: number, r: number, c: number): number {
  const base = p * blockBytes(block, bits);
  if (bits === 8) return (values[base + r * BLOCK_K + c] << 24) >> 24;
  let byte: number;
  let high: boolean;
  if (block === '1x16') {
    byte = values[base + (c & 7)];
    high = c >= 8;
  } else {
    byte = values[base + (r >> 1) * BLOCK_K + c];
    high = (r & 1) === 1;
  }
  const nibble = high ? byte >> 4 : byte & 15;
  return (nibble << 28) >> 28;
}

/** Writes weight w (in range for `bits`) into stored block p; the inverse of blockWeight. */
export function setBlockWeight(
  values: Uint8Array, block: BlockShape, bits: SparseBits, p: number, r: number, c: number, w: number,
): void {
  const base = p * blockBytes(block, bits);
  if (bits === 8) {
    values[base + r * BLOCK_K + c] = w & 255;
    return;
  }
  const at = block === '1x16' ? base + (c & 7) : base + (r >> 1) * BLOCK_K + c;
  const high = block === '1x16' ? c >= 8 : (r & 1) === 1;
  values[at] = high ? (values[at] & 0x0f) | ((w & 15) << 4) : (values[at] & 0xf0) | (w & 15);
}
