// loadModel({ url, onProgress }): a download over HTTP with progress, and split GGUF files
// (NAME-0000i-of-0000N.gguf, as llama.cpp's gguf-split writes them) loaded as one model. The expected model
// is the unsplit file's bytes through loadModel. (The Cache API is browsers' and Workers': the web chat
// page test loads twice, the second time offline.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, loadModelFromPath, ggufSplitNames, type DownloadProgress, type LoadedModel } from '../../dist/entry/node.js';
import { chatModelBytes, chatModelSplits } from '../helpers/chat-model.js';

const dir = mkdtempSync(join(tmpdir(), 'dyadic-url-'));
const whole = chatModelBytes();
writeFileSync(join(dir, 'chat.gguf'), whole);
const splits = chatModelSplits(3);
splits.forEach((b, i) => writeFileSync(join(dir, `chat-0000${i + 1}-of-00003.gguf`), b));
writeFileSync(join(dir, 'lonely-00001-of-00002.gguf'), splits[0]);

let server: Server;
let base: string;
const requests: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url!);
    const chunked = req.url!.startsWith('/chunked/');
    const name = decodeURIComponent(req.url!.replace(/^\/(chunked\/)?/, ''));
    let body: Buffer;
    try {
      body = readFileSync(join(dir, name));
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    // Sent in pieces; /chunked/ without a Content-Length (total unknown to the client).
    res.writeHead(200, chunked ? { 'Content-Type': 'application/octet-stream' } : { 'Content-Length': String(body.length) });
    let at = 0;
    const next = () => {
      if (at >= body.length) return void res.end();
      res.write(body.subarray(at, at + 65536), next);
      at += 65536;
    };
    next();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function sameModel(got: LoadedModel, want: LoadedModel) {
  expect(got.config).toEqual(want.config);
  expect(got.tensors.map((t) => [t.name, t.shape, t.type])).toEqual(want.tensors.map((t) => [t.name, t.shape, t.type]));
  expect(got.chatTemplate).toBe(want.chatTemplate);
  expect(got.tokenizer!.encode('<|user|>\nHi there')).toEqual(want.tokenizer!.encode('<|user|>\nHi there'));
  expect(Buffer.from(got.weights.tokenEmbedding.buffer, got.weights.tokenEmbedding.byteOffset, got.weights.tokenEmbedding.byteLength)
    .equals(Buffer.from(want.weights.tokenEmbedding.buffer, want.weights.tokenEmbedding.byteOffset, want.weights.tokenEmbedding.byteLength))).toBe(true);
  got.weights.layers.forEach((l, i) => expect(l.wDown).toEqual(want.weights.layers[i].wDown));
  expect(got.weights.finalNorm).toEqual(want.weights.finalNorm);
}

describe('loadModel({ url })', () => {
  const want = loadModel({ bytes: whole, file: 'chat.gguf' });

  it('downloads with progress (bytes done of the total) and loads the same model as the bytes', async () => {
    const seen: DownloadProgress[] = [];
    const got = await loadModel({ url: `${base}chat.gguf`, onProgress: (p) => seen.push(p) });
    sameModel(got, want);
    expect(got.file).toBe('chat.gguf');
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.every((p) => p.total === whole.length && !p.fromCache)).toBe(true);
    expect(seen.map((p) => p.loaded)).toEqual([...seen.map((p) => p.loaded)].sort((a, b) => a - b));
    expect(seen[0].loaded).toBe(0);
    expect(seen.at(-1)!.loaded).toBe(whole.length);
  });

  it('without a Content-Length: progress without a total', async () => {
    const seen: DownloadProgress[] = [];
    sameModel(await loadModel({ url: `${base}chunked/chat.gguf`, onProgress: (p) => seen.push(p) }), want);
    expect(seen.every((p) => p.total === undefined)).toBe(true);
    expect(seen.at(-1)!.loaded).toBe(whole.length);
  });

  it('a split GGUF: every part fetched, in order, loaded as one model (also from disk)', async () => {
    expect(ggufSplitNames('m/chat-00002-of-00003.gguf')).toEqual(['m/chat-00001-of-00003.gguf', 'm/chat-00002-of-00003.gguf', 'm/chat-00003-of-00003.gguf']);
    expect(ggufSplitNames('chat.gguf')).toBeUndefined();
    requests.length = 0;
    const seen: DownloadProgress[] = [];
    const got = await loadModel({ url: `${base}chat-00001-of-00003.gguf`, onProgress: (p) => seen.push(p) });
    expect(requests).toEqual(['/chat-00001-of-00003.gguf', '/chat-00002-of-00003.gguf', '/chat-00003-of-00003.gguf']);
    expect(seen.at(-1)).toEqual({ loaded: splits.reduce((n, b) => n + b.length, 0), total: splits.reduce((n, b) => n + b.length, 0), fromCache: false });
    sameModel(got, want);
    sameModel(loadModelFromPath(join(dir, 'chat-00001-of-00003.gguf')), want);
  });

  it('names what is wrong: a missing part, parts out of order, a wrong count', async () => {
    await expect(loadModel({ url: `${base}lonely-00001-of-00002.gguf` })).rejects.toThrow(/lonely-00002-of-00002\.gguf failed: HTTP 404/);
    await expect(loadModel({ url: `${base}nothing.gguf` })).rejects.toThrow(/HTTP 404/);
    const file = (i: number) => ({ bytes: splits[i], file: `chat-0000${i + 1}-of-00003.gguf` });
    expect(() => loadModel(file(0), { extraShards: [file(2), file(1)] })).toThrow(/split\.no is 2, expected 1/);
    expect(() => loadModel(file(0), { extraShards: [file(1)] })).toThrow(/split\.count is 3, but 2 part/);
  });
});
