// SIMD helpers shared by every kernel family: horizontal reductions of i32x4 vectors.

/** [sum(a), sum(b), sum(c), sum(d)]: four horizontal sums in one transpose-add (6 shuffles, 3 adds). */
// @ts-ignore: decorator
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7)); // [a0+a2, b0+b2, a1+a3, b1+b3]
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** sum of the four i32 lanes (wrapping, as every int32 accumulator here). */
// @ts-ignore: decorator
@inline export function hsum1(a: v128): i32 {
  const s = i32x4.add(a, i32x4.shuffle(a, a, 2, 3, 0, 1));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1);
}

/** min of the four i32 lanes. */
// @ts-ignore: decorator
@inline export function hmin_i32x4(v: v128): i32 {
  return min(min(i32x4.extract_lane(v, 0), i32x4.extract_lane(v, 1)), min(i32x4.extract_lane(v, 2), i32x4.extract_lane(v, 3)));
}

/** max of the four i32 lanes. */
// @ts-ignore: decorator
@inline export function hmax_i32x4(v: v128): i32 {
  return max(max(i32x4.extract_lane(v, 0), i32x4.extract_lane(v, 1)), max(i32x4.extract_lane(v, 2), i32x4.extract_lane(v, 3)));
}
