// Top-p (nucleus) selection shared by the float and the integer sampler: sort the candidates most likely
// first, keep the shortest prefix whose probability mass exceeds the threshold, draw inside it. Works on
// any probability array (float or Q15 integers) and allocates nothing: the sort is an in-place heapsort
// on the sampler's candidate buffer (a comparator sort on a typed array copies it).

/** p[a] ranks before p[b]: more likely, or as likely with a smaller id (a total order: ties never depend on the sort). */
function before(p: ArrayLike<number>, a: number, b: number): boolean {
  return p[a] > p[b] || (p[a] === p[b] && a < b);
}

/** Sorts order[0..count) most likely first (ties by id), in place. */
export function sortByProbability(order: Int32Array, count: number, p: ArrayLike<number>): void {
  // heapsort with the least likely at the root, so that moving the root to the end leaves the most likely first
  for (let i = (count >> 1) - 1; i >= 0; i--) sift(order, p, i, count);
  for (let end = count - 1; end > 0; end--) {
    const t = order[0];
    order[0] = order[end];
    order[end] = t;
    sift(order, p, 0, end);
  }
}

/** Restores the heap below `root` in order[0..end) (the least likely on top). */
function sift(order: Int32Array, p: ArrayLike<number>, root: number, end: number): void {
  for (;;) {
    let child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && before(p, order[child], order[child + 1])) child++;
    if (!before(p, order[root], order[child])) return;
    const t = order[root];
    order[root] = order[child];
    order[child] = t;
    root = child;
  }
}

/** Index of the last candidate in the nucleus: the first i with p[order[0]] + ... + p[order[i]] > threshold, else count - 1. */
export function nucleusEnd(order: Int32Array, count: number, p: ArrayLike<number>, threshold: number): number {
  let mass = 0;
  for (let i = 0; i < count; i++) {
    mass += p[order[i]];
    if (mass > threshold) return i;
  }
  return count - 1;
}

/** p[order[0]] + ... + p[order[last]], summed in that order. */
export function nucleusMass(order: Int32Array, last: number, p: ArrayLike<number>): number {
  let mass = 0;
  for (let i = 0; i <= last; i++) mass += p[order[i]];
  return mass;
}

/** The candidate at which the cumulative mass over order[0..last] first exceeds r (r below that mass). */
export function pickCandidate(order: Int32Array, last: number, p: ArrayLike<number>, r: number): number {
  let cdf = 0;
  for (let i = 0; i <= last; i++) {
    cdf += p[order[i]];
    if (r < cdf) return order[i];
  }
  return order[last];
}
