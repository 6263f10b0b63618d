// Activation preparation for the block-sparse kernels, run once per call (O(M*K), negligible next to the
// O(M*N*K*density) product). Rows are copied to a stride Kp = roundUp(K, 16) with columns K..Kp-1 zeroed,
// so a block that straddles the end of K reads zeros inside the prepared buffer, never past the
// caller's tensor. The dot16 kernels want int16 activations (i32x4.dot_i16x8_s multiplies i16 pairs):
// widening once here takes two extends per 16 activations out of the inner loop, where a row of
// activations is reused by every block row of the weights.

/** dst[M x Kp] i16 (row stride Kp*2 bytes) = src[M x K] i8 (row stride srcStride bytes), zero-padded. */
export function sparse_widen_a_i16(src: usize, srcStride: i32, M: i32, K: i32, dst: usize, Kp: i32): void {
  for (let i = 0; i < M; i++) {
    const s = src + <usize>i * <usize>srcStride;
    const d = dst + <usize>i * <usize>Kp * 2;
    let k = 0;
    for (; k + 16 <= K; k += 16) {
      const v = v128.load(s + <usize>k);
      v128.store(d + (<usize>k << 1), i16x8.extend_low_i8x16_s(v));
      v128.store(d + (<usize>k << 1), i16x8.extend_high_i8x16_s(v), 16);
    }
    for (; k < K; k++) store<i16>(d + (<usize>k << 1), <i16>load<i8>(s + <usize>k));
    for (; k < Kp; k++) store<i16>(d + (<usize>k << 1), 0);
  }
}

/** dst[M x Kp] i8 (row stride Kp bytes) = src[M x K] i8, zero-padded (for the relaxed-dot kernels). */
export function sparse_pad_a_i8(src: usize, srcStride: i32, M: i32, K: i32, dst: usize, Kp: i32): void {
  for (let i = 0; i < M; i++) {
    const s = src + <usize>i * <usize>srcStride;
    const d = dst + <usize>i * <usize>Kp;
    memory.copy(d, s, <usize>K);
    if (Kp > K) memory.fill(d + <usize>K, 0, <usize>(Kp - K));
  }
}
