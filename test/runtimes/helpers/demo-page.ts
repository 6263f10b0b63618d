// Drives examples/web's page through its controls (shared by the unbundled and the Vite-built page tests).
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import type { GenerationRequest } from './reference.js';

export interface DemoResult {
  tokens: number[];
  text: string;
  tokensPerSecond: number;
  mode: string;
  build: string;
  /** Threads the engine runs (runtime.threads): 1 + its helper Web Workers. */
  threads: number;
  seed: number;
}

/** Fills the controls, presses Generate and waits for the page to finish. `threads`: 'auto' or a count. */
export async function generateOnPage(
  page: Page, r: GenerationRequest, build: string, threads = '1',
): Promise<{ result: DemoResult; status: string; output: string }> {
  await page.selectOption('#mode', r.mode);
  await page.selectOption('#build', build);
  await page.selectOption('#threads', threads);
  await page.fill('#prompt', r.prompt);
  await page.fill('#maxTokens', String(r.maxTokens));
  await page.fill('#temperature', String(r.temperature));
  await page.fill('#topP', String(r.topP));
  await page.fill('#seed', String(r.seed));
  await page.click('#generate');
  await page.waitForFunction(() => document.body.dataset.state === 'error' || (window as unknown as { __dyadicDemo?: unknown }).__dyadicDemo, null, { timeout: 20_000 });
  const status = await page.textContent('#status');
  expect(await page.evaluate(() => document.body.dataset.state), status ?? '').toBe('done');
  const result = await page.evaluate(() => (window as unknown as { __dyadicDemo: DemoResult }).__dyadicDemo);
  return { result, status: status ?? '', output: (await page.textContent('#output')) ?? '' };
}

/**
 * Counts the kernel calls the page's current engine (window.__dyadicEngine, set by a finished generation)
 * hands to helper threads from now on (its split threshold fixed at 0: every call split); returns a reader
 * of the count. Throws in the page if it has no pool.
 */
export async function countHelperCalls(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const w = window as unknown as { __dyadicEngine: { runtime: { pool?: { dispatch(): void; minSplitWork: number } } }; __helperCalls: number };
    const pool = w.__dyadicEngine.runtime.pool;
    if (!pool) throw new Error('the engine runs no helper threads');
    // A fixed threshold that splits every call: on a busy machine the pool would otherwise measure its
    // helpers as not paying and fall back to one thread (bindings/threads/pool.ts), and nothing would count.
    pool.minSplitWork = 0;
    const dispatch = pool.dispatch.bind(pool);
    w.__helperCalls = 0;
    pool.dispatch = () => {
      w.__helperCalls++;
      dispatch();
    };
  });
  return () => page.evaluate(() => (window as unknown as { __helperCalls: number }).__helperCalls);
}
