// The e2e bench's report: docs/benchmarks.md (the issue's bars as measured ratios, like with like: dyadic
// on N threads against wllama on N threads; dyadic's two-thread speed-up; a llama-bench-style table, a
// memory table) and two SVG charts (tokens/s, memory; one panel per model, thread counts in the labels).
// Everything is computed from the bench's JSON report, so a saved JSON can be re-rendered (`--from FILE`).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
/** `npm run bench -- native --json` saved here is rendered as its own section (nativeSection). */
export const NATIVE_JSON = fileURLToPath(new URL('../results/native.json', import.meta.url));
/** `npm run bench -- nonlinear --json` saved here is rendered as its own section (nonlinearSection). */
/** `npm run bench -- prefill-logits --json` saved here adds a line to the native section. */
export const PREFILL_LOGITS_JSON = fileURLToPath(new URL('../results/prefill-logits.json', import.meta.url));
export const NONLINEAR_JSON = fileURLToPath(new URL('../results/nonlinear.json', import.meta.url));
const MiB = 2 ** 20;

/** The issue's bars: [description, model, dyadic mode, wllama format, test or 'memory', minimum ratio or maximum memory ratio]. */
const SPEED_BARS = [
  ['decode: dyadic w8a8 >= 1.5x wllama F32', '15m-v512', 'w8a8', 'F32', 'tg', 1.5],
  ['decode: dyadic w8a8 >= 2x wllama Q8_0', '15m-v512', 'w8a8', 'Q8_0', 'tg', 2],
  ['prefill: dyadic w8a8 >= 1.5x wllama F32', '15m-v512', 'w8a8', 'F32', 'pp', 1.5],
  ['decode on the 135M-like model: dyadic w8a8 >= 1.5x wllama Q8_0', '135m', 'w8a8', 'Q8_0', 'tg', 1.5],
];
const MEMORY_BARS = [['w8a8', 0.6], ['w4a8', 0.35]];

/** "1T", "2T": the thread count in labels and charts. */
const threadTag = (r) => `${r.threads}T`;
const threadWords = (n) => `${n} thread${n > 1 ? 's' : ''}`;

const engineLabel = (r) => (r.engine === 'wllama'
  ? `wllama ${r.mode} ${threadTag(r)}`
  : `dyadic ${r.mode}${r.build === 'js' ? '' : ` ${r.build}`} ${threadTag(r)}${r.runtime === 'node' ? ' (Node)' : ''}`);

/** The fastest row of an engine, mode and test on `threads` threads (dyadic: the faster of its two kernel builds, named in the tables). */
function find(results, { model, engine, mode, test, threads = 1, runtime = 'chromium' }) {
  const rows = results.filter((r) => r.model === model && r.engine === engine && r.mode === mode && r.test === test && r.runtime === runtime && r.threads === threads);
  return rows.sort((a, b) => b.tokens_per_s - a.tokens_per_s)[0];
}

/** The issue's bars, like with like: dyadic on N threads against wllama on N threads, both in Chromium; then memory (one thread each). */
export function barRows(results) {
  const rows = [];
  for (const threads of [1, 2]) {
    for (const [what, model, mode, format, test, min] of SPEED_BARS) {
      const d = find(results, { model, engine: 'dyadic', mode, test, threads });
      const w = find(results, { model, engine: 'wllama', mode: format, test, threads });
      if (!d || !w) continue;
      const ratio = d.tokens_per_s / w.tokens_per_s;
      rows.push([`${what} (both ${threadWords(threads)})`, model,
        `${d.tokens_per_s.toFixed(0)} (${d.build}, ${threadTag(d)})`, `${w.tokens_per_s.toFixed(0)} (${threadTag(w)})`, `${ratio.toFixed(2)}x`, `>= ${min}x`, ratio >= min ? 'met' : '**missed**']);
    }
  }
  const models = [...new Set(results.map((r) => r.model))];
  for (const model of models) {
    const w = find(results, { model, engine: 'wllama', mode: 'F32', test: 'tg' });
    if (!w) continue;
    for (const [mode, max] of MEMORY_BARS) {
      const d = find(results, { model, engine: 'dyadic', mode, test: 'tg' });
      if (!d) continue;
      for (const [kind, key] of [['wasm memory', 'wasm_bytes'], ['renderer peak RSS', 'rss_bytes']]) {
        const ratio = d[key] / w[key];
        rows.push([`memory: dyadic ${mode} <= ${max}x wllama F32, ${kind}`, model,
          `${(d[key] / MiB).toFixed(1)} MiB`, `${(w[key] / MiB).toFixed(1)} MiB`, `${ratio.toFixed(2)}x`, `<= ${max}x`, ratio <= max ? 'met' : '**missed**']);
      }
    }
  }
  return rows;
}

