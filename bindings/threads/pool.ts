// The main thread's side of the kernel thread pool. Helpers (bindings/threads/helper-loop.ts) each run
// their own instance of the shared-memory kernel module over the same WebAssembly.Memory; a dispatch
// writes one kernel call per helper into the control block (bindings/threads/protocol.ts), wakes them,
// runs the main thread's own share, then spins until every helper is done. Spinning rather than
// blocking because browsers forbid Atomics.wait on the main thread, and because the calls are short.
//
// Only kernels whose work splits into disjoint outputs are dispatched (see bindings/gemm/parallel.ts), so
// results are bit-identical to one thread whatever the split.

import {
  ARGC, ARGS, CONTROL_WORDS, DONE, FAULT, GENERATION, KERNEL, MAX_ARGS, MAX_HELPERS, NO_JOB, SLEEPERS, SLOT_BASE, SLOT_WORDS, STOP,
  type HelperInit,
} from './protocol.js';

/** A started helper as the host sees it. */
export interface HelperHandle {
  /** Ends the thread (after STOP, or to clean up a failed start). */
  terminate(): void;
}

/**
 * How a host starts helper threads (worker_threads in Node, Web Workers in browsers); registered by the
 * host entry. Workers (workerd) have none: runtimes there are single-threaded.
 */
export interface ThreadHost {
  /** Threads worth using here (cores), or 1 when helpers cannot run (no cross-origin isolation). */
  available(): number;
  /** Starts one helper; resolves when it has instantiated the kernels and serves its slot. */
  start(init: HelperInit): Promise<HelperHandle>;
}

let host: ThreadHost | undefined;

/** Called once by a host entry that can run helper threads. */
export function setThreadHost(next: ThreadHost | undefined): void {
  host = next;
}

/** The registered thread host (undefined where threads cannot run). */
export function threadHost(): ThreadHost | undefined {
  return host;
}

/** Threads this host can run (1 without a thread host). */
export function availableThreads(): number {
  return host ? Math.max(1, Math.floor(host.available())) : 1;
}

/** How long a dispatch may take before the pool declares a helper lost (a dead thread, not a slow kernel). */
export const DISPATCH_TIMEOUT_MS = 60_000;
/** Helpers spin this long after a dispatch before sleeping (covers the gaps between a decode step's calls). */
export const HELPER_SPIN_MS = 2;

/**
 * Multiply-accumulates (or comparable work units) below which a kernel call stays on one thread: waking
 * helpers and merging costs about as much (measured with `npm run bench -- threads`).
 */
export const DEFAULT_MIN_SPLIT_WORK = 1 << 16;

export class ThreadPool {
  /** Helper threads (the main thread is one more). */
  readonly helpers: number;
  /** Calls with less work than this run on the main thread alone (0: split everything, as tests do). */
  minSplitWork = DEFAULT_MIN_SPLIT_WORK;
  /** How long finish() waits for the helpers before it declares one lost and closes the pool. */
  dispatchTimeoutMs = DISPATCH_TIMEOUT_MS;
  private readonly control: Int32Array;
  private readonly kernelIndex: Map<string, number>;
  private readonly kernelNames: string[];
  private readonly handles: HelperHandle[];
  private closed = false;

  private constructor(control: Int32Array, kernels: string[], handles: HelperHandle[]) {
    this.control = control;
    this.kernelNames = kernels;
    this.kernelIndex = new Map(kernels.map((name, i) => [name, i]));
    this.handles = handles;
    this.helpers = handles.length;
    for (let s = 0; s < MAX_HELPERS; s++) control[SLOT_BASE + s * SLOT_WORDS + KERNEL] = NO_JOB;
  }

  /**
   * Starts `helpers` threads on `memory` (shared), each with THREAD_TILE_SCRATCH bytes at the offsets
   * given. Rejects with the host's reason if a thread cannot start.
   */
  static async start(
    module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: string[], tileScratch: number[],
  ): Promise<ThreadPool> {
    const helpers = tileScratch.length;
    if (!host) throw new Error('dyadic: this host cannot start threads (no thread host registered)');
    if (helpers < 1 || helpers > MAX_HELPERS) throw new RangeError(`dyadic: ${helpers} helper threads (1..${MAX_HELPERS})`);
    const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
    const starting = tileScratch.map((at, slot) =>
      host!.start({ module, memory, control, slot, kernels, tileScratch: at, spinMs: HELPER_SPIN_MS }),
    );
    const settled = await Promise.allSettled(starting);
    const handles = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      for (const h of handles) h.terminate();
      throw new Error(`dyadic: a helper thread failed to start: ${String(failed.reason?.message ?? failed.reason)}`, { cause: failed.reason });
    }
    return new ThreadPool(new Int32Array(control), kernels, handles);
  }

  /** Sets helper `slot`'s call for the next dispatch (slots left unset do nothing). */
  assign(slot: number, kernel: string, args: ArrayLike<number>): void {
    if (this.closed) throw new Error('dyadic: the thread pool is closed');
    const index = this.kernelIndex.get(kernel);
    if (index === undefined) throw new Error(`dyadic: no kernel '${kernel}' to run on a helper thread`);
    if (args.length > MAX_ARGS) throw new RangeError(`dyadic: ${args.length} arguments for ${kernel} (at most ${MAX_ARGS} on a helper thread)`);
    const c = this.control;
    const base = SLOT_BASE + slot * SLOT_WORDS;
    c[base + KERNEL] = index;
    c[base + ARGC] = args.length;
    for (let i = 0; i < args.length; i++) c[base + ARGS + i] = args[i];
  }

  /** Wakes the helpers on their assigned calls; the caller runs its own share, then calls finish(). */
  dispatch(): void {
    const c = this.control;
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GENERATION, 1);
    if (Atomics.load(c, SLEEPERS) > 0) Atomics.notify(c, GENERATION);
  }

  /** Spins until every helper has finished this dispatch; throws if one faulted. Clears the slots. */
  finish(): void {
    const c = this.control;
    let spins = 0;
    let deadline = 0;
    while (Atomics.load(c, DONE) < this.helpers) {
      if ((++spins & 0xffff) !== 0) continue;
      const now = performance.now();
      if (deadline === 0) deadline = now + this.dispatchTimeoutMs;
      else if (now > deadline) {
        this.close();
        throw new Error(`dyadic: a helper thread did not finish its kernel call within ${this.dispatchTimeoutMs} ms; the thread pool is closed and this runtime goes on with one thread`);
      }
    }
    let fault = '';
    for (let s = 0; s < this.helpers; s++) {
      const base = SLOT_BASE + s * SLOT_WORDS;
      if (c[base + KERNEL] !== NO_JOB && c[base + FAULT] !== 0 && !fault) {
        const args = Array.from(c.subarray(base + ARGS, base + ARGS + c[base + ARGC]));
        fault = `dyadic: kernel ${this.kernelNames[c[base + KERNEL]]} trapped on helper thread ${s + 1} with arguments [${args.join(', ')}]`;
      }
      c[base + KERNEL] = NO_JOB;
      c[base + FAULT] = 0;
    }
    if (fault) throw new Error(fault);
  }

  /** Stops and ends every helper. The pool cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    for (const h of this.handles) h.terminate();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
