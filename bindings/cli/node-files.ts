// Node-only: reads model and tokenizer files from paths and hands their bytes to the host-independent
// loaders. A safetensors model is a directory (config.json + *.safetensors, tokenizer.json if present)
// or a .safetensors file with those beside it.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadedModel, loadModel, loadTokenizer } from '../model/load.js';
import { ggufSplitNames } from '../formats/gguf-split.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

/** A path that cannot be read (missing, a directory, no permission). */
export class FileReadError extends Error {
  override name = 'FileReadError';
}

export function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new FileReadError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A path as a string; a file: URL (new URL(..., import.meta.url)) becomes its path. */
function pathOf(path: string | URL, what: string): string {
  if (typeof path === 'string') return path;
  if (path instanceof URL) {
    if (path.protocol !== 'file:') throw new TypeError(`dyadic: ${what} reads files; ${path.href} is not a file: URL (fetch it and pass the bytes to loadModel)`);
    return fileURLToPath(path);
  }
  throw new TypeError(`dyadic: ${what} takes a path (a string or a file: URL), got ${path === null ? 'null' : typeof path}`);
}

export function loadModelFromPath(pathOrUrl: string | URL): LoadedModel {
  const path = pathOf(pathOrUrl, 'loadModelFromPath');
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    readBytes(path); // throws the "cannot read" message
  }
  if (isDir || path.endsWith('.safetensors')) {
    const dir = isDir ? path : dirname(path);
    const shards = isDir ? readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort() : [basename(path)];
    if (shards.length === 0) throw new Error(`${dir}: no .safetensors files`);
    const configJson = new TextDecoder().decode(readBytes(join(dir, 'config.json')));
    const [first, ...rest] = shards.map((f) => ({ bytes: readBytes(join(dir, f)), file: join(dir, f) }));
    const tokenizerPath = join(dir, 'tokenizer.json');
    const tokenizerJson = existsSync(tokenizerPath) ? new TextDecoder().decode(readBytes(tokenizerPath)) : undefined;
    return loadModel(first, { configJson, extraShards: rest, tokenizerJson });
  }
  // A split GGUF (NAME-00001-of-0000N.gguf): every part from the same directory, in order.
  const parts = ggufSplitNames(basename(path));
  if (parts) {
    const [first, ...rest] = parts.map((name) => ({ bytes: readBytes(join(dirname(path), name)), file: join(dirname(path), name) }));
    return loadModel(first, { extraShards: rest });
  }
  return loadModel({ bytes: readBytes(path), file: path });
}

export function loadTokenizerFromPath(pathOrUrl: string | URL): Tokenizer {
  const path = pathOf(pathOrUrl, 'loadTokenizerFromPath');
  return loadTokenizer({ bytes: readBytes(path), file: path });
}
