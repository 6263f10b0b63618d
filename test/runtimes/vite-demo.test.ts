// The demo page bundled by Vite (the version vitest itself runs on), as an app that installed dyadic would
// bundle it: `import ... from 'dyadic'` resolves through node_modules and the package's `browser` export
// condition, and Vite must turn the entry's `new URL('../../dist/wasm/*.wasm', import.meta.url)` into
// emitted assets, and the helper thread's `new Worker(new URL('./browser-helper.js', import.meta.url))` into
// a bundled worker script. The built page then runs in Chromium, served cross-origin isolated (COOP/COEP)
// so it can run threads, and must print Node's tokens on one thread and on two. The Vite dev server, with
// dyadic copied into node_modules as npm installs it (so Vite pre-bundles it into .vite/deps), must too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createServer } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, serveRepo, type StaticServer } from '../helpers/chromium.js';
import { countHelperCalls, generateOnPage } from './helpers/demo-page.js';
import { freshSeed, nodeGeneration, nodeGenerationOn, withLongStory, MODEL_PATH, type GenerationRequest } from './helpers/reference.js';
import { loadModel } from '../../dist/entry/node.js';
// @ts-expect-error: plain .mjs bench helpers without type declarations
import { ensureModelFiles } from '../../bench/lib/e2e-models.mjs';

const suite = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const repo = fileURLToPath(new URL('../..', import.meta.url));
const OUT = 'test-artifacts/vite-web'; // inside the served repository root, gitignored
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** An app directory laid out like the repository (the page finds the model at ../../models/). */
function demoApp(): string {
  const app = mkdtempSync(join(tmpdir(), 'dyadic-vite-'));
  mkdirSync(join(app, 'examples/web'), { recursive: true });
  mkdirSync(join(app, 'models'));
  mkdirSync(join(app, 'node_modules'));
  for (const f of ['index.html', 'app.js']) copyFileSync(join(repo, 'examples/web', f), join(app, 'examples/web', f));
  copyFileSync(fileURLToPath(MODEL_PATH), join(app, 'models/stories260K.gguf'));
  return app;
}

