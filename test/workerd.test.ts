import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from './helpers/workerd.js';

// The worker answers with what the runtime chose; compiling wasm from bytes is refused in workerd, so this
// only works if the workerd entry imports the .wasm files as modules.
const WORKER = `
import { loadRuntime } from 'dyadic';
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/__ready') return new Response('ok');
    const results = {};
    for (const build of ['auto', 'simd', 'relaxed']) {
      try {
        const rt = await loadRuntime({ build });
        results[build] = rt.build;
      } catch (e) {
        results[build] = 'error: ' + e.message;
      }
    }
    let compileFromBytes;
    try { await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); compileFromBytes = 'allowed'; }
    catch (e) { compileFromBytes = 'refused: ' + e.message; }
    return Response.json({ results, compileFromBytes });
  },
};
`;

describe('Cloudflare workerd', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker(WORKER);
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('loads both builds through the workerd export, where compiling wasm from bytes is refused', async () => {
    const body = await (await fetch(`${worker.url}/runtime`)).json();
    expect(body.compileFromBytes).toMatch(/^refused/);
    expect(body.results).toEqual({ auto: 'relaxed', simd: 'simd', relaxed: 'relaxed' });
  });
});