/**
 * dyadic on two threads against itself on one: every (model, runtime, mode, build, test) measured both
 * ways, with the kernel calls its helper thread ran in the two-thread run (prefill; per decode step).
 */
export function threadRows(results) {
  const rows = [];
  for (const two of results.filter((r) => r.engine === 'dyadic' && r.threads === 2)) {
    const one = results.find((r) => r.engine === 'dyadic' && r.threads === 1 && r.model === two.model && r.runtime === two.runtime && r.mode === two.mode && r.build === two.build && r.test === two.test);
    if (!one) continue;
    const calls = two.helper_calls === undefined ? '' : two.test === 'pp' ? `${two.helper_calls}` : `${two.helper_calls.toFixed(1)}/token`;
    rows.push([two.model, two.runtime, two.mode, two.build, two.test, one.tokens_per_s.toFixed(0), two.tokens_per_s.toFixed(0), `${(two.tokens_per_s / one.tokens_per_s).toFixed(2)}x`, calls]);
  }
  return rows;
}

/**
 * The two-thread decode rows split by whether the helper really took part (at least one kernel call per
 * decoded token) and each group's median 2T/1T ratio, as a sentence ('' without two-thread rows).
 */
function helperSplit(results) {
  const rows = threadRows(results).filter((r) => r[4] === 'tg' && r[8] !== '');
  if (rows.length === 0) return '';
  const active = rows.filter((r) => Number.parseFloat(r[8]) >= 1);
  const idle = rows.filter((r) => Number.parseFloat(r[8]) < 1);
  const med = (group) => {
    const v = group.map((r) => Number.parseFloat(r[7])).sort((a, b) => a - b);
    return `${v[Math.floor(v.length / 2)].toFixed(2)}x`;
  };
  return `In ${active.length} of ${rows.length} two-thread decode runs the helper thread ran at least one kernel call per `
    + `token${active.length ? ` (median decode 2T / 1T ${med(active)})` : ''}; in ${idle.length} it ran fewer (it was rarely `
    + `scheduled in time${idle.length ? `; median decode 2T / 1T ${med(idle)}` : ''}). The table above gives each run's figure.`;
}

/** min-max of wllama's 2T/1T ratios of one test over models and formats, or ''. */
function wllamaSpan(results, test) {
  const ratios = results.filter((r) => r.engine === 'wllama' && r.threads === 2 && r.test === test).flatMap((two) => {
    const one = results.find((r) => r.engine === 'wllama' && r.threads === 1 && r.model === two.model && r.mode === two.mode && r.test === test);
    return one ? [two.tokens_per_s / one.tokens_per_s] : [];
  });
  if (ratios.length === 0) return '';
  return `${Math.min(...ratios).toFixed(2)}x to ${Math.max(...ratios).toFixed(2)}x`;
}

/** min-max of the 2T/1T ratios of one test (markdown text), or '' when none was measured. */
function threadSpan(results, test, runtime) {
  const ratios = threadRows(results).filter((r) => r[4] === test && r[1] === runtime).map((r) => Number.parseFloat(r[7]));
  if (ratios.length === 0) return '';
  return `${Math.min(...ratios).toFixed(2)}x to ${Math.max(...ratios).toFixed(2)}x (median ${ratios.sort((a, b) => a - b)[Math.floor(ratios.length / 2)].toFixed(2)}x over ${ratios.length})`;
}

