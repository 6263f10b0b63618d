// Browser entry: streams the .wasm next to the package (bundlers rewrite `new URL(..., import.meta.url)`).
import { setModuleSource } from '../runtime/load.js';

const urls = {
  simd: new URL('../../dist/wasm/simd.wasm', import.meta.url),
  relaxed: new URL('../../dist/wasm/relaxed.wasm', import.meta.url),
};

setModuleSource(async (build) => {
  const response = await fetch(urls[build]);
  if (!response.ok) throw new Error(`dyadic: fetching ${urls[build]} failed with HTTP ${response.status}`);
  return WebAssembly.compileStreaming(response);
});

export * from '../index.js';
