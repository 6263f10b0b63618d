// Node entry: reads the .wasm files that ship in dist/wasm/ and runs helper threads on worker_threads.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setModuleSource } from '../runtime/load.js';
import { setThreadHost } from '../threads/pool.js';

setModuleSource(async (build, shared) => {
  const url = new URL(`../../dist/wasm/${build}${shared ? '-threads' : ''}.wasm`, import.meta.url);
  return WebAssembly.compile(await readFile(url));
});

setThreadHost({
  available: () => availableParallelism(),
  start: (init) =>
    new Promise((resolve, reject) => {
      // From dist/ whether this file runs built (dist/entry) or as source under a test runner (bindings/entry).
      const worker = new Worker(new URL('../../dist/entry/node-helper.js', import.meta.url));
      const fail = (error: Error) => {
        void worker.terminate();
        reject(error);
      };
      worker.once('message', (m: { ready?: boolean; error?: string }) => {
        if (!m.ready) return fail(new Error(m.error ?? 'helper thread did not start'));
        worker.removeAllListeners('exit');
        worker.unref(); // a pool must not keep the process alive
        resolve({ terminate: () => void worker.terminate() });
      });
      worker.once('error', fail);
      worker.once('exit', (code) => fail(new Error(`helper thread exited with code ${code} before it was ready`)));
      worker.postMessage(init);
    }),
});

export * from '../index.js';
// Node only: model and tokenizer files by path (browsers and Workers pass bytes to loadModel).
export { loadModelFromPath, loadTokenizerFromPath } from './node-files.js';
// Node only: the models the package ships, by name (browsers import 'dyadic/models/NAME.gguf' as an asset URL).
export { bundledModelUrl, bundledModelPath, BUNDLED_MODELS, type BundledModel } from './bundled-models.js';
