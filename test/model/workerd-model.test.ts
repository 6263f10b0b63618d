// The readers, tokenizer, float forward and sampler in Cloudflare's runtime: the model arrives as an
// ArrayBuffer (a data module), with no file system, and must give run.c's greedy text there too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startWorker, type RunningWorker } from '../helpers/workerd.js';
import { modelsDir } from './helpers/paths.js';

const WORKER = `
import { loadModel, loadTokenizer, FloatLlama, generate, Sampler, ModelFormatError } from 'dyadic';
import gguf from 'stories260K.gguf';
import checkpoint from 'stories260K.bin';
import tok from 'tok512.bin';
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/__ready') return new Response('ok');
    const out = {};
    for (const [name, m, t] of [
      ['gguf', loadModel({ bytes: gguf, file: 'stories260K.gguf' }), undefined],
      ['bin', loadModel({ bytes: checkpoint, file: 'stories260K.bin' }), loadTokenizer({ bytes: tok, file: 'tok512.bin' })],
    ]) {
      const model = new FloatLlama(m.config, m.weights, { maxPositions: 512 });
      out[name] = generate(model, t ?? m.tokenizer, new Sampler(512, { temperature: 0 }), { maxTokens: 200 }).text;
    }
    try { loadModel({ bytes: gguf.slice(0, 5000), file: 'cut.gguf' }); } catch (e) { out.error = (e instanceof ModelFormatError) + ' ' + e.message; }
    return Response.json(out);
  },
};
`;

describe('model files in Cloudflare workerd', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker(WORKER, {
      'stories260K.gguf': modelsDir + 'stories260K.gguf',
      'stories260K.bin': modelsDir + 'stories260K.bin',
      'tok512.bin': modelsDir + 'tok512.bin',
    });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('loads GGUF and llama2.c files from ArrayBuffers and prints the greedy story', async () => {
    const res = await fetch(worker.url + '/');
    const body = await res.json();
    const want = readFileSync(modelsDir + 'stories260K.greedy200.txt', 'utf8');
    expect(body.gguf).toBe(want);
    expect(body.bin).toBe(want);
    expect(body.error).toMatch(/^true cut\.gguf: truncated: metadata "tokenizer\.ggml\.tokens"/);
  });
});
