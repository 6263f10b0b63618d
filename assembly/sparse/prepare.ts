// Activation padding for the block-sparse kernels: they read whole 16-byte block columns, so each row
// must hold zeros in [K, Kp), Kp = K rounded up to 16. When the caller's buffer lacks them (K not a multiple
// of 16 and no zeroed slack), bindings/sparse/spmm.ts copies the rows here once per call: O(M*K), small
// next to the O(M*N*K*density) product, and the kernels never read past the caller's tensor.

/** dst[M x Kp] i8 (row stride Kp bytes) = src[M x K] i8 (row stride srcStride bytes), zero-padded. */
export function sparse_pad_a_i8(src: usize, srcStride: i32, M: i32, K: i32, dst: usize, Kp: i32): void {
  for (let i = 0; i < M; i++) {
    const s = src + <usize>i * <usize>srcStride;
    const d = dst + <usize>i * <usize>Kp;
    memory.copy(d, s, <usize>K);
    if (Kp > K) memory.fill(d + <usize>K, 0, <usize>(Kp - K));
  }
}
