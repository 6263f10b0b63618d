// The helper thread's side of the pool (host-neutral; bindings/entry/*-thread.ts start it). It
// instantiates the shared-memory kernel module on the memory it was sent, then serves dispatches until
// told to stop: spin briefly on the generation word (a decode step issues dozens of small calls, and
// waking from Atomics.wait costs tens of microseconds), then sleep until notified.

import { ARGC, ARGS, DONE, FAULT, GENERATION, KERNEL, NO_JOB, SLEEPERS, SLOT_BASE, SLOT_WORDS, STOP, type HelperInit } from './protocol.js';

type Kernel = (...args: number[]) => unknown;

/** Instantiates the kernels for this helper; resolves once it is ready to serve. */
export async function prepareHelper(init: HelperInit): Promise<() => void> {
  const instance = await WebAssembly.instantiate(init.module, { env: { memory: init.memory } });
  const exports = instance.exports as Record<string, unknown>;
  const setScratch = exports.set_tile_scratch as ((at: number) => void) | undefined;
  if (typeof setScratch === 'function') setScratch(init.tileScratch);
  const kernels: Kernel[] = init.kernels.map((name) => {
    const fn = exports[name];
    return typeof fn === 'function' ? (fn as Kernel) : () => {
      throw new Error(`no kernel ${name}`);
    };
  });
  return () => serve(init, kernels);
}

/** Blocks this thread: runs dispatches until STOP. */
function serve(init: HelperInit, kernels: Kernel[]): void {
  const control = new Int32Array(init.control);
  const slot = SLOT_BASE + init.slot * SLOT_WORDS;
  const args: number[] = [];
  // Not a fresh load: the pool may dispatch as soon as this helper has said it is ready, possibly before
  // this line runs, and that dispatch must not be mistaken for the starting point. Generations start at 0
  // and nothing is dispatched before every helper is ready.
  let seen = 0;
  for (;;) {
    // Wait for the next generation: spin (checking the clock every 1024 loads), then sleep.
    let spins = 0;
    let spinUntil = 0;
    while (Atomics.load(control, GENERATION) === seen) {
      if ((++spins & 1023) !== 0) continue;
      const now = performance.now();
      if (spinUntil === 0) spinUntil = now + init.spinMs;
      else if (now > spinUntil) {
        Atomics.add(control, SLEEPERS, 1);
        Atomics.wait(control, GENERATION, seen);
        Atomics.sub(control, SLEEPERS, 1);
        spinUntil = 0;
      }
    }
    seen = Atomics.load(control, GENERATION);
    if (Atomics.load(control, STOP) !== 0) return;
    const kernel = control[slot + KERNEL];
    if (kernel !== NO_JOB) {
      const argc = control[slot + ARGC];
      args.length = argc;
      for (let i = 0; i < argc; i++) args[i] = control[slot + ARGS + i];
      try {
        Reflect.apply(kernels[kernel], undefined, args);
        control[slot + FAULT] = 0;
      } catch {
        control[slot + FAULT] = 1;
      }
    }
    Atomics.add(control, DONE, 1);
  }
}
