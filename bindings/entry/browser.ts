// Browser entry: streams the .wasm next to the package (bundlers rewrite `new URL(..., import.meta.url)`)
// and runs helper threads as module Web Workers when the page is cross-origin isolated (the only way a
// page gets SharedArrayBuffer and shared wasm memory).
import { setModuleSource } from '../runtime/load.js';
import { setThreadHost } from '../threads/pool.js';

const urls = {
  simd: new URL('../../dist/wasm/simd.wasm', import.meta.url),
  relaxed: new URL('../../dist/wasm/relaxed.wasm', import.meta.url),
  'simd-threads': new URL('../../dist/wasm/simd-threads.wasm', import.meta.url),
  'relaxed-threads': new URL('../../dist/wasm/relaxed-threads.wasm', import.meta.url),
};

setModuleSource(async (build, shared) => {
  const url = urls[shared ? (`${build}-threads` as const) : build];
  const response = await fetch(url);
  if (!response.ok) throw new Error(`dyadic: fetching ${url} failed with HTTP ${response.status}`);
  return WebAssembly.compileStreaming(response);
});

setThreadHost({
  available: () => (globalThis.crossOriginIsolated === true ? (globalThis.navigator?.hardwareConcurrency ?? 1) : 1),
  start: (init) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./browser-helper.js', import.meta.url), { type: 'module' });
      worker.onmessage = (e: MessageEvent<{ ready?: boolean; error?: string }>) => {
        worker.onmessage = null;
        worker.onerror = null;
        if (e.data.ready) resolve({ terminate: () => worker.terminate() });
        else {
          worker.terminate();
          reject(new Error(e.data.error ?? 'helper thread did not start'));
        }
      };
      worker.onerror = (e) => {
        worker.terminate();
        reject(new Error(`helper thread failed to load: ${e.message || 'no message (is browser-helper.js served?)'}`));
      };
      worker.postMessage(init);
    }),
});

export * from '../index.js';
