// The main thread's side of the kernel thread pool. Helpers (bindings/threads/helper-loop.ts) each run
// their own instance of the shared-memory kernel module over the same WebAssembly.Memory; a dispatch
// posts one kernel call per helper into the control block (bindings/threads/protocol.ts), wakes
// sleeping helpers, runs the main thread's own share, then collects the helpers' calls: one a helper has
// not started yet is taken over and run here, one it has started is waited for (spinning: browsers
// forbid Atomics.wait on the main thread, and the calls are short).
//
// Only kernels whose work splits into disjoint outputs are dispatched (see bindings/gemm/parallel.ts), so
// results are bit-identical to one thread whatever the split.

import {
  ARGC, ARGS, CONTROL_WORDS, FAULT, FINISHED, GENERATION, IDLE, KERNEL, MAX_ARGS, MAX_HELPERS, POSTED, SLEEPERS, SLOT_BASE, SLOT_WORDS,
  STATE, STOP, TAKEN, type HelperInit,
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

/**
 * Whether helpers earn their keep, measured by the pool itself: over each window of PROBE_DISPATCHES split
 * calls it compares what one thread would have taken (parts x the main thread's own share, timed from
 * dispatch() to finish()) with what the split took (that plus finish(): waiting for helpers, or running
 * the shares of helpers that never started). Below MIN_SPLIT_SPEEDUP (a busy core: helpers start late or
 * crawl), or when helpers started fewer than half their calls, the pool stops splitting (minSplitWork reads Infinity: one thread) for a back-off that starts at
 * FALLBACK_MS and doubles while probes keep failing (up to MAX_FALLBACK_MS), then probes again.
 */
export const PROBE_DISPATCHES = 32;
/** Speed-up of split calls over one thread below which the pool falls back to one thread. */
export const MIN_SPLIT_SPEEDUP = 1.15;
/** First back-off after a failed probe (ms); doubles per failed probe. */
export const FALLBACK_MS = 250;
/** Longest back-off (ms). */
export const MAX_FALLBACK_MS = 4000;

/** Names of the slot states IDLE, POSTED, TAKEN, FINISHED (protocol.ts), for slotState(). */
const SLOT_STATES = ['idle', 'posted', 'taken', 'finished'] as const;

/** Runs a kernel call on the main thread's own instance (the runtime's call). */
export type LocalCall = (kernel: string, args: number[]) => void;

export class ThreadPool {
  /** Helper threads (the main thread is one more). */
  readonly helpers: number;
  /**
   * Calls with less work than this run on the main thread alone. Reads Infinity while the pool has
   * fallen back to one thread (helpers measured slower than no helpers: see PROBE_DISPATCHES). Assigning
   * it fixes the threshold and stops the measuring (0: split everything, as tests do).
   */
  get minSplitWork(): number {
    if (this.fallbackUntil === 0) return this.splitWork;
    if (performance.now() < this.fallbackUntil) return Infinity;
    this.fallbackUntil = 0; // back-off over: probe again
    return this.splitWork;
  }
  set minSplitWork(work: number) {
    this.splitWork = work;
    this.adaptive = false;
    this.fallbackUntil = 0;
  }
  /** Times the pool fell back to one thread (for tests, benches and tuning). */
  fallbacks = 0;
  private splitWork = DEFAULT_MIN_SPLIT_WORK;
  private adaptive = true;
  private fallbackUntil = 0; // performance.now() until which calls are not split; 0: splitting
  private backoffMs = FALLBACK_MS;
  private dispatchedAt = 0;
  private window = 0; // dispatches measured in this window
  private oneThreadMs = 0; // sum of parts x own share
  private splitMs = 0; // sum of own share + finish()
  private helperCalls = 0; // helper calls posted in this window
  private takenCalls = 0; // of them, run by the main thread because their helper had not started
  /** How long finish() waits for a helper's call before it declares the helper lost and closes the pool. */
  dispatchTimeoutMs = DISPATCH_TIMEOUT_MS;
  /** Calls the main thread took over because their helper had not started them (for tests and tuning). */
  taken = 0;
  private readonly control: Int32Array;
  private readonly kernelIndex: Map<string, number>;
  private readonly kernelNames: string[];
  private readonly handles: HelperHandle[];
  private readonly local: LocalCall;
  private readonly posted: boolean[];
  private readonly args: number[] = [];
  private closed = false;

  private constructor(control: Int32Array, kernels: string[], handles: HelperHandle[], local: LocalCall) {
    this.control = control;
    this.kernelNames = kernels;
    this.kernelIndex = new Map(kernels.map((name, i) => [name, i]));
    this.handles = handles;
    this.helpers = handles.length;
    this.local = local;
    this.posted = new Array<boolean>(handles.length).fill(false);
  }

  /**
   * Starts `helpers` threads on `memory` (shared), each with THREAD_TILE_SCRATCH bytes at the offsets
   * given; `local` runs a call on the main thread (when it takes over a late helper's call). Rejects
   * with the host's reason if a thread cannot start.
   */
  static async start(
    module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: string[], tileScratch: number[], local: LocalCall,
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
    return new ThreadPool(new Int32Array(control), kernels, handles, local);
  }

  /**
   * Posts a call to helper `slot` (a spinning helper may start it at once); dispatch() wakes sleeping
   * helpers, and finish() collects every posted call.
   */
  assign(slot: number, kernel: string, args: ArrayLike<number>): void {
    if (this.closed) throw new Error('dyadic: the thread pool is closed');
    const index = this.kernelIndex.get(kernel);
    if (index === undefined) throw new Error(`dyadic: no kernel '${kernel}' to run on a helper thread`);
    if (args.length > MAX_ARGS) throw new RangeError(`dyadic: ${args.length} arguments for ${kernel} (at most ${MAX_ARGS} on a helper thread)`);
    if (!(slot >= 0 && slot < this.helpers)) throw new RangeError(`dyadic: no helper thread ${slot} (the pool has ${this.helpers})`);
    if (this.posted[slot]) throw new Error(`dyadic: helper thread ${slot + 1} already has a call posted (finish() first)`);
    const c = this.control;
    const base = SLOT_BASE + slot * SLOT_WORDS;
    c[base + KERNEL] = index;
    c[base + ARGC] = args.length;
    for (let i = 0; i < args.length; i++) c[base + ARGS + i] = args[i];
    c[base + FAULT] = 0;
    Atomics.store(c, base + STATE, POSTED);
    this.posted[slot] = true;
  }

  /** Wakes sleeping helpers on their posted calls; the caller runs its own share, then calls finish(). */
  dispatch(): void {
    const c = this.control;
    Atomics.add(c, GENERATION, 1);
    if (Atomics.load(c, SLEEPERS) > 0) Atomics.notify(c, GENERATION);
    if (this.adaptive) this.dispatchedAt = performance.now();
  }

  /**
   * Returns when every posted call has run: a call its helper has not started yet is taken over and run
   * here (so a descheduled or sleeping helper costs no waiting); a started one is waited for. Throws
   * the first fault after all are done.
   */
  finish(): void {
    const c = this.control;
    const started = this.adaptive && this.dispatchedAt > 0 ? performance.now() : 0;
    let parts = 1;
    let fault = '';
    for (let s = 0; s < this.helpers; s++) {
      if (!this.posted[s]) continue;
      parts++;
      this.posted[s] = false;
      const base = SLOT_BASE + s * SLOT_WORDS;
      const name = this.kernelNames[c[base + KERNEL]];
      if (Atomics.compareExchange(c, base + STATE, POSTED, TAKEN) === POSTED) {
        this.taken++;
        this.takenCalls++;
        const args = this.args;
        args.length = c[base + ARGC];
        for (let i = 0; i < args.length; i++) args[i] = c[base + ARGS + i];
        Atomics.store(c, base + STATE, IDLE);
        try {
          this.local(name, args);
        } catch (e) {
          fault ||= `dyadic: kernel ${name} trapped in helper thread ${s + 1}'s share (run on the main thread) with arguments [${args.join(', ')}]: ${(e as Error).message}`;
        }
        continue;
      }
      this.waitFinished(base);
      if (c[base + FAULT] !== 0 && !fault) {
        const args = Array.from(c.subarray(base + ARGS, base + ARGS + c[base + ARGC]));
        fault = `dyadic: kernel ${name} trapped on helper thread ${s + 1} with arguments [${args.join(', ')}]`;
      }
      c[base + FAULT] = 0;
      Atomics.store(c, base + STATE, IDLE);
    }
    if (started > 0) this.measure(started - this.dispatchedAt, performance.now() - this.dispatchedAt, parts);
    this.dispatchedAt = 0;
    if (fault) throw new Error(fault);
  }

  /** One split call's timing: the main thread's own share took `ownMs`, the whole call `totalMs`. */
  private measure(ownMs: number, totalMs: number, parts: number): void {
    this.oneThreadMs += parts * ownMs;
    this.helperCalls += parts - 1;
    this.splitMs += totalMs;
    if (++this.window < PROBE_DISPATCHES) return;
    const speedup = this.oneThreadMs / Math.max(this.splitMs, 1e-9);
    // helpers that did not even start half their calls do not run, whatever the timing noise says
    const idle = 2 * this.takenCalls >= this.helperCalls;
    this.helperCalls = 0;
    this.takenCalls = 0;
    this.window = 0;
    this.oneThreadMs = 0;
    this.splitMs = 0;
    if (speedup >= MIN_SPLIT_SPEEDUP && !idle) {
      this.backoffMs = FALLBACK_MS;
      return;
    }
    this.fallbacks++;
    this.fallbackUntil = performance.now() + this.backoffMs;
    this.backoffMs = Math.min(2 * this.backoffMs, MAX_FALLBACK_MS);
  }

  /** Spins until the helper at slot `base` has finished the call it took (or the dispatch timeout). */
  private waitFinished(base: number): void {
    const c = this.control;
    let spins = 0;
    let deadline = 0;
    while (Atomics.load(c, base + STATE) !== FINISHED) {
      if ((++spins & 0xffff) !== 0) continue;
      const now = performance.now();
      if (deadline === 0) deadline = now + this.dispatchTimeoutMs;
      else if (now > deadline) {
        this.posted.fill(false);
        this.close();
        throw new Error(`dyadic: a helper thread did not finish its kernel call within ${this.dispatchTimeoutMs} ms; the thread pool is closed and this runtime goes on with one thread`);
      }
    }
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

  /** Where helper `slot`'s current call is (diagnostics and tests). */
  slotState(slot: number): 'idle' | 'posted' | 'taken' | 'finished' {
    return SLOT_STATES[Atomics.load(this.control, SLOT_BASE + slot * SLOT_WORDS + STATE)];
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
