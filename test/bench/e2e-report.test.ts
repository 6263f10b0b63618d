// The e2e report (bench/lib/e2e-report.mjs) must compare like with like: dyadic on N threads against
// wllama on N threads, never a one-thread dyadic row against two-thread wllama (or the reverse), and
// dyadic's two-thread rows against its own one-thread rows of the same host, mode and build. The
// expected ratios below are worked out by hand from the synthetic rows, not by the report code.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain .mjs bench helpers without type declarations
import { barRows, threadRows, speedChart, renderMarkdown } from '../../bench/lib/e2e-report.mjs';

type Row = { engine: string; runtime: string; model: string; mode: string; build: string; threads: number; test: string; tokens_per_s: number; helper_calls?: number };

const MiB = 2 ** 20;

/** A dyadic row (memory fields fixed: the speed bars do not read them). */
function dyadic(runtime: string, mode: string, build: string, threads: number, test: string, tokensPerS: number, helperCalls?: number): Row {
  return { engine: 'dyadic', runtime, model: '15m-v512', mode, build, threads, test, tokens_per_s: tokensPerS, ...(threads > 1 ? { helper_calls: helperCalls } : {}), peak_bytes: 8 * MiB, wasm_bytes: 8 * MiB, rss_bytes: 400 * MiB } as Row;
}
function wllama(mode: string, threads: number, test: string, tokensPerS: number): Row {
  return { engine: 'wllama', runtime: 'chromium', model: '15m-v512', mode, build: threads > 1 ? 'multi-thread' : 'single-thread', threads, test, tokens_per_s: tokensPerS, flash_attn: 'off', peak_bytes: 128 * MiB, wasm_bytes: 128 * MiB, rss_bytes: 500 * MiB } as Row;
}

// Numbers chosen so that pairing the wrong thread counts gives a different ratio for every bar.
const results: Row[] = [
  dyadic('chromium', 'w8a8', 'simd', 1, 'pp', 900), dyadic('chromium', 'w8a8', 'relaxed', 1, 'pp', 1000),
  dyadic('chromium', 'w8a8', 'simd', 1, 'tg', 400), dyadic('chromium', 'w8a8', 'relaxed', 1, 'tg', 380),
  dyadic('chromium', 'w8a8', 'simd', 2, 'pp', 1500, 180), dyadic('chromium', 'w8a8', 'relaxed', 2, 'pp', 1700, 190),
  dyadic('chromium', 'w8a8', 'simd', 2, 'tg', 560, 48), dyadic('chromium', 'w8a8', 'relaxed', 2, 'tg', 600, 47.5),
  // Node rows are faster than every Chromium row: a bar must not pick them (the bars are browser against browser)
  dyadic('node', 'w8a8', 'relaxed', 1, 'pp', 5000), dyadic('node', 'w8a8', 'relaxed', 2, 'pp', 8000, 200),
  dyadic('node', 'w8a8', 'relaxed', 1, 'tg', 3000), dyadic('node', 'w8a8', 'relaxed', 2, 'tg', 4500, 49),
  wllama('F32', 1, 'pp', 500), wllama('F32', 2, 'pp', 850), wllama('F32', 1, 'tg', 200), wllama('F32', 2, 'tg', 300),
  wllama('Q8_0', 1, 'pp', 250), wllama('Q8_0', 2, 'pp', 400), wllama('Q8_0', 1, 'tg', 100), wllama('Q8_0', 2, 'tg', 160),
];

const report = {
  machine: 'test machine', browser: 'Chromium test', commit: 'abcdef0123456789', prompt_tokens: 100, decode_tokens: 200,
  models: [{ name: '15m-v512', label: '288-dim', params: 15e6, config: {}, files: { f32: 25 * MiB, q8_0: 7 * MiB } }],
  results,
  tokens: [{ key: '15m-v512/w8a8', runs: ['chromium simd t1', 'chromium relaxed t2'], count: 201, first: [1, 2, 3] }],
};

