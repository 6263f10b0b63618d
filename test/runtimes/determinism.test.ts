// Bit-exact integer logits everywhere: the same probe (below, as source text so every host runs the very
// same code) hashes the int32 logits and per-row (m, k) of a prefill and of one decode step, for fixed
// prompts in modes w8a8 and w4a8 on both kernel builds, in Node, in Chromium and in workerd. All hosts and
// both builds must give the same hash for each (mode, prompt). Chromium runs the probe a second time in a
// cross-origin isolated page with two threads (helper Web Workers on shared memory, GEMMs split by output
// channels): the same hashes again.
import { beforeAll, describe, expect, it } from 'vitest';
import * as dyadic from '../../dist/entry/node.js';
import { chromiumAvailable, launchChromium, serveRepo } from '../helpers/chromium.js';
import { startWorker } from '../helpers/workerd.js';
import { fileURLToPath } from 'node:url';
import { modelBytes, MODEL_PATH } from './helpers/reference.js';

const PROMPTS = ['Once upon a time', 'Lily and Tom went to the park. They saw a big dog'];
const CASES = ['w8a8', 'w4a8'].flatMap((mode) => ['simd', 'relaxed'].flatMap((build) => PROMPTS.map((prompt) => ({ mode, build, prompt, threads: 1 }))));
const THREADED_CASES = CASES.map((c) => ({ ...c, threads: 2 }));

const PROBE = `
/** FNV-1a (32-bit) over the little-endian bytes of each array in turn. */
function fnv1a(arrays) {
  let h = 0x811c9dc5;
  for (const a of arrays) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
async function logitHashes(d, bytes, cases) {
  const model = d.loadModel({ bytes, file: 'stories260K.gguf' });
  const out = [];
  for (const { mode, build, prompt, threads } of cases) {
    const engine = await d.createIntegerEngine(mode, model, { maxPositions: 64, build, threads });
    // Count the calls handed to helper threads: a threaded run must really have split work.
    let dispatches = 0;
    const pool = engine.runtime.pool;
    if (pool) {
      const dispatch = pool.dispatch.bind(pool);
      pool.dispatch = () => { dispatches++; dispatch(); };
    }
    const tokens = model.tokenizer.encode(prompt, { bos: true });
    const prefill = engine.forwardIntRows(tokens, 0); // logits int32 [rows, vocab], m and k int32 [rows]
    const prefillHash = fnv1a([prefill.logits, prefill.m, prefill.k]); // hashed before the next call reuses memory
    const lastRow = Array.from(prefill.logits.subarray(prefill.logits.length - model.config.vocabSize));
    const step = engine.forwardIntRows([lastRow.indexOf(Math.max(...lastRow))], tokens.length); // greedy next token
    out.push({
      mode, build: engine.runtime.build, prompt, rows: prefill.m.length, threads: engine.runtime.threads, dispatches,
      distinctLogits: new Set(lastRow).size,
      hash: fnv1a([new Uint32Array([Number.parseInt(prefillHash, 16)]), step.logits, step.m, step.k]),
    });
    engine.runtime.close(); // ends its helper threads, if any
  }
  return out;
}`;

type Result = { mode: string; build: string; prompt: string; rows: number; threads: number; dispatches: number; distinctLogits: number; hash: string };
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const [fnv1a, logitHashes] = new Function(`${PROBE}; return [fnv1a, logitHashes];`)() as [
  (arrays: Uint8Array[]) => string,
  (d: unknown, bytes: Uint8Array, cases: unknown) => Promise<Result[]>,
];

const hosts: Record<string, Result[]> = {};

