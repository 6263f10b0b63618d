// examples/web/chat.html in real Chromium against a loopback server of the repository root: the chat
// fixture (random weights, the Phi-3 vocabulary and its template) loaded from a URL with progress,
// answers streamed by chat() equal to Node's chat() for the same conversation, Stop aborting an answer,
// and a second load of the model while its URL is unreachable (from the Cache API). The screenshot goes
// to test-artifacts/chat-page.png (docs/chat-page.png is a copy of one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, serveRepo, type StaticServer } from '../helpers/chromium.js';
import { chat, createChatEngine, loadModel, type ChatEngine } from '../../dist/entry/node.js';
import { chatModelBytes } from '../helpers/chat-model.js';

const suite = chromiumAvailable() || process.env.CI ? describe : describe.skip;
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const SCREENSHOT = fileURLToPath(new URL('../../test-artifacts/chat-page.png', import.meta.url));

suite('examples/web/chat.html in Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let engine: ChatEngine;
  const errors: string[] = [];
  const bytes = chatModelBytes();

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(`${ARTIFACTS}chat-fixture.gguf`, bytes);
    engine = await createChatEngine(loadModel({ bytes, file: 'chat-fixture.gguf' }), { mode: 'w8a8' });
    server = await serveRepo();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 900, height: 700 } });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const waitState = async (state: string) => {
    await page.waitForFunction((s) => document.body.dataset.state === s || document.body.dataset.state === 'error', state, { timeout: 60_000 });
    expect(await page.evaluate(() => document.body.dataset.state), (await page.locator('#status').textContent()) ?? '').toBe(state);
  };
  /** Sends a question and waits for its answer to finish (one more assistant message, the page ready again). */
  const answered = async () => {
    const n = await page.locator('.message.assistant').count();
    await page.waitForFunction((k) => document.querySelectorAll('.message.assistant').length === k && document.body.dataset.state !== 'answering', n, { timeout: 60_000 });
    await waitState('ready');
  };
  const status = () => page.locator('#status').textContent();
  const lastAnswer = async () => (await page.locator('.message.assistant').last().textContent()) ?? '';
  async function ask(text: string, o: { maxTokens: number; temperature: number }) {
    await page.fill('#maxTokens', String(o.maxTokens));
    await page.fill('#temperature', String(o.temperature));
    await page.fill('#input', text);
    const n = await page.locator('.message.assistant').count();
    await page.click('#send');
    await page.waitForFunction((k) => document.querySelectorAll('.message.assistant').length === k, n + 1);
  }

  it('loads the model from ?model=URL with progress, then streams answers equal to Node\'s chat()', async () => {
    await page.goto(`${server.url}/examples/web/chat.html?model=/test-artifacts/chat-fixture.gguf`);
    await waitState('ready');
    expect(await status()).toMatch(/^chat-fixture\.gguf: mode w8a8, .*its chat template$/);
    expect(await page.locator('#progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(1);
    await ask('Hi', { maxTokens: 8, temperature: 0 });
    await answered();
    // The page seeds turn i with seed + (messages so far): 42 + 1 for the first.
    const want = await chat(engine, [{ role: 'user', content: 'Hi' }], { maxTokens: 8, temperature: 0, topP: 0.95, seed: 43 }).text();
    expect(await lastAnswer()).toBe(want);
    expect(await status()).toMatch(/^\d+ tokens in [\d.]+ s .* · (end of turn|stopped at max tokens)$/);
    // The second turn sees the first answer.
    await ask('And then?', { maxTokens: 10, temperature: 0.8 });
    await answered();
    const second = await chat(engine, [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: want }, { role: 'user', content: 'And then?' }], { maxTokens: 10, temperature: 0.8, topP: 0.95, seed: 45 }).text();
    expect(await lastAnswer()).toBe(second);
    await page.screenshot({ path: SCREENSHOT });
    expect(errors).toEqual([]);
  });

  it('Stop aborts an answer between two tokens', async () => {
    await ask('Tell me everything', { maxTokens: 240, temperature: 0.9 });
    await page.waitForFunction(() => (document.querySelector('.message.assistant:last-child')?.textContent ?? '').length > 3, null, { timeout: 60_000 });
    await page.click('#stop');
    await waitState('ready');
    const text = (await status()) ?? '';
    expect(text).toMatch(/ · stopped$/);
    expect(Number(/^(\d+) tokens/.exec(text)![1])).toBeLessThan(240);
  });

  it('loads the model again while its URL is unreachable, from the Cache API', async () => {
    // Every request for the model file fails from now on (the page's own scripts and wasm still load).
    let blocked = 0;
    await page.route('**/chat-fixture.gguf', (route) => {
      blocked++;
      return route.abort('internetdisconnected');
    });
    await page.click('#loadUrl');
    await waitState('ready');
    expect(await status()).toMatch(/its chat template · from the cache$/);
    await ask('Hi', { maxTokens: 8, temperature: 0 });
    await answered();
    expect(await lastAnswer()).toBe(await chat(engine, [{ role: 'user', content: 'Hi' }], { maxTokens: 8, temperature: 0, topP: 0.95, seed: 43 }).text());
    expect(blocked).toBe(0); // not even asked for: the cache answered
    expect(errors).toEqual([]);
  });
});