suite('examples/web bundled by Vite', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let assets: string[];
  const apps: string[] = [];
  const errors: string[] = [];
  beforeAll(async () => {
    // node_modules/dyadic is this package (linked).
    const app = demoApp();
    apps.push(app);
    symlinkSync(repo, join(app, 'node_modules/dyadic'), 'dir');
    await build({
      root: join(app, 'examples/web'),
      base: './',
      configFile: false,
      logLevel: 'silent',
      build: { outDir: join(repo, OUT), emptyOutDir: true, target: 'es2022' },
    });
    assets = readdirSync(join(repo, OUT, 'assets'));
    server = await serveRepo({}, { isolated: true });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${server.url}/${OUT}/index.html`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 20_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const app of apps) rmSync(app, { recursive: true, force: true });
  });

  it('emits the four wasm builds, the helper worker and the model as assets, and bundles dyadic into the page script', () => {
    expect(assets.filter((a) => /^simd-(?!threads).*\.wasm$/.test(a))).toHaveLength(1);
    expect(assets.filter((a) => /^relaxed-(?!threads).*\.wasm$/.test(a))).toHaveLength(1);
    expect(assets.filter((a) => /^simd-threads-.*\.wasm$/.test(a))).toHaveLength(1);
    expect(assets.filter((a) => /^relaxed-threads-.*\.wasm$/.test(a))).toHaveLength(1);
    expect(assets.filter((a) => /^stories260K-.*\.gguf$/.test(a))).toHaveLength(1);
    // The page script and the helper thread's worker script (Vite bundles what it imports into it).
    const scripts = assets.filter((a) => a.endsWith('.js'));
    expect(scripts).toHaveLength(2);
    const helper = scripts.filter((a) => /^browser-helper-.*\.js$/.test(a));
    expect(helper).toHaveLength(1);
    expect(readFileSync(join(repo, OUT, 'assets', helper[0]), 'utf8')).not.toMatch(/^\s*import\b|\bimport\s*["'{*]/m); // self-contained
  });

  for (const [mode, build] of [['w8a8', 'relaxed'], ['w4a8', 'simd']] as const) {
    it(`generates ${mode} on the ${build} build equal to Node for a fresh seed`, async () => {
      const request: GenerationRequest = { prompt: 'Once upon a time', mode, maxTokens: 100, temperature: 0.9, topP: 0.9, seed: freshSeed() };
      const { result, status } = await generateOnPage(page, request, build);
      expect(status).toMatch(new RegExp(`^mode ${mode} · ${build} build`));
      expect(result.tokens, `seed ${request.seed}`).toEqual((await nodeGeneration(request)).tokens);
      expect(errors).toEqual([]);
    });
  }

  it('runs two threads (the emitted helper worker on shared memory) equal to Node for a fresh seed', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const request: GenerationRequest = { prompt: 'Lily and Tom went to the park. They saw a big dog', mode: 'w8a8', maxTokens: 100, temperature: 0.9, topP: 0.9, seed: freshSeed() };
    const { result, status } = await generateOnPage(page, request, 'relaxed', '2');
    expect(result.threads, status).toBe(2);
    expect(status).toMatch(/^mode w8a8 · relaxed build, 2 threads, /);
    expect(result.tokens, `seed ${request.seed}`).toEqual((await nodeGeneration(request)).tokens);
    expect(errors).toEqual([]);
  });

  it('the emitted helper takes a slice of every decode step of a 288-dim model, with Node\'s tokens', async () => {
    // The bundled model's products are too small to split; the e2e bench's synthetic 288-dim model's are not.
    const path: string = ensureModelFiles('15m-v512').files.q8_0.abs;
    const model = loadModel({ bytes: new Uint8Array(readFileSync(path)), file: basename(path) });
    await page.setInputFiles('#file', path);
    try {
      const request = await withLongStory(model, { prompt: 'Once upon a time', mode: 'w8a8', maxTokens: 40, temperature: 1, topP: 0.9, seed: freshSeed() });
      await generateOnPage(page, request, 'relaxed', '2'); // plans the engine
      const helperCalls = await countHelperCalls(page);
      const { result } = await generateOnPage(page, request, 'relaxed', '2');
      const want = await nodeGenerationOn(model, request);
      expect(want.tokens.length, `seed ${request.seed}`).toBeGreaterThan(10);
      expect(result.tokens, `seed ${request.seed}`).toEqual(want.tokens);
      expect(await helperCalls()).toBeGreaterThanOrEqual(want.tokens.length);
    } finally {
      await page.check('input[name=source][value=bundled]');
    }
    expect(errors).toEqual([]);
  });

  it('works on the Vite dev server with dyadic installed in node_modules (pre-bundled): two threads, Node\'s tokens', async () => {
    // What npm installs (package.json `files`): the package.json and the built dist/ (its .js, .d.ts, .wasm),
    const app = demoApp();
    apps.push(app);
    const installed = join(app, 'node_modules/dyadic');
    mkdirSync(installed);
    copyFileSync(join(repo, 'package.json'), join(installed, 'package.json'));
    cpSync(join(repo, 'dist'), join(installed, 'dist'), { recursive: true, filter: (f) => !/\.(wat|map)$/.test(f) });
    // and its dependencies beside it (the chat template renderer, imported on first use).
    const deps = Object.keys((JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
    for (const dep of deps) {
      mkdirSync(dirname(join(app, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(repo, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
    }
    const dev = await createServer({
      root: join(app, 'examples/web'),
      configFile: false,
      logLevel: 'silent',
      // fs.allow: the page's model sits at ../../models/, outside the root (an app's workspace would hold both).
      server: { host: '127.0.0.1', port: 0, headers: ISOLATION_HEADERS, fs: { allow: [app] } },
    });
    await dev.listen();
    const devPage = await browser.newPage();
    const devErrors: string[] = [];
    const prebundled: string[] = [];
    devPage.on('pageerror', (e) => devErrors.push(e.message));
    devPage.on('console', (m) => m.type() === 'error' && devErrors.push(m.text()));
    devPage.on('response', (r) => r.url().includes('/.vite/deps/dyadic') && prebundled.push(r.url()));
    try {
      await devPage.goto(dev.resolvedUrls!.local[0]);
      await devPage.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
      expect(prebundled.length, 'dyadic served from .vite/deps (pre-bundled)').toBeGreaterThan(0);
      const request: GenerationRequest = { prompt: 'Lily and Tom went to the park. They saw a big dog', mode: 'w4a8', maxTokens: 80, temperature: 0.9, topP: 0.9, seed: freshSeed() };
      const { result, status } = await generateOnPage(devPage, request, 'simd', '2');
      expect(result.threads, status).toBe(2);
      expect(result.tokens, `seed ${request.seed}`).toEqual((await nodeGeneration(request)).tokens);
      expect(devErrors).toEqual([]);
    } finally {
      await devPage.close();
      await dev.close();
    }
  });
});
