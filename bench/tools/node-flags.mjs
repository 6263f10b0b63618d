// The Node flags dyadic's tests and benches need on the running Node: Node 20 validates wasm relaxed SIMD
// only behind --experimental-wasm-relaxed-simd, while Node 22 and 24 have it on and exit with "bad option"
// when given the flag. Probed once per process by starting Node with the flag.
import { spawnSync } from 'node:child_process';

export const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

let cached;

/** [RELAXED_SIMD_FLAG] where this Node accepts it, else []. */
export function relaxedSimdFlags(node = process.execPath) {
  if (cached === undefined || node !== process.execPath) {
    const accepted = spawnSync(node, [RELAXED_SIMD_FLAG, '-e', '0'], { stdio: 'ignore' }).status === 0;
    const flags = accepted ? [RELAXED_SIMD_FLAG] : [];
    if (node !== process.execPath) return flags;
    cached = flags;
  }
  return cached;
}
