// The CLI turns on relaxed SIMD where the runtime has it behind a flag, so `npx dyadic` runs the relaxed
// build without the user passing a Node flag (NODE_OPTIONS refuses --experimental-wasm-relaxed-simd).
// Node 20 validates relaxed SIMD only with that V8 flag, which V8 also takes at run time as long as no
// module has been compiled yet; Node >= 22 has relaxed SIMD on and no longer knows the flag.
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from '../runtime/features.js';

/** Last Node major whose V8 keeps relaxed SIMD behind the flag. */
const LAST_FLAGGED_NODE = 21;

/** Enables relaxed SIMD if this Node needs the flag; returns whether the relaxed build can run. */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  const major = Number(process.versions.node.split('.')[0]);
  if (major <= LAST_FLAGGED_NODE) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdSupported();
}