const table = (header, rows) => [
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

// ── SVG: one panel per model, horizontal bars, each panel on its own linear scale ─────────────────────
const COLORS = { dyadic: '#1f77b4', 'dyadic-2t': '#08306b', 'dyadic-node': '#9ecae1', 'dyadic-node-2t': '#4292c6', wllama: '#d62728', 'wllama-2t': '#ff9896' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

function barChart(title, panels, unit) {
  const width = 900;
  const labelW = 260;
  const barH = 16;
  const gap = 4;
  let y = 60;
  const parts = [];
  for (const panel of panels) {
    parts.push(`<text x="10" y="${y}" font-weight="bold" font-size="14">${esc(panel.title)}</text>`);
    y += 10;
    const max = Math.max(...panel.bars.map((b) => b.value), 1e-9);
    for (const b of panel.bars) {
      const w = ((width - labelW - 200) * b.value) / max; // room on the right for the value text
      parts.push(`<text x="${labelW - 6}" y="${y + barH - 4}" text-anchor="end" font-size="12">${esc(b.label)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${b.color}"/>`);
      parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 4}" font-size="12">${esc(b.text)}</text>`);
      y += barH + gap;
    }
    y += 24;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">\n`
    + `<rect width="100%" height="100%" fill="white"/>\n<text x="10" y="22" font-size="16" font-weight="bold">${esc(title)}</text>\n`
    + `<text x="10" y="40" font-size="11" fill="#555">${esc(unit)}</text>\n${parts.join('\n')}\n</svg>\n`;
}

const colorOf = (r) => {
  const key = r.engine === 'wllama' ? 'wllama' : r.runtime === 'node' ? 'dyadic-node' : 'dyadic';
  return COLORS[r.threads > 1 ? `${key}-2t` : key];
};

/**
 * The rows one chart panel shows: of dyadic's two kernel builds only the faster per mode, runtime and
 * thread count (its label names it; the tables list both), every wllama row.
 */
function chartRows(results, model, test) {
  const rows = results.filter((r) => r.model === model && r.test === test);
  return rows.filter((r) => r.engine !== 'dyadic'
    || !rows.some((o) => o !== r && o.engine === 'dyadic' && o.runtime === r.runtime && o.mode === r.mode && o.threads === r.threads && o.tokens_per_s > r.tokens_per_s));
}

export function speedChart(report) {
  const panels = [];
  for (const m of report.models) {
    for (const test of ['tg', 'pp']) {
      const rows = chartRows(report.results, m.name, test);
      panels.push({
        title: `${m.name}: ${test === 'tg' ? `decode tg${report.decode_tokens}` : `prefill pp${report.prompt_tokens}`} (${m.label})`,
        bars: rows.map((r) => ({ label: engineLabel(r), value: r.tokens_per_s, text: `${r.tokens_per_s.toFixed(0)} t/s`, color: colorOf(r) })),
      });
    }
  }
  return barChart('Tokens/s, higher is better (1T = 1 thread, 2T = 2 threads; dyadic: the faster of its two builds)', panels, report.browser);
}

function memoryChart(report) {
  const panels = [];
  for (const m of report.models) {
    const rows = chartRows(report.results, m.name, 'tg');
    panels.push({
      title: `${m.name}: peak engine memory (${m.label})`,
      bars: rows.map((r) => ({ label: engineLabel(r), value: r.peak_bytes, text: `${(r.peak_bytes / MiB).toFixed(1)} MiB (RSS ${(r.rss_bytes / MiB).toFixed(0)} MiB)`, color: colorOf(r) })),
    });
  }
  return barChart('Peak memory, lower is better: wasm memory (dyadic float32: its JS weights); RSS = process/renderer peak; 1T/2T = threads', panels, report.browser);
}

/**
 * dyadic against native llama.cpp (bench/native.mjs: node-llama-cpp's prebuilt CPU build, one thread,
 * same GGUF, same process), from that bench's saved JSON runs (one or more): ratios of the best runs.
 */
export function nativeSection(runs, prefillLogits = undefined) {
  if (!runs?.length) return '';
  const rows = [];
  for (const run of runs) {
    for (const test of ['pp', 'tg']) {
      const d = run.results.find((r) => r.test === test && r.engine.startsWith('dyadic'));
      const n = run.results.find((r) => r.test === test && r.engine.startsWith('llama.cpp'));
      if (!d) continue;
      rows.push(`| ${run.model} | ${run.file.toUpperCase()} | ${d.engine} | ${test}${d.tokens} | ${d.best.toFixed(1)} | ${n ? n.best.toFixed(1) : 'not run'} | ${n ? `${(d.best / n.best).toFixed(2)}x` : '-'} | ${run.load.map((l) => l.toFixed(1)).join(' -> ')} | ${run.clock} |`);
    }
  }
  return `
## Against native llama.cpp

\`npm run bench -- native --json bench/results/native.json\` (bench/native.mjs): dyadic and native
llama.cpp (node-llama-cpp's prebuilt CPU build, not a dependency) in one Node process, one thread each,
on the same GGUF file, llama-bench's tests with the same prompt token ids; best of the timed runs after a
warm-up. The machine was shared (load average at the start and end of each run in the table; with the
cpu clock, time is the process's CPU time, so other processes' share of the cores does not count, but a
busy hyper-thread sibling still slows both): read the ratios, not the rates. Runs: ${runs.map((r) => r.machine).filter((m, i, a) => a.indexOf(m) === i).join('; ')}.

| model | file | dyadic | test | dyadic t/s | native t/s | dyadic / native | load | clock |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
${prefillLogits ? `
Prefill computes the LM head for the prompt's last position only (every position only when a caller such
as eval asks): \`npm run bench -- prefill-logits\` on the ${prefillLogits.model} model (${prefillLogits.mode}, pp${prefillLogits.nPrompt}) ran
${prefillLogits.last_position_tps.toFixed(1)} t/s against ${prefillLogits.all_positions_tps.toFixed(1)} t/s with every position's logits, ${prefillLogits.ratio.toFixed(2)}x
(${prefillLogits.clock} clock, load ${prefillLogits.load.map((l) => l.toFixed(1)).join(' -> ')}); the figures above include it.
` : ''}`;
}

/** The integer nonlinear ops against float TypeScript and tfjs-wasm (bench/nonlinear.mjs's saved JSON). */
export function nonlinearSection(nl) {
  if (!nl?.results?.length) return '';
  const rows = nl.results.filter((r) => r.impl.startsWith('dyadic'))
    .map((r) => `| ${r.op} | ${r.n} | ${r.impl.replace('dyadic-', '')} | ${(r.elems_per_s / 1e6).toFixed(0)} | ${r.speedup_vs_float_ts.toFixed(2)}x | ${r.speedup_vs_tfjs === null ? '-' : `${r.speedup_vs_tfjs.toFixed(2)}x`} |`);
  return `
## Nonlinear ops (exp, softmax, SiLU)

\`npm run bench -- nonlinear --only exp,softmax,silu --json bench/results/nonlinear.json\`: each call runs
${nl.elemsPerCall} elements as rows of n (n = 64 is one head's scores in decode); dyadic's integer kernels
against a float32 TypeScript version of the op and @tensorflow/tfjs-backend-wasm (one thread), best of
interleaved rounds, one process. ${nl.machine}. Bars (issue 17): >= 2x the float TypeScript version and
>= 1x tfjs-wasm at every n.

| op | n | dyadic build | Melem/s | vs float TS | vs tfjs-wasm |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
}

/** The markdown document. */
export function renderMarkdown(report, native = undefined, nonlinear = undefined, prefillLogits = undefined) {
  const { models, results } = report;
  const modelRows = models.map((m) => [m.name, m.label, `${(m.params / 1e6).toFixed(1)}M`, `${(m.files.f32 / MiB).toFixed(1)} MiB`, `${(m.files.q8_0 / MiB).toFixed(1)} MiB`]);
  const bench = results.map((r) => {
    const m = models.find((x) => x.name === r.model);
    const size = r.engine === 'wllama' && r.mode === 'Q8_0' ? m.files.q8_0 : m.files.f32;
    return [r.model, `${(size / MiB).toFixed(2)} MiB`, `${(m.params / 1e6).toFixed(2)} M`,
      r.engine === 'wllama' ? `wllama ${r.mode} fa=${r.flash_attn} (${r.runtime})` : `dyadic ${r.mode} ${r.build} (${r.runtime})`,
      r.threads, `${r.test}${r.test === 'pp' ? report.prompt_tokens : report.decode_tokens}`, r.tokens_per_s.toFixed(2)];
  });
  const memory = results.filter((r) => r.test === 'tg').map((r) => [r.model, engineLabel(r), r.runtime, (r.peak_bytes / MiB).toFixed(1), (r.wasm_bytes / MiB).toFixed(1), (r.rss_bytes / MiB).toFixed(1)]);
  return `# End-to-end benchmarks: dyadic vs llama.cpp in wasm (@wllama/wllama 3.8.1)

Generated by \`npm run bench -- e2e --json FILE\` (bench/e2e.mjs); do not edit by hand, re-run the bench.
The run below is saved as [bench/results/e2e.json](../bench/results/e2e.json)${report.commit ? ` (measured at commit ${report.commit.slice(0, 7)})` : ''};
\`npm run bench -- e2e --from bench/results/e2e.json\` re-renders this page and the charts from it.

Machine: ${report.machine}; ${report.browser} (headless)${report.load_average ? `; 1-minute load average ${report.load_average.start.toFixed(1)} at the start, ${report.load_average.end.toFixed(1)} at the end` : ''}. All figures are from **one run** of the bench on a
shared 2-core machine (another engineer's tests ran at the same time): compare ratios within this run,
not absolute numbers across runs.

## What is measured

- **Models**: synthetic GGUF files of real shapes with random weights (speed and memory do not depend on
  the values) and a real tokenizer, written as F32 and as Q8_0 the way llama.cpp lays them out
  (bench/lib/e2e-models.mjs). Both engines load the very same files. The SmolLM2-135M-like model has
  SmolLM2's layer shapes (576-dim, 30 layers, 9 heads, 3 KV heads, hidden 1536) but the LLaMA-2 32000-token
  vocabulary with untied embeddings, hence 143M parameters instead of 135M (49152 tokens, tied).
- **Tests**, as llama-bench: \`pp${report.prompt_tokens}\` = prefill of a ${report.prompt_tokens}-token prompt (the same token ids for both
  engines), \`tg${report.decode_tokens}\` = greedy decode of ${report.decode_tokens} tokens after it. tokens/s, median of 3 runs after one warm-up run.
  wllama's figures are llama.cpp's own timings (\`prompt_per_second\`, \`predicted_per_second\`); dyadic's are
  wall-clock around \`prefill()\` and around the ${report.decode_tokens} \`forward()\` + argmax steps.
- **Greedy decoding on random weights** picks byte-fallback tokens, which are not valid UTF-8 alone and
  make wllama's JSON encoding throw, so ids 3..258 are banned on both sides (a logit bias of -1e9 for
  wllama, skipped in dyadic's argmax) and EOS is ignored, so every run decodes exactly ${report.decode_tokens} tokens.
- **dyadic** loads the F32 GGUF and quantizes at load (\`createIntegerEngine\`): w8a8 with absmax clipping,
  w6a6 and w4a8 round-to-nearest with MSE-searched clipping (not GPTQ, which needs calibration data and is
  slow for 100M+ models). \`float32\` is the plain-JavaScript float reference (one thread). Builds: \`simd\`
  (SIMD128) and \`relaxed\` (relaxed SIMD). The integer engines run on **one thread and on two**
  (\`createIntegerEngine(mode, model, { threads: 2 })\`: one helper thread on the same shared wasm memory,
  products split by output channels, attention by heads; docs/threads.md). A two-thread run fails the
  bench unless \`engine.runtime.threads\` is 2 before and after it and the helper thread ran kernel calls
  in the prefill and in the decode of every timed run (the "helper calls" column below).
  In Chromium, dyadic's browser entry is imported unbundled from the repository served on loopback;
  two-thread runs load the page cross-origin isolated (COOP/COEP, as wllama's two-thread runs), since a
  page needs that for shared wasm memory. In Node each run is its own process.
- **Same tokens**: every integer run of a model and mode (one or two threads, either build, Node or
  Chromium) must generate the same ${report.decode_tokens + 1} tokens after the prompt, and every repeat of a run the same as
  its first, or the bench stops. ${report.tokens ? `This run: ${report.tokens.map((t) => `${t.key} ${t.runs.length} runs`).join(', ')}, each set identical.` : ''}
- **wllama** 3.8.1 in the same Chromium: one thread without cross-origin isolation (single-thread
  build), two threads with COOP/COEP (multi-thread build; the machine has 2 cores). \`n_ctx\` 512, no GPU.
  Each wllama configuration runs twice, with llama.cpp's default flash attention (\`fa=auto\`, on for the
  CPU backend) and with \`flash_attn: false\` (\`fa=off\`), and each test keeps the faster: in wasm, flash
  attention speeds prefill up but slows decode 2-3x, so either fixed setting would understate wllama.
- **Memory**: \`peak\` = the engine's wasm memory after the run (wasm memory only grows, so this is its
  peak; for dyadic float32, its float weights in the JS heap). \`RSS\` = peak resident size (VmHWM) of the
  Chromium renderer process(es) of a fresh browser per run, or maxRSS of the Node process of the run. wllama's
  wasm memory starts at 128 MiB whatever the model.

## The issue's bars

Like with like: dyadic on one thread against wllama on one thread, dyadic on two threads against wllama
on two threads (dyadic: the faster of its two builds, named), in the same Chromium on the same GGUF.
Memory: one thread each.

${table(['bar', 'model', 'dyadic', 'wllama', 'ratio', 'needed', ''], barRows(results))}

## dyadic on two threads against one

Same model, host, mode and build; tokens/s and their ratio. Helper calls: kernel calls the helper thread
ran (not the main thread, which takes over a call its helper has not started yet) in one timed run, for
the whole prefill and per decoded token.

${table(['model', 'runtime', 'mode', 'build', 'test', '1T t/s', '2T t/s', '2T / 1T', 'helper calls'], threadRows(results))}

## Models

${table(['name', 'shape', 'params', 'F32 GGUF', 'Q8_0 GGUF'], modelRows)}

## llama-bench-style table

${table(['model', 'size', 'params', 'backend', 'threads', 'test', 't/s'], bench)}

## Memory

${table(['model', 'engine', 'runtime', 'peak MiB', 'wasm MiB', 'RSS MiB'], memory)}

## Reading the memory figures

- **wasm memory** is what each engine keeps for inference: dyadic's integer weights, int8 KV cache and
  activations in one bump arena sized up front; llama.cpp's heap, which holds the GGUF file itself (it is
  mmapped from wasm memory) plus its KV cache and compute buffers, and never starts below 128 MiB.
- **Peak RSS** is dominated by Chromium itself (a renderer with an empty page is ~400 MiB here) and by the
  load path: dyadic's page fetches the F32 GGUF into the JS heap, parses it to float32 arrays and quantizes
  from them, so its peak holds the file and its float copy at once even though both are garbage once the
  engine is built. The RSS ratios therefore measure the loaders and the browser as much as the engines;
  the wasm ratios measure the engines.

## Threads

In Chromium, dyadic's two threads against its one: prefill ${threadSpan(results, 'pp', 'chromium') || 'not measured'},
decode ${threadSpan(results, 'tg', 'chromium') || 'not measured'}; in Node: prefill ${threadSpan(results, 'pp', 'node') || 'not measured'},
decode ${threadSpan(results, 'tg', 'node') || 'not measured'}.

${helperSplit(results)}

wllama's two threads against its one in the same run: prefill ${wllamaSpan(results, 'pp') || 'not measured'}, decode ${wllamaSpan(results, 'tg') || 'not measured'}.

The machine has two cores and other engineers' tests and benches ran on them during this bench, so at
times the second thread found no free core (the runs with fewer than one helper call per token). The main
thread then runs its share and takes over every call its helper has not started (the tokens stay the same, as checked), so with an idle helper a run should be
about as fast as one thread. Where it is clearly slower, a likely cause is that the helper spins for
${'`'}HELPER_SPIN_MS${'`'} after every call it saw posted (and then lost to the main thread), taking CPU time from
the main thread and the other processes on a machine without a spare core. Read these two-thread figures
as this shared machine's, not as what two free cores give.
${nativeSection(native, prefillLogits)}${nonlinearSection(nonlinear)}
## Charts

![tokens/s per model and engine](e2e-tokens-per-s.svg)

![peak memory per model and engine](e2e-memory.svg)
`;
}

/** Writes docs/benchmarks.md and the two charts. */
export function writeReport(report) {
  mkdirSync(docs, { recursive: true });
  writeFileSync(`${docs}e2e-tokens-per-s.svg`, speedChart(report));
  writeFileSync(`${docs}e2e-memory.svg`, memoryChart(report));
  const native = existsSync(NATIVE_JSON) ? JSON.parse(readFileSync(NATIVE_JSON, 'utf8')) : undefined;
  const nonlinear = existsSync(NONLINEAR_JSON) ? JSON.parse(readFileSync(NONLINEAR_JSON, 'utf8')) : undefined;
  const prefillLogits = existsSync(PREFILL_LOGITS_JSON) ? JSON.parse(readFileSync(PREFILL_LOGITS_JSON, 'utf8')) : undefined;
  writeFileSync(`${docs}benchmarks.md`, renderMarkdown(report, native && (Array.isArray(native) ? native : [native]), nonlinear, prefillLogits));
  console.log('wrote docs/benchmarks.md, docs/e2e-tokens-per-s.svg, docs/e2e-memory.svg');
}
