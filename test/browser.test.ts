import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium, serveRepo, type StaticServer } from './helpers/chromium.js';

// CI installs Debian's chromium (.ci/run) and must run this; elsewhere a machine without it skips.
const suite = chromiumAvailable() || process.env.CI ? describe : describe.skip;

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { loadRuntime, relaxedSimdSupported } from '/dist/entry/browser.js';
const results = {};
for (const build of ['auto', 'simd', 'relaxed']) results[build] = (await loadRuntime({ build })).build;
window.__result = { results, relaxed: relaxedSimdSupported() };
</script>`;

suite('Chromium (browser entry, unbundled ESM)', () => {
  let server: StaticServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await serveRepo({ '/runtime.html': PAGE });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('streams and compiles both builds with compileStreaming and picks relaxed SIMD', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/runtime.html`);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, null, { timeout: 20_000 });
    const result = await page.evaluate(() => (window as unknown as { __result: unknown }).__result);
    expect(errors).toEqual([]);
    expect(result).toEqual({ results: { auto: 'relaxed', simd: 'simd', relaxed: 'relaxed' }, relaxed: true });
  });
});
