// Node entry: reads the .wasm files that ship in dist/wasm/.
import { readFile } from 'node:fs/promises';
import { setModuleSource } from '../runtime/load.js';

setModuleSource(async (build) => {
  const url = new URL(`../../dist/wasm/${build}.wasm`, import.meta.url);
  return WebAssembly.compile(await readFile(url));
});

export * from '../index.js';
// Node only: model and tokenizer files by path (browsers and Workers pass bytes to loadModel).
export { loadModelFromPath, loadTokenizerFromPath } from '../cli/node-files.js';
