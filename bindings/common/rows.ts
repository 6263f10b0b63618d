// The two integer activation formats the operators exchange (docs/integer-model.md):
//   int8 rows:  y ~ m_r / 2^k_r * (q - z_r)     (matmul inputs and outputs; assembly/gemm/epilogue.ts)
//   int32 rows: y ~ p * m_r / 2^k_r             (the residual stream; assembly/ops/residual.ts)

/** Per-row dyadic scale and zero point: real = m / 2^k * (q - z). */
export interface RowParams {
  /** mantissas [M] */
  m: Int32Array;
  /** exponents [M] */
  k: Int32Array;
  /** zero points [M] */
  z: Int32Array;
}

/** int32 rows with a per-row dyadic scale (the residual stream). */
export interface Residual {
  p: Int32Array; // [rows, n]
  m: Int32Array; // [rows]
  k: Int32Array; // [rows]
}
