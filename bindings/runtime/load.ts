// Loading the kernel module. How the compiled WebAssembly.Module is obtained depends on the host
// (a file next to the module in Node, fetch in browsers, a module import in workerd, where compiling
// from bytes is refused); each entry in bindings/entry/ registers its way here. Compiled modules are
// cached per build, so a second runtime costs only an instantiation.

import { resolveBuild, type Build, type BuildChoice } from './features.js';
import { instantiateKernels, type DyadicRuntime, type RuntimeOptions } from './instance.js';

export type ModuleSource = (build: Build) => Promise<WebAssembly.Module>;

let source: ModuleSource | undefined;
const compiled = new Map<Build, Promise<WebAssembly.Module>>();

/** Called once by the host entry (node, browser, workerd). */
export function setModuleSource(next: ModuleSource): void {
  source = next;
  compiled.clear();
}

export interface LoadOptions extends RuntimeOptions {
  /** 'auto' (default) picks relaxed SIMD when the engine validates it, else SIMD128. */
  build?: BuildChoice;
}

export function compileKernels(build: Build): Promise<WebAssembly.Module> {
  if (!source) throw new Error('dyadic: no wasm module source registered; import dyadic through its package entry');
  let module = compiled.get(build);
  if (!module) {
    module = source(build);
    compiled.set(build, module);
    module.catch(() => compiled.delete(build));
  }
  return module;
}

/** Instantiates the kernels: the build resolved from `options.build`, with a fresh memory. */
export async function loadRuntime(options: LoadOptions = {}): Promise<DyadicRuntime> {
  const build = resolveBuild(options.build);
  return instantiateKernels(await compileKernels(build), build, options);
}
