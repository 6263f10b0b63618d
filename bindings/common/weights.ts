// The quantized weight matrix every packer reads: symmetric per-output-channel integers with a real
// scale per channel (written by bindings/offline/quantize-weights.ts or read from a quantized file):
//   W[n][k] ~= scale[n] * q[n][k],   q in [-(2^(b-1) - 1), 2^(b-1) - 1]

/** Weight widths the dense kernels take (bindings/gemm/pack.ts packs them). */
export type WeightBits = 8 | 7 | 6 | 4;
export const WEIGHT_BITS: readonly WeightBits[] = [8, 7, 6, 4];

export interface QuantizedMatrix {
  readonly rows: number; // N, output channels
  readonly cols: number; // K, input channels
  readonly bits: WeightBits;
  /** [rows * cols] row-major quantized weights. */
  readonly values: Int8Array;
  /** [rows] real scale of each output channel (offline; the kernels get dyadic forms of it). */
  readonly scales: Float64Array;
  /** Set when the values were block-pruned: run as block-CSR with this block shape (bindings/sparse/). */
  readonly sparseBlock?: '1x16' | '4x16';
}

export function maxLevel(bits: WeightBits): number {
  return 2 ** (bits - 1) - 1;
}
