// The bundled model in Chromium: fetched as an ArrayBuffer through the browser entry, no file system.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium, serveRepo, type StaticServer } from '../helpers/chromium.js';
import { modelsDir } from './helpers/paths.js';

// CI installs Debian's chromium and must run this; elsewhere a machine without it skips.
const suite = chromiumAvailable() || process.env.CI ? describe : describe.skip;

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { loadModel, FloatLlama, generate, Sampler } from '/dist/entry/browser.js';
const bytes = await (await fetch('/models/stories260K.gguf')).arrayBuffer();
const m = loadModel({ bytes, file: 'stories260K.gguf' });
const model = new FloatLlama(m.config, m.weights, { maxPositions: 512 });
window.__result = generate(model, m.tokenizer, new Sampler(512, { temperature: 0 }), { maxTokens: 200 }).text;
</script>`;

suite('model files in Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await serveRepo({ '/model.html': PAGE });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads the bundled GGUF from fetch() and prints the greedy story', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/model.html`);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, null, { timeout: 30_000 });
    const text = await page.evaluate(() => (window as unknown as { __result: string }).__result);
    expect(errors).toEqual([]);
    expect(text).toBe(readFileSync(modelsDir + 'stories260K.greedy200.txt', 'utf8'));
  });
});
