// Loading the kernel module. How the compiled WebAssembly.Module is obtained depends on the host
// (a file next to the module in Node, fetch in browsers, a module import in workerd, where compiling
// from bytes is refused); each entry in bindings/entry/ registers its way here. Compiled modules are
// cached per build, so a second runtime costs only an instantiation.

import { resolveBuild, type Build, type BuildChoice } from './features.js';
import { DyadicRuntime, instantiateKernels, type KernelExports, type RuntimeOptions } from './instance.js';
import { availableThreads, ThreadPool } from '../threads/pool.js';
import { THREAD_TILE_SCRATCH, MAX_HELPERS } from '../threads/protocol.js';
import { MAX_WASM_BYTES } from './arena.js';

/**
 * Where a build's compiled module comes from. `shared`: the shared-memory twin (asconfig targets
 * simd-threads, relaxed-threads), which imports its memory so that helper threads can share it.
 */
export type ModuleSource = (build: Build, shared: boolean) => Promise<WebAssembly.Module>;

let source: ModuleSource | undefined;
const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** Called once by the host entry (node, browser, workerd). */
export function setModuleSource(next: ModuleSource): void {
  source = next;
  compiled.clear();
}

export interface LoadOptions extends RuntimeOptions {
  /** 'auto' (default) picks relaxed SIMD when the engine validates it, else SIMD128. */
  build?: BuildChoice;
  /**
   * Threads that run kernels (default 1). 'auto': as many as this host offers (cores in Node; in
   * browsers only when crossOriginIsolated; always 1 in Workers). An explicit count is honoured where
   * threads can run at all (more threads than cores only spin against each other). Results are
   * bit-identical for every thread count.
   */
  threads?: number | 'auto';
}

export function compileKernels(build: Build, shared = false): Promise<WebAssembly.Module> {
  if (!source) throw new Error('dyadic: no wasm module source registered; import dyadic through its package entry');
  const key = shared ? `${build}-threads` : build;
  let module = compiled.get(key);
  if (!module) {
    module = source(build, shared);
    compiled.set(key, module);
    module.catch(() => compiled.delete(key));
  }
  return module;
}

/**
 * The thread count a load asks for, checked: 'auto' is what the host offers; an explicit count is kept
 * (up to 1 + MAX_HELPERS) where the host can run threads at all, and is 1 where it cannot.
 */
export function resolveThreads(choice: number | 'auto' = 1): number {
  const offered = availableThreads();
  if (choice === 'auto') return Math.min(offered, MAX_HELPERS + 1);
  if (!Number.isSafeInteger(choice) || choice < 1) {
    throw new RangeError(`dyadic: threads must be a positive integer or 'auto', got ${String(choice)}`);
  }
  return offered > 1 ? Math.min(choice, MAX_HELPERS + 1) : 1;
}

/**
 * A shared memory whose maximum covers `limitBytes` (a shared memory reserves its maximum up front). If
 * the engine will not reserve that much (32-bit hosts, tight browser limits), 1 GiB is tried before
 * giving up with the reason.
 */
function sharedMemory(limitBytes: number): { memory: WebAssembly.Memory; maximumBytes: number } {
  const pages = Math.min(MAX_WASM_BYTES / 65536, Math.max(1, Math.ceil(limitBytes / 65536)));
  let failure: unknown;
  for (const maximum of pages > 16384 ? [pages, 16384] : [pages]) {
    try {
      return { memory: new WebAssembly.Memory({ initial: 1, maximum, shared: true }), maximumBytes: maximum * 65536 };
    } catch (e) {
      failure = e;
    }
  }
  throw new Error(`dyadic: this engine would not create a shared wasm memory of up to ${pages * 65536} bytes for threads: ${String((failure as Error)?.message ?? failure)}`, { cause: failure });
}

/** Instantiates the kernels: the build resolved from `options.build`, with a fresh memory. */
export async function loadRuntime(options: LoadOptions = {}): Promise<DyadicRuntime> {
  const build = resolveBuild(options.build);
  const threads = resolveThreads(options.threads);
  if (threads === 1) return instantiateKernels(await compileKernels(build), build, options);

  // Shared memory: one WebAssembly.Memory, one instance per thread. Each helper instantiates the same
  // module on it (re-writing only the static data below the heap base, before any kernel runs) and gets
  // its own kernel scratch from the arena.
  const module = await compileKernels(build, true);
  const { memory, maximumBytes } = sharedMemory(options.memoryLimitBytes ?? MAX_WASM_BYTES);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const runtime = new DyadicRuntime(build, instance.exports as KernelExports, {
    ...options, memoryLimitBytes: Math.min(options.memoryLimitBytes ?? MAX_WASM_BYTES, maximumBytes),
  });
  const scratch = Array.from({ length: threads - 1 }, (_, i) => runtime.arena.alloc(THREAD_TILE_SCRATCH, `helper thread ${i + 1} scratch`, 64));
  const kernels = Object.keys(instance.exports).filter((name) => typeof instance.exports[name] === 'function');
  try {
    runtime.pool = await ThreadPool.start(module, memory, kernels, scratch, (kernel, args) => runtime.call(kernel, ...args));
  } catch (e) {
    // 'auto' means "as many as work here": if helpers cannot start (a content security policy that
    // forbids workers, say), one thread still works. An explicit count reports why it could not.
    if (options.threads === 'auto') return loadRuntime({ ...options, threads: 1 });
    throw e;
  }
  return runtime;
}
