// The helper thread's side of the pool (host-neutral; bindings/entry/*-helper.ts start it). It
// instantiates the shared-memory kernel module on the memory it was sent, then serves its slot until
// told to stop: spin briefly for the next posted call (a decode step issues dozens of small calls, and
// waking from Atomics.wait costs tens of microseconds), then sleep until the next dispatch.

import { ARGC, ARGS, FAULT, FINISHED, GENERATION, KERNEL, POSTED, SLEEPERS, SLOT_BASE, SLOT_WORDS, STATE, STOP, TAKEN, type HelperInit } from './protocol.js';

type Kernel = (...args: number[]) => unknown;

/** Instantiates the kernels for this helper; resolves with the serving loop once it is ready. */
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

/** Blocks this thread: runs the calls posted to its slot until STOP. */
function serve(init: HelperInit, kernels: Kernel[]): void {
  const control = new Int32Array(init.control);
  const slot = SLOT_BASE + init.slot * SLOT_WORDS;
  const args: number[] = [];
  for (;;) {
    // Wait for a posted call: spin (checking the clock and STOP every 1024 loads), then sleep until the
    // generation moves. The generation is read before the last look at the slot, so a call posted in
    // between makes Atomics.wait return at once.
    let spins = 0;
    let spinUntil = 0;
    while (Atomics.load(control, slot + STATE) !== POSTED) {
      if ((++spins & 1023) !== 0) continue;
      if (Atomics.load(control, STOP) !== 0) return;
      const now = performance.now();
      if (spinUntil === 0) spinUntil = now + init.spinMs;
      else if (now > spinUntil) {
        const generation = Atomics.load(control, GENERATION);
        Atomics.add(control, SLEEPERS, 1);
        if (Atomics.load(control, slot + STATE) !== POSTED && Atomics.load(control, STOP) === 0) {
          Atomics.wait(control, GENERATION, generation);
        }
        Atomics.sub(control, SLEEPERS, 1);
        spinUntil = 0;
      }
    }
    // The main thread may take the call first (when this thread was late); then there is nothing to do.
    if (Atomics.compareExchange(control, slot + STATE, POSTED, TAKEN) !== POSTED) continue;
    const argc = control[slot + ARGC];
    args.length = argc;
    for (let i = 0; i < argc; i++) args[i] = control[slot + ARGS + i];
    try {
      Reflect.apply(kernels[control[slot + KERNEL]], undefined, args);
      control[slot + FAULT] = 0;
    } catch {
      control[slot + FAULT] = 1;
    }
    Atomics.store(control, slot + STATE, FINISHED);
  }
}
