// Cloudflare Workers entry: workerd refuses to compile wasm from bytes ("Wasm code generation disallowed
// by embedder"), so both builds are imported as modules, which the runtime hands over already compiled.
import simd from '../../dist/wasm/simd.wasm';
import relaxed from '../../dist/wasm/relaxed.wasm';
import { setModuleSource } from '../runtime/load.js';

setModuleSource(async (build) => (build === 'relaxed' ? relaxed : simd));

export * from '../index.js';
