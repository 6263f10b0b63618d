// examples/worker under Cloudflare's real runtime (workerd on loopback): the unmodified example source,
// the bundled model as its data module, `import ... from 'dyadic'` resolved to the workerd entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, type RunningWorker } from '../helpers/workerd.js';
import { freshSeed, modelBytes, nodeGeneration, MODEL_PATH, type GenerationRequest } from './helpers/reference.js';

const source = readFileSync(new URL('../../examples/worker/src/index.js', import.meta.url), 'utf8');

interface Sse {
  status: number;
  contentType: string | null;
  chunks: number;
  events: { event: string; data: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** POSTs /generate and reads the server-sent events as they arrive (counting the network chunks). */
async function post(url: string, body: unknown): Promise<Sse> {
  const res = await fetch(`${url}/generate`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const contentType = res.headers.get('content-type');
  if (!contentType?.startsWith('text/event-stream')) return { status: res.status, contentType, chunks: 0, events: [{ event: 'json', data: await res.json() }] };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks++;
    text += decoder.decode(value, { stream: true });
  }
  const events = text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]);
      return { event, data };
    });
  return { status: res.status, contentType, chunks, events };
}

function finished(sse: Sse) {
  const done = sse.events.find((e) => e.event === 'done');
  expect(sse.events.filter((e) => e.event === 'error')).toEqual([]);
  expect(done, JSON.stringify(sse.events.slice(-2))).toBeDefined();
  return { start: sse.events[0].data, tokens: done!.data.tokens as number[], text: done!.data.text as string, streamed: sse.events.filter((e) => e.event === 'token') };
}

describe('examples/worker in workerd', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker(source, { 'stories260K.gguf': fileURLToPath(MODEL_PATH) });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  for (const [mode, build] of [['w8a8', 'simd'], ['w8a8', 'relaxed'], ['w4a8', 'auto'], ['float32', 'auto']] as const) {
    it(`streams ${mode} tokens (${build} build) equal to Node's for the same seed`, async () => {
      const request: GenerationRequest = { prompt: 'Once upon a time', mode, maxTokens: 80, temperature: 0.8, topP: 0.9, seed: freshSeed() };
      const sse = await post(worker.url, { ...request, build });
      expect(sse.status).toBe(200);
      const got = finished(sse);
      const want = await nodeGeneration(request);
      expect(got.tokens, `seed ${request.seed}`).toEqual(want.tokens);
      expect(got.text).toBe(want.text);
      expect(got.start.mode).toBe(mode);
      expect(got.start.build).toBe(mode === 'float32' ? 'none (float32 in JavaScript)' : build === 'auto' ? 'relaxed' : build);
      // One token event per printed piece (the prompt's too), which concatenate to the text.
      expect(got.streamed.map((e) => e.data.text).join('')).toBe(want.text);
      expect(sse.chunks).toBeGreaterThan(1);
    });
  }

  it('keeps requests independent: concurrent and repeated requests each equal a fresh Node run', async () => {
    const requests: GenerationRequest[] = [
      { prompt: 'Lily had a cat', mode: 'w8a8', maxTokens: 60, temperature: 1, topP: 0.9, seed: freshSeed() },
      { prompt: 'The sun', mode: 'w8a8', maxTokens: 60, temperature: 1, topP: 0.9, seed: freshSeed() },
      { prompt: 'Tom', mode: 'w4a8', maxTokens: 60, temperature: 0.7, topP: 0.95, seed: freshSeed() },
    ];
    const concurrent = await Promise.all(requests.map((r) => post(worker.url, r)));
    const again = await post(worker.url, requests[0]);
    const want = await Promise.all(requests.map(nodeGeneration));
    concurrent.forEach((sse, i) => expect(finished(sse).tokens, `request ${i}, seed ${requests[i].seed}`).toEqual(want[i].tokens));
    expect(finished(again).tokens).toEqual(want[0].tokens);
  });

  it('answers bad requests with 400 and a message naming the field, before streaming', async () => {
    const bad = async (body: unknown) => {
      const sse = await post(worker.url, body);
      expect(sse.status).toBe(400);
      return sse.events[0].data.error as string;
    };
    expect(await bad({ mode: 'w3a3' })).toMatch(/unknown mode "w3a3"/);
    expect(await bad({ build: 'gpu' })).toMatch(/build "gpu"/);
    expect(await bad({ maxTokens: 0 })).toMatch(/maxTokens 0/);
    expect(await bad({ temperature: -1 })).toMatch(/temperature -1/);
    expect(await bad('not json')).toMatch(/JSON object/);
  });
});

describe('examples/worker refuses a model that does not fit 128 MB', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    // The bundled model with its context length patched from 2048 to 2^22 positions: a tiny file whose KV
    // cache alone (5 layers x 2 x 2^22 positions x 32 int8) would take 1.3 GB.
    const bytes = modelBytes();
    const key = new TextEncoder().encode('llama.context_length');
    const at = Buffer.from(bytes).indexOf(key) + key.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint32(at, true)).toBe(4); // GGUF value type UINT32
    expect(view.getUint32(at + 4, true)).toBe(2048);
    view.setUint32(at + 4, 2 ** 22, true);
    const file = join(mkdtempSync(join(tmpdir(), 'dyadic-huge-')), 'stories260K.gguf');
    writeFileSync(file, bytes);
    worker = await startWorker(source, { 'stories260K.gguf': file });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('answers 413 naming the model, its size and the buffer that would pass the limit', async () => {
    const sse = await post(worker.url, { mode: 'w8a8', seed: 1 });
    expect(sse.status).toBe(413);
    const error: string = sse.events[0].data.error;
    expect(error).toMatch(/^stories260K\.gguf \(1\.\d MiB file, \d+ parameters, context 4194304\) does not fit a Worker's 134217728 bytes: /);
    // IntegerLlama's up-front estimate of its plan, or (if the estimate let it through) the arena naming the buffer.
    expect(error).toMatch(
      /KV cache \d+ for 4194304 positions, .* over the limit of \d+ bytes|layer 0 K cache \[4194304, \d+\] int8 needs \d+ bytes, which would bring wasm memory to \d+ bytes, past the limit of \d+ bytes/,
    );
  });
});
