// Node-only: reads model and tokenizer files from paths and hands their bytes to the host-independent
// loaders. A safetensors model is a directory (config.json + *.safetensors, tokenizer.json if present)
// or a .safetensors file with those beside it.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { type GgufFile, parseGguf } from '../formats/gguf.js';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadedModel, loadGgufChunked, loadModel, loadTokenizer } from '../model/load.js';
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
  if (path.endsWith('.gguf')) return loadGgufFromPath(path);
  return loadModel({ bytes: readBytes(path), file: path });
}

/** First read of a GGUF header; doubled until the metadata and tensor infos fit (a 32k vocabulary takes ~1 MB). */
const GGUF_HEADER_PREFIX = 1 << 20;
/** The reused read buffer: at least the group-wise packer's row chunk (bindings/gemm/groupwise-pack.ts). */
const SCRATCH_BYTES = 2 << 20;

/**
 * A GGUF file read in chunks: the header from its first bytes, then one tensor at a time into one reused
 * buffer when a model is planned (mode native packs each tensor straight into wasm memory), so the file
 * never sits whole in memory. The float paths read the whole file when they ask for float32 weights.
 */
export function loadGgufFromPath(path: string): LoadedModel {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new FileReadError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const readAt = (offset: number, length: number, into?: Buffer): Buffer => {
      const buf = into ?? Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, offset + done);
        if (n === 0) throw new FileReadError(`cannot read ${path}: the file ended at ${offset + done} bytes (it changed while loading?)`);
        done += n;
      }
      return buf;
    };
    let header: GgufFile | undefined;
    for (let prefix = Math.min(GGUF_HEADER_PREFIX, size); !header; prefix = Math.min(2 * prefix, size)) {
      try {
        header = parseGguf(readAt(0, prefix), path, size);
      } catch (e) {
        if (prefix >= size) throw e; // the whole file and still not a header: the parser's error stands
      }
    }
    // Reads up to SCRATCH_BYTES (row chunks of a tensor being packed) reuse one buffer; larger ones are fresh.
    const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
    const model = loadGgufChunked(header, (offset, length) =>
      length <= SCRATCH_BYTES ? readAt(offset, length, scratch).subarray(0, length) : readAt(offset, length), () => readBytes(path));
    // The descriptor stays open while the model can still read tensors; Node closes it at exit.
    return model;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

export function loadTokenizerFromPath(pathOrUrl: string | URL): Tokenizer {
  const path = pathOf(pathOrUrl, 'loadTokenizerFromPath');
  return loadTokenizer({ bytes: readBytes(path), file: path });
}