describe('e2e report', () => {
  it('pairs dyadic and wllama at the same thread count, each side its fastest Chromium row', () => {
    const rows: string[][] = barRows(results);
    const speed = rows.filter((r) => !r[0].startsWith('memory'));
    const cells = Object.fromEntries(speed.map((r) => [r[0], [r[2], r[3], r[4], r[6]]]));
    expect(cells).toEqual({
      // one thread: dyadic 400 (simd) / 200 = 2.00x; 400 / 100 = 4.00x; prefill 1000 (relaxed) / 500 = 2.00x
      'decode: dyadic w8a8 >= 1.5x wllama F32 (both 1 thread)': ['400 (simd, 1T)', '200 (1T)', '2.00x', 'met'],
      'decode: dyadic w8a8 >= 2x wllama Q8_0 (both 1 thread)': ['400 (simd, 1T)', '100 (1T)', '4.00x', 'met'],
      'prefill: dyadic w8a8 >= 1.5x wllama F32 (both 1 thread)': ['1000 (relaxed, 1T)', '500 (1T)', '2.00x', 'met'],
      // two threads: 600 (relaxed) / 300 = 2.00x; 600 / 160 = 3.75x; prefill 1700 / 850 = 2.00x
      'decode: dyadic w8a8 >= 1.5x wllama F32 (both 2 threads)': ['600 (relaxed, 2T)', '300 (2T)', '2.00x', 'met'],
      'decode: dyadic w8a8 >= 2x wllama Q8_0 (both 2 threads)': ['600 (relaxed, 2T)', '160 (2T)', '3.75x', 'met'],
      'prefill: dyadic w8a8 >= 1.5x wllama F32 (both 2 threads)': ['1700 (relaxed, 2T)', '850 (2T)', '2.00x', 'met'],
    });
  });

  it('marks a bar missed below its minimum', () => {
    const slow = results.map((r) => (r.engine === 'dyadic' && r.threads === 2 && r.test === 'pp' ? { ...r, tokens_per_s: r.tokens_per_s / 2 } : r));
    const row = (barRows(slow) as string[][]).find((r) => r[0] === 'prefill: dyadic w8a8 >= 1.5x wllama F32 (both 2 threads)')!;
    expect([row[4], row[6]]).toEqual(['1.00x', '**missed**']); // 850 / 850
  });

  it('leaves out a two-thread bar when dyadic has no two-thread row (never falls back to one thread)', () => {
    const oneThread = results.filter((r) => !(r.engine === 'dyadic' && r.threads === 2));
    const labels = (barRows(oneThread) as string[][]).map((r) => r[0]);
    expect(labels.some((l) => l.includes('both 2 threads'))).toBe(false);
    expect(labels.filter((l) => l.includes('both 1 thread'))).toHaveLength(3);
  });

  it('divides each two-thread dyadic row by the one-thread row of the same host, mode, build and test', () => {
    const rows: string[][] = threadRows(results);
    expect(rows.map((r) => [r[1], r[3], r[4], r[5], r[6], r[7], r[8]])).toEqual([
      ['chromium', 'simd', 'pp', '900', '1500', '1.67x', '180'],
      ['chromium', 'relaxed', 'pp', '1000', '1700', '1.70x', '190'],
      ['chromium', 'simd', 'tg', '400', '560', '1.40x', '48.0/token'],
      ['chromium', 'relaxed', 'tg', '380', '600', '1.58x', '47.5/token'],
      ['node', 'relaxed', 'pp', '5000', '8000', '1.60x', '200'],
      ['node', 'relaxed', 'tg', '3000', '4500', '1.50x', '49.0/token'],
    ]);
  });

  it('names the thread count of every bar in the chart and in the markdown tables', () => {
    const svg: string = speedChart(report);
    const labels = [...svg.matchAll(/text-anchor="end" font-size="12">([^<]+)</g)].map((m) => m[1]);
    expect(labels.length).toBeGreaterThan(0);
    for (const label of labels) expect(label, label).toMatch(/ [12]T( \(Node\))?$/);
    // the faster build per mode, host and thread count: relaxed at 2T decode (600 > 560), simd at 1T decode (400 > 380)
    expect(labels).toContain('dyadic w8a8 relaxed 2T');
    expect(labels).toContain('dyadic w8a8 simd 1T');
    expect(labels).toContain('wllama Q8_0 2T');
    const md: string = renderMarkdown(report);
    expect(md).toContain('## dyadic on two threads against one');
    expect(md).toContain('measured at commit abcdef0');
    expect(md).not.toContain('no threads yet');
  });
});