describe('integer logits are bit-exact across hosts and builds', () => {
  beforeAll(async () => {
    // Node runs the probe in this process (with the relaxed-SIMD flag on Node 20, by default on Node 22+: both builds).
    const node = logitHashes(dyadic, modelBytes(), CASES).then((r) => (hosts.node = r));

    const worker = await startWorker(
      `import * as d from 'dyadic';
import model from 'stories260K.gguf';
${PROBE}
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === '/__ready') return new Response('ok');
    return Response.json(await logitHashes(d, new Uint8Array(model), ${JSON.stringify(CASES)}));
  },
};`,
      { 'stories260K.gguf': fileURLToPath(MODEL_PATH) },
    );
    const workerd = fetch(`${worker.url}/hash`)
      .then((r) => r.json())
      .then((r) => (hosts.workerd = r))
      .finally(() => worker.stop());

    let chromium: Promise<unknown> = Promise.resolve();
    if (chromiumAvailable() || process.env.CI) {
      const probePage = (cases: unknown) => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module">
import * as d from '/dist/entry/browser.js';
${PROBE}
const bytes = new Uint8Array(await (await fetch('/models/stories260K.gguf')).arrayBuffer());
window.__result = await logitHashes(d, bytes, ${JSON.stringify(cases)});
</script>`;
      const server = await serveRepo({ '/determinism.html': probePage(CASES) });
      // COOP/COEP make the page cross-origin isolated: the only way it gets shared memory for threads.
      const isolated = await serveRepo({ '/determinism.html': probePage(THREADED_CASES) }, { isolated: true });
      const browser = await launchChromium();
      const run = async (url: string): Promise<Result[]> => {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${url}/determinism.html`);
        await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, null, { timeout: 30_000 });
        expect(errors).toEqual([]);
        return page.evaluate(() => (window as unknown as { __result: Result[] }).__result);
      };
      chromium = (async () => {
        try {
          hosts.chromium = await run(server.url);
          hosts['chromium 2 threads'] = await run(isolated.url);
        } finally {
          await browser.close();
          await server.close();
          await isolated.close();
        }
      })();
    }
    await Promise.all([node, workerd, chromium]);
  });

  it('hashes with FNV-1a 32 (published test vectors)', () => {
    const utf8 = (t: string) => new TextEncoder().encode(t);
    expect(fnv1a([])).toBe('811c9dc5');
    expect(fnv1a([utf8('a')])).toBe('e40c292c');
    expect(fnv1a([utf8('foo'), utf8('bar')])).toBe('bf9cf968');
  });

  it('runs every case where it was asked to, on real logits', () => {
    expect(Object.keys(hosts).sort()).toEqual(
      chromiumAvailable() || process.env.CI ? ['chromium', 'chromium 2 threads', 'node', 'workerd'] : ['node', 'workerd'],
    );
    for (const [host, results] of Object.entries(hosts)) {
      expect(results.map((r) => `${r.mode} ${r.build} ${r.prompt}`), host).toEqual(CASES.map((c) => `${c.mode} ${c.build} ${c.prompt}`));
      const threaded = host === 'chromium 2 threads';
      for (const r of results) {
        expect(r.rows).toBeGreaterThan(3);
        expect(r.distinctLogits, `${host} ${r.mode} ${r.build}`).toBeGreaterThan(100); // not a constant or empty row
        expect(r.threads, `${host} ${r.mode} ${r.build}`).toBe(threaded ? 2 : 1);
        // Two threads: the helper really took slices of the prefill's GEMMs (one thread never dispatches).
        if (threaded) expect(r.dispatches, `${host} ${r.mode} ${r.build} "${r.prompt}"`).toBeGreaterThan(0);
        else expect(r.dispatches).toBe(0);
      }
    }
  });

  for (const mode of ['w8a8', 'w4a8']) {
    for (const prompt of PROMPTS) {
      it(`${mode} "${prompt}": one hash for Node, Chromium (1 and 2 threads) and workerd on the simd and relaxed builds`, () => {
        const hashes = Object.entries(hosts).flatMap(([host, results]) =>
          results.filter((r) => r.mode === mode && r.prompt === prompt).map((r) => ({ where: `${host} ${r.build}`, hash: r.hash })),
        );
        expect(hashes.length).toBe(2 * Object.keys(hosts).length);
        const node = hashes.find((h) => h.where === 'node simd')!.hash;
        expect(hashes).toEqual(hashes.map((h) => ({ where: h.where, hash: node })));
      });
    }
  }

  it('tells the modes and prompts apart (the hash is not blind)', () => {
    const simd = hosts.node.filter((r) => r.build === 'simd').map((r) => r.hash);
    expect(new Set(simd).size).toBe(simd.length);
  });
});
