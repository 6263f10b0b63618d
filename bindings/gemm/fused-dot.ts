// Whether the fused relaxed dot (i32x4.relaxed_dot_i8x16_i7x16_add_s, assembly/gemm/fdot.ts) may run:
// 1. exact in both of the engine's compiler tiers: the kernels' first calls run in the baseline tier (V8:
//    Liftoff) and hot ones in the optimizing tier (TurboFan), and V8 in Node 20 miscompiles the
//    instruction in Liftoff only. The probe runs the kernel module's relaxed_dot_probe on a known input once
//    (baseline tier), then hot until the engine has had time to tier it up, comparing every result with
//    the exact integers;
// 2. faster than the plain sequence the kernels use otherwise: an engine that lowers it without a
//    dot-product instruction (V8 11 on x64 emits pmaddubsw + pmaddwd + add) runs the fused kernels slower.
//    relaxed_dot_timing times one 32-k unit both ways (best of a few alternating rounds).
// The fused-dot kernels (gemm_w*a8_*_fdot) are picked only when both hold. Outputs are the same integers
// either way, so the speed check never changes a result. DYADIC_FUSED_DOT=exact (Node's environment; tests
// and benches) skips the speed check, =off never picks them.
import type { DyadicRuntime } from '../runtime/instance.js';

// a: every corner (-128, 127, 0, +-1) and mixed signs; b: 7-bit values including 127 and 0; acc non-zero
// in every lane (a tier that drops it, or doubles the dot, gives a different answer in every lane).
const PROBE_A = Int8Array.from([-1, 5, -128, 127, 3, -7, 100, -100, 0, 1, 2, 3, -128, -128, -128, -128]);
const PROBE_B = Uint8Array.from([2, 1, 127, 127, 9, 8, 7, 6, 5, 4, 3, 2, 127, 127, 127, 127]);
const PROBE_ACC = Int32Array.from([10, -20, 30, 1 << 20]);

/** Fused dots per hot call (the call's loop runs this many, so the engine sees hot code). */
export const PROBE_HOT_STEPS = 1000;
/** How long the probe keeps the code hot for the optimizing tier to take over, and a call-count cap. */
export const PROBE_HOT_MS = 25;
export const PROBE_MAX_HOT_CALLS = 5000;

/** The exact result of `steps` fused dots on the probe input, from the definition. */
export function probeExpected(steps: number): Int32Array {
  const out = new Int32Array(4);
  for (let lane = 0; lane < 4; lane++) {
    let dot = 0;
    for (let j = 0; j < 4; j++) dot += PROBE_A[4 * lane + j] * PROBE_B[4 * lane + j];
    out[lane] = PROBE_ACC[lane] + steps * dot;
  }
  return out;
}

export interface FusedDotVerdict {
  /** Every result was exact: the first (baseline tier) and all hot ones. */
  exact: boolean;
  /** The first call's result was exact. */
  firstExact: boolean;
  /** Hot calls made, and how many of them were wrong. */
  hotCalls: number;
  hotWrong: number;
}

/**
 * Runs the probe through `run(steps)` (returns the four lanes after `steps` fused dots from the probe's
 * acc): once, then hot for PROBE_HOT_MS (at least 200 calls), checking every result. Separate from the
 * runtime so a simulated miscompile can be fed to it.
 */
export function judgeFusedDot(run: (steps: number) => ArrayLike<number>, now: () => number = () => performance.now()): FusedDotVerdict {
  const same = (got: ArrayLike<number>, want: Int32Array) => want.every((v, i) => got[i] === v);
  const one = probeExpected(1);
  const hot = probeExpected(PROBE_HOT_STEPS);
  const firstExact = same(run(1), one);
  let hotCalls = 0;
  let hotWrong = 0;
  const start = now();
  while (hotCalls < PROBE_MAX_HOT_CALLS && (hotCalls < 200 || now() - start < PROBE_HOT_MS)) {
    if (!same(run(PROBE_HOT_STEPS), hot)) hotWrong++;
    if (!same(run(1), one)) hotWrong++;
    hotCalls += 2;
  }
  return { exact: firstExact && hotWrong === 0, firstExact, hotCalls, hotWrong };
}

/** The fused kernels are picked when one fused 32-k unit takes at most this fraction of the plain one. */
export const FUSED_DOT_MIN_GAIN = 0.9;
const TIMING_STEPS = 20000;
const TIMING_ROUNDS = 5;

export interface FusedDotChoice extends FusedDotVerdict {
  /** Best time of a fused 32-k unit over the plain one's (undefined when not exact: not timed). */
  speedRatio?: number;
  /** The fused-dot kernels run on this engine. */
  use: boolean;
}

function policy(): 'auto' | 'exact' | 'off' {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DYADIC_FUSED_DOT;
  return v === 'exact' || v === 'off' ? v : 'auto';
}

const choices = new Map<string, FusedDotChoice>();

/**
 * The probe's verdict and the speed check for this runtime's build, run once per process and build (the
 * answer is the engine's). The SIMD build has no fused dot: undefined there.
 */
export function fusedDotChoice(runtime: DyadicRuntime): FusedDotChoice | undefined {
  if (runtime.build !== 'relaxed') return undefined;
  let choice = choices.get(runtime.build);
  if (choice) return choice;
  const arena = runtime.arena;
  const mark = arena.mark();
  try {
    const at = arena.alloc(192, 'fused dot probe', 16);
    arena.u8(at, 192).fill(0);
    arena.u8(at, 16).set(new Uint8Array(PROBE_A.buffer));
    arena.u8(at + 16, 16).set(PROBE_B);
    arena.i32(at + 32, 4).set(PROBE_ACC);
    for (let i = 0; i < 8; i++) arena.u8(at + 64 + 16 * i, 16).set(new Uint8Array(PROBE_A.buffer));
    const verdict = judgeFusedDot((steps) => {
      runtime.call('relaxed_dot_probe', at, steps);
      return arena.i32(at + 48, 4);
    });
    const mode = policy();
    if (!verdict.exact || mode !== 'auto') {
      choice = { ...verdict, use: verdict.exact && mode === 'exact' };
    } else {
      const best = [Infinity, Infinity]; // plain, fused
      for (let round = 0; round < TIMING_ROUNDS + 1; round++) {
        for (const fused of [0, 1]) {
          const t0 = performance.now();
          runtime.call('relaxed_dot_timing', at, TIMING_STEPS, fused);
          if (round > 0) best[fused] = Math.min(best[fused], performance.now() - t0); // round 0 warms up
        }
      }
      const speedRatio = best[1] / best[0];
      choice = { ...verdict, speedRatio, use: speedRatio <= FUSED_DOT_MIN_GAIN };
    }
  } finally {
    arena.release(mark);
  }
  choices.set(runtime.build, choice);
  return choice;
}

/** True when the fused-dot kernels run on this runtime (relaxed build, exact in both tiers, and faster). */
export function useFusedDot(runtime: DyadicRuntime): boolean {
  return fusedDotChoice(runtime)?.use === true;
}
