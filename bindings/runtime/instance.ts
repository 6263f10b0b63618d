// One instantiated kernel module: its build, its exports and the arena over its memory.

import { WasmArena, MAX_WASM_BYTES } from './arena.js';
import type { Build } from './features.js';
import type { ThreadPool } from '../threads/pool.js';

/** The raw exports of assembly/index.ts. Kernel files add their own entries (all take byte offsets). */
export type KernelExports = {
  readonly memory: WebAssembly.Memory;
  heap_base(): number;
  build_flavor(): number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [kernel: string]: any;
};

export interface RuntimeOptions {
  /** Upper bound on wasm memory in bytes (for example 128 MB in a Cloudflare Worker). */
  memoryLimitBytes?: number;
}

export class DyadicRuntime {
  readonly build: Build;
  readonly exports: KernelExports;
  readonly arena: WasmArena;
  private threadPool: ThreadPool | undefined;
  private heap: Int32Array | undefined;

  constructor(build: Build, exports: KernelExports, options: RuntimeOptions = {}) {
    const flavor = exports.build_flavor() === 1 ? 'relaxed' : 'simd';
    if (flavor !== build) throw new Error(`dyadic: asked for the ${build} build but the module is the ${flavor} build`);
    this.build = build;
    this.exports = exports;
    this.arena = new WasmArena(exports.memory, exports.heap_base(), options.memoryLimitBytes ?? MAX_WASM_BYTES);
  }

  /**
   * Helper threads sharing this runtime's memory (bindings/threads/), when it was loaded with threads > 1
   * and the pool is still open (a pool that lost a helper closes itself; the runtime then goes on alone).
   */
  get pool(): ThreadPool | undefined {
    return this.threadPool?.isClosed ? undefined : this.threadPool;
  }

  set pool(pool: ThreadPool | undefined) {
    this.threadPool = pool;
  }

  /** Threads that run kernels: the main thread plus the pool's helpers. */
  get threads(): number {
    return 1 + (this.pool?.helpers ?? 0);
  }

  /** An int32 view of the whole memory, rebuilt only when memory has grown (for small per-call writes). */
  heap32(): Int32Array {
    const buffer = this.arena.memory.buffer;
    if (this.heap?.buffer !== buffer) this.heap = new Int32Array(buffer);
    return this.heap;
  }

  /** Ends the helper threads, if any (the runtime stays usable on one thread). */
  close(): void {
    this.threadPool?.close();
    this.threadPool = undefined;
  }

  /**
   * Calls a kernel export. Arguments are validated by the caller beforehand, so a trap here is a bug in
   * dyadic; it is reported with the kernel's name rather than as a bare RuntimeError.
   */
  call(kernel: string, ...args: number[]): number {
    const fn = this.exports[kernel] as ((...a: number[]) => number) | undefined;
    if (typeof fn !== 'function') throw new Error(`dyadic: the ${this.build} build has no kernel '${kernel}'`);
    try {
      return fn(...args);
    } catch (cause) {
      if (cause instanceof WebAssembly.RuntimeError) {
        throw new Error(`dyadic: kernel ${kernel} trapped (${cause.message}) with arguments [${args.join(', ')}]`, {
          cause,
        });
      }
      throw cause;
    }
  }
}

export async function instantiateKernels(
  module: WebAssembly.Module,
  build: Build,
  options?: RuntimeOptions,
): Promise<DyadicRuntime> {
  const instance = await WebAssembly.instantiate(module, {});
  return new DyadicRuntime(build, instance.exports as KernelExports, options);
}
