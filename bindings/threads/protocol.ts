// How the main thread hands kernel calls to helper threads: one small SharedArrayBuffer of int32 words
// (the control block), separate from wasm memory so the arena never sees it. Both sides import these
// offsets; nothing else crosses between threads during a call.
//
// control [CONTROL_WORDS] int32:
//   [GENERATION]  bumped by the main thread once per dispatch: what sleeping helpers wait on
//   [STOP]        1: helpers leave their loop
//   [SLEEPERS]    helpers currently blocked in Atomics.wait (the main thread notifies only then)
//   slot s (helper s = 0..helpers-1) at SLOT_BASE + s * SLOT_WORDS:
//     [KERNEL]    index into the kernel name list given at start
//     [ARGC]      argument count, <= MAX_ARGS
//     [ARGS..]    the kernel's arguments (offsets and sizes; int32 bits, so offsets past 2 GiB wrap and
//                 reach wasm as the same u32)
//     [STATE]     IDLE -> POSTED (main wrote a call) -> TAKEN (by the helper, or by the main thread when it
//                 got there first) -> FINISHED (helper done; the main thread reads FAULT and sets IDLE)
//     [FAULT]     0, or 1 when the helper's call threw (the main thread reports it)
// Whoever wins the compare-exchange POSTED -> TAKEN runs the call, so a helper that is asleep or not
// scheduled never holds the main thread up: it finds its call taken and waits for the next one.

export const GENERATION = 0;
export const STOP = 2;
export const SLEEPERS = 3;
export const SLOT_BASE = 16;
export const SLOT_WORDS = 32;
export const KERNEL = 0;
export const ARGC = 1;
export const ARGS = 2;
export const MAX_ARGS = 28;
export const STATE = 30;
export const FAULT = 31;

export const IDLE = 0;
export const POSTED = 1;
export const TAKEN = 2;
export const FINISHED = 3;

/** Most helper threads one pool runs (the main thread is one more). */
export const MAX_HELPERS = 15;
export const CONTROL_WORDS = SLOT_BASE + MAX_HELPERS * SLOT_WORDS;

/** Bytes of wasm memory each thread owns for kernel-internal scratch (assembly/gemm/lowbit.ts tileAccs). */
export const THREAD_TILE_SCRATCH = 256;

/** What the main thread sends a helper once, before any dispatch. */
export interface HelperInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** This helper's slot. */
  slot: number;
  /** Export names; a slot's KERNEL is an index into this list. */
  kernels: string[];
  /** Offset of this helper's THREAD_TILE_SCRATCH bytes. */
  tileScratch: number;
  /** Spin this many milliseconds for the next dispatch before sleeping in Atomics.wait. */
  spinMs: number;
}
