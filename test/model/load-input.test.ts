// loadModel and loadModelFromPath take what a consumer has at hand: a Uint8Array, an ArrayBuffer,
// { bytes } without a name, a file: URL. The format comes from the bytes; bytes of no model format are
// refused with "not a model file", and a wrong argument type with a TypeError naming what was passed.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadModel, loadTokenizer } from '../../bindings/model/load.js';
import { loadModelFromPath } from '../../bindings/entry/node-files.js';
import { bundledModelPath, bundledModelUrl } from '../../bindings/entry/bundled-models.js';
import { ModelFormatError } from '../../bindings/formats/errors.js';

const url = new URL('../../models/stories260K.gguf', import.meta.url);
const file = new Uint8Array(readFileSync(url));

describe('loadModel input', () => {
  const named = loadModel({ bytes: file, file: 'stories260K.gguf' });
  it.each([
    ['a Uint8Array', () => loadModel(file)],
    ['an ArrayBuffer', () => loadModel(file.slice().buffer)],
    ['a Node Buffer', () => loadModel(readFileSync(url))],
    ['{ bytes } without a file name', () => loadModel({ bytes: file })],
    ['a file: URL (loadModelFromPath)', () => loadModelFromPath(url)],
    ['bundledModelUrl()', () => loadModelFromPath(bundledModelUrl())],
    ['bundledModelPath("stories260K")', () => loadModelFromPath(bundledModelPath('stories260K'))],
  ])('%s loads the same model as named bytes', (_, load) => {
    const m = load();
    expect(m.format).toBe('gguf');
    expect(m.config).toEqual(named.config);
    expect(m.weights.tokenEmbedding).toEqual(named.weights.tokenEmbedding);
    expect(m.tokenizer?.encode('Once upon a time')).toEqual(named.tokenizer?.encode('Once upon a time'));
  });

  it('the bundled model URL is the file in models/', () => {
    expect(bundledModelUrl().href).toBe(url.href);
    expect(() => bundledModelUrl('stories15M' as 'stories260K')).toThrow(/no bundled model "stories15M" \(bundled: stories260K\)/);
  });

  it.each([
    ['JSON', new TextEncoder().encode('{\n  "name": "dyadic",\n  "version": "0.1.0"\n}\n')],
    ['text', new TextEncoder().encode('Once upon a time there was a little girl.')],
    ['nothing', new Uint8Array(0)],
    ['three bytes', new Uint8Array([1, 2, 3])],
    // A legacy llama2.c header with a field out of range (n_heads > dim) is no header.
    ['an implausible llama2.c header', new Uint8Array(new Int32Array([64, 172, 5, 128, 4, 512, 512, 0]).buffer)],
  ])('%s is "not a model file", naming size and first bytes', (_, bytes) => {
    const head = [...bytes.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ') || 'with nothing';
    const want = `model bytes: not a model file: no GGUF magic, no safetensors header, no llama2.c header (${bytes.length} bytes, starting ${head})`;
    expect(() => loadModel(bytes)).toThrow(new ModelFormatError('model bytes', want.slice('model bytes: '.length)));
    expect(() => loadModel({ bytes, file: 'notes.txt' })).toThrow(/^notes\.txt: not a model file: /);
  });

  it('a .gguf or .bin name is trusted over the bytes (a damaged header is reported as such)', () => {
    const damaged = file.slice();
    damaged[0] = 0;
    expect(() => loadModel({ bytes: damaged, file: 'x.gguf' })).toThrow(ModelFormatError);
    expect(() => loadModel({ bytes: damaged, file: 'x.gguf' })).not.toThrow(/not a model file/);
    expect(() => loadModel({ bytes: new TextEncoder().encode('hello world, this is not a checkpoint'), file: 'x.bin' })).toThrow(/^x\.bin: (?!not a model file)/);
  });

  it('a wrong argument type is a TypeError naming it', () => {
    // @ts-expect-error: a path is not bytes
    expect(() => loadModel('models/stories260K.gguf')).toThrow(/takes the file's bytes \(a Uint8Array, an ArrayBuffer or \{ bytes, file \}\), got the string "models\/stories260K\.gguf" \(in Node, loadModelFromPath reads a path\)/);
    // @ts-expect-error: no bytes
    expect(() => loadModel({ file: 'a.gguf' })).toThrow(/got an object without bytes/);
    // @ts-expect-error: null
    expect(() => loadModel(null)).toThrow(TypeError);
    expect(() => loadModelFromPath(new URL('https://example.com/m.gguf'))).toThrow(/https:\/\/example\.com\/m\.gguf is not a file: URL/);
    expect(() => loadModelFromPath(pathToFileURL('/no/such/file.gguf'))).toThrow(/cannot read \/no\/such\/file\.gguf: ENOENT/);
  });

  it('loadTokenizer takes bare bytes too', () => {
    expect(loadTokenizer(file).encode('Once upon a time')).toEqual(named.tokenizer?.encode('Once upon a time'));
  });
});
