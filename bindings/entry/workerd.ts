// Cloudflare Workers entry: workerd refuses to compile wasm from bytes ("Wasm code generation disallowed
// by embedder"), so both builds are imported as modules, which the runtime hands over already compiled.
import simd from '../../dist/wasm/simd.wasm';
import relaxed from '../../dist/wasm/relaxed.wasm';
import { setModuleSource } from '../runtime/load.js';

// No thread host: an isolate runs one thread (shared memory and Workers' threads are not available),
// so loadRuntime({ threads: 'auto' }) gives one thread here.
setModuleSource(async (build, shared) => {
  if (shared) throw new Error('dyadic: Cloudflare Workers run kernels on one thread (no shared-memory build here)');
  return build === 'relaxed' ? relaxed : simd;
});

export * from '../index.js';
