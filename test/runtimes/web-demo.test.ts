// examples/web in real Chromium (Debian's, headless, through playwright-core) against a loopback server of
// the repository root: the page imports dyadic's browser entry unbundled (an import map), is driven
// through its controls like a user would, and must print Node's tokens for the same model, mode and seed.
// A second server sends COOP/COEP, so the page there is cross-origin isolated and runs helper Web Workers
// on shared wasm memory: two threads must print the same tokens as Node's single thread. The bundled
// 260K model's products are too small to split, so a 288-dim model (the e2e bench's synthetic one) shows
// that the helper really takes a slice of every decode step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { countHelperCalls, generateOnPage } from './helpers/demo-page.js';
import { chromiumAvailable, launchChromium, serveRepo, type StaticServer } from '../helpers/chromium.js';
import { freshSeed, nodeGeneration, nodeGenerationOn, withLongStory, MODEL_PATH, type GenerationRequest } from './helpers/reference.js';
import { loadModel } from '../../dist/entry/node.js';
// @ts-expect-error: plain .mjs bench helpers without type declarations
import { ensureModelFiles } from '../../bench/lib/e2e-models.mjs';

// CI installs Debian's chromium and must run this; elsewhere a machine without it skips.
const suite = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

suite('examples/web in Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let isolatedServer: StaticServer;
  let page: Page;
  let isolatedPage: Page;
  const errors: string[] = [];
  const openDemo = async (at: StaticServer): Promise<Page> => {
    const p = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    p.on('pageerror', (e) => errors.push(e.message));
    p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await p.goto(`${at.url}/examples/web/index.html`);
    await p.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20_000 });
    return p;
  };
  beforeAll(async () => {
    server = await serveRepo();
    isolatedServer = await serveRepo({}, { isolated: true });
    browser = await launchChromium();
    page = await openDemo(server);
    isolatedPage = await openDemo(isolatedServer);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await isolatedServer?.close();
  });

  it('generates a fixed-seed w8a8 story on the simd build equal to Node, showing tokens/s, mode and build', async () => {
    const request: GenerationRequest = { prompt: 'Once upon a time', mode: 'w8a8', maxTokens: 150, temperature: 0.8, topP: 0.9, seed: 42 };
    const { result, status, output } = await generateOnPage(page, request, 'simd');
    const want = await nodeGeneration(request);
    expect(result.tokens).toEqual(want.tokens);
    expect(output).toBe(want.text);
    expect(result.build).toBe('simd');
    expect(result.threads).toBe(1);
    expect(status).toMatch(/^mode w8a8 · simd build, 1 thread, [\d.]+ MiB wasm memory · \d+ prompt \+ 150 sampled tokens · \d+ tokens\/s · seed 42$/);
    expect(errors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: ARTIFACTS + 'web-demo.png', fullPage: true });
  });

  it('runs w4a8 on the relaxed build from a local GGUF file, equal to Node for a fresh seed', async () => {
    await page.setInputFiles('#file', fileURLToPath(MODEL_PATH));
    const request: GenerationRequest = { prompt: 'Tom and', mode: 'w4a8', maxTokens: 100, temperature: 1, topP: 0.9, seed: freshSeed() };
    const { result, status } = await generateOnPage(page, request, 'relaxed');
    expect(status).toMatch(/^mode w4a8 · relaxed build/);
    expect(result.tokens, `seed ${request.seed}`).toEqual((await nodeGeneration(request)).tokens);
    expect(errors).toEqual([]);
  });

  it('runs the float32 reference (no wasm) equal to Node, and again the same after other modes ran', async () => {
    const request: GenerationRequest = { prompt: 'The dog', mode: 'float32', maxTokens: 80, temperature: 0.9, topP: 0.9, seed: freshSeed() };
    const first = await generateOnPage(page, request, 'auto');
    expect(first.status).toMatch(/^mode float32 · JavaScript float32 \(no wasm\)/);
    expect(first.result.tokens, `seed ${request.seed}`).toEqual((await nodeGeneration(request)).tokens);
    // A cached engine reused for a new request starts over: same request, same tokens.
    const w8 = { ...request, mode: 'w8a8' };
    const a = await generateOnPage(page, w8, 'relaxed');
    const b = await generateOnPage(page, w8, 'relaxed');
    expect(b.result.tokens).toEqual(a.result.tokens);
    expect(a.result.tokens, `seed ${request.seed}`).toEqual((await nodeGeneration(w8)).tokens);
    expect(errors).toEqual([]);
  });

  it('runs two threads in a cross-origin isolated page (helper Web Workers), w8a8 and w4a8 equal to Node for a fresh seed', async () => {
    expect(await isolatedPage.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await isolatedPage.textContent('#status')).toMatch(/cross-origin isolated: threads on \(auto = \d+\)$/);
    const prompt = 'Lily and Tom went to the park. They saw a big dog'; // a longer prefill: more GEMMs big enough to split
    for (const [mode, build] of [['w8a8', 'relaxed'], ['w4a8', 'simd']] as const) {
      const request: GenerationRequest = { prompt, mode, maxTokens: 120, temperature: 0.9, topP: 0.9, seed: freshSeed() };
      const { result, status, output } = await generateOnPage(isolatedPage, request, build, '2');
      expect(result.threads, status).toBe(2);
      expect(status).toMatch(new RegExp(`^mode ${mode} · ${build} build, 2 threads, [\\d.]+ MiB wasm memory · \\d+ prompt \\+ 120 sampled tokens · \\d+ tokens/s`));
      const want = await nodeGeneration(request);
      expect(result.tokens, `${mode} seed ${request.seed}`).toEqual(want.tokens);
      expect(output).toBe(want.text);
    }
    expect(errors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await isolatedPage.screenshot({ path: ARTIFACTS + 'web-demo-threads.png', fullPage: true });
  });

  // w8a8 on both builds: quantizing this model to w4a8 (MSE clipping) takes seconds in the page and again in
  // Node; the low-bit kernels' split is covered by the determinism test's threaded Chromium prefill.
  it("splits every decode step of a 288-dim model across two threads, with Node's single-thread tokens (w8a8, both builds)", async () => {
    const files = ensureModelFiles('15m-v512'); // random weights, stories260K's tokenizer; cached under bench-results/
    const path: string = files.files.q8_0.abs;
    const model = loadModel({ bytes: new Uint8Array(readFileSync(path)), file: basename(path) });
    await isolatedPage.setInputFiles('#file', path);
    try {
      for (const [mode, build] of [['w8a8', 'relaxed'], ['w8a8', 'simd']] as const) {
        const request = await withLongStory(model, { prompt: 'Once upon a time', mode, maxTokens: 60, temperature: 1, topP: 0.9, seed: freshSeed() });
        const first = await generateOnPage(isolatedPage, request, build, '2'); // plans the engine
        // The same request again on that engine, counting the calls the main thread hands to the helper.
        const helperCalls = await countHelperCalls(isolatedPage);
        const second = await generateOnPage(isolatedPage, request, build, '2');
        const dispatches = await helperCalls();
        const want = await nodeGenerationOn(model, request);
        expect(second.result.threads, second.status).toBe(2);
        expect(want.tokens.length, `${mode} seed ${request.seed}`).toBeGreaterThan(10);
        expect(first.result.tokens, `${mode} seed ${request.seed}`).toEqual(want.tokens);
        expect(second.result.tokens, `${mode} seed ${request.seed}`).toEqual(want.tokens);
        expect(dispatches, `${mode} ${build}: helper calls for ${want.tokens.length} decode steps`).toBeGreaterThanOrEqual(want.tokens.length);
      }
    } finally {
      await isolatedPage.check('input[name=source][value=bundled]');
    }
    expect(errors).toEqual([]);
  });

  it("falls back to one thread where the page is not cross-origin isolated ('auto', or 2 asked), with Node's tokens", async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    const request: GenerationRequest = { prompt: 'Once upon a time', mode: 'w8a8', maxTokens: 80, temperature: 0.9, topP: 0.9, seed: freshSeed() };
    const auto = await generateOnPage(page, request, 'relaxed', 'auto');
    expect(auto.result.threads).toBe(1);
    expect(auto.status).toMatch(/^mode w8a8 · relaxed build, 1 thread, /);
    expect(auto.result.tokens, `seed ${request.seed}`).toEqual((await nodeGeneration(request)).tokens);
    const asked = await generateOnPage(page, { ...request, mode: 'w4a8' }, 'simd', '2');
    expect(asked.result.threads).toBe(1);
    expect(asked.status).toMatch(/^mode w4a8 · simd build, 1 thread \(2 asked; page not cross-origin isolated\), /);
    expect(asked.result.tokens, `seed ${request.seed}`).toEqual((await nodeGeneration({ ...request, mode: 'w4a8' })).tokens);
    expect(errors).toEqual([]);
  });
});
