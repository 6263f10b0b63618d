// End-to-end speed and memory of dyadic against llama.cpp in wasm (@wllama/wllama 3.8.1), llama-bench
// style: prefill of a 100-token prompt (pp100) and greedy decode of 200 tokens (tg200), tokens/s, median
// of 3 after one warm-up, on synthetic GGUF models of real shapes (random weights, real tokenizers).
// dyadic runs in Node (one process per run) and in headless Chromium; wllama in the same Chromium on the
// same GGUF files (F32 and Q8_0), one thread without cross-origin isolation and two threads with
// COOP/COEP. dyadic's integer engines run on one thread and on two (in Chromium on the cross-origin
// isolated server, as wllama's two-thread runs); each two-thread run must really have run its helper
// thread, and every integer run of a model and mode must generate the same tokens (threads, builds, hosts).
//
//   npm run bench -- e2e --json FILE [--models 15m-v512,135m|all] [--quick] [--no-node] [--no-docs]
//   npm run bench -- e2e --from FILE    (re-render the docs from a saved --json report)
//
// --quick: the 288-dim vocab-512 model only, w8a8 (one and two threads) and float32 on the relaxed build,
// wllama one thread.
// Writes docs/benchmarks.md and docs/e2e-*.svg (unless --no-docs). Models: 15m-v512, 15m-v32000 (288-dim,
// 6 layers, vocab 512 / 32000), 110m (768-dim, 12 layers), 135m (SmolLM2-135M-like); default: all but 110m.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadTokenizer } from '../dist/entry/node.js';
import { machineLine, printTable } from './lib/measure.mjs';
import { BANNED_TOKENS, E2E_MODELS, ensureModelFiles } from './lib/e2e-models.mjs';
import { DECODE_TOKENS, PROMPT_TOKENS, promptTokens } from './lib/e2e-dyadic.mjs';
import { runInChromium, serveBench } from './lib/e2e-browser.mjs';
import { writeReport } from './lib/e2e-report.mjs';
import { relaxedSimdFlags } from './tools/node-flags.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

// What runs on each model by default (the whole default run stays within ~15 minutes on 2 cores): all
// modes and both builds on the 288-dim vocab-512 model (the bars), fewer on the bigger ones. The float32
// reference is plain JavaScript and too slow to decode 200 tokens of a 100M+ model 4 times.
// dyadicThreads: the thread counts of the integer modes (float32 is plain JavaScript: one thread).
const PLANS = {
  full: { modes: ['float32', 'w8a8', 'w6a6', 'w4a8'], builds: ['simd', 'relaxed'], node: true, dyadicThreads: [1, 2], wllamaThreads: [1, 2] },
  medium: { modes: ['float32', 'w8a8', 'w4a8'], builds: ['relaxed'], node: true, dyadicThreads: [1, 2], wllamaThreads: [1, 2] },
  big: { modes: ['w8a8', 'w4a8'], builds: ['relaxed'], node: false, dyadicThreads: [1, 2], wllamaThreads: [1, 2] },
  quick: { modes: ['float32', 'w8a8'], builds: ['relaxed'], node: true, dyadicThreads: [1, 2], wllamaThreads: [1] },
};
const MODEL_PLAN = { '15m-v512': 'full', '15m-v32000': 'medium', '110m': 'big', '135m': 'big' };
const DEFAULT_MODELS = ['15m-v512', '15m-v32000', '135m'];

/** Where the rows measured so far are written after each model (bench-results/ is ignored by git). */
const PARTIAL = `${here}../bench-results/e2e-partial.json`;

/** The commit measured: E2E_COMMIT (a run from an exported copy of the tree has no .git), else git's HEAD. */
function commitMeasured() {
  if (process.env.E2E_COMMIT) return process.env.E2E_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

const header = (browserVersion) => ({
  machine: machineLine(), browser: `Chromium ${browserVersion}`, commit: commitMeasured(), prompt_tokens: PROMPT_TOKENS, decode_tokens: DECODE_TOKENS,
});

/**
 * Bit-exactness across the bench's runs: every integer run of one model and mode (one or two threads,
 * either build, Node or Chromium) must generate the same tokens after the prompt; throws on the first
 * run that differs, naming it and the run it differs from.
 */
function tokenChecker() {
  const first = new Map(); // `${model}/${mode}` -> { label, tokens, runs }
  return {
    check(model, run, tokens) {
      const key = `${model}/${run.mode}`;
      const label = `${run.runtime} ${run.build} t${run.threads}`;
      const seen = first.get(key);
      if (!seen) {
        first.set(key, { label, tokens, runs: [label] });
        return;
      }
      const at = tokens.findIndex((t, i) => t !== seen.tokens[i]);
      if (at >= 0 || tokens.length !== seen.tokens.length) {
        throw new Error(`dyadic ${run.mode} on ${model}: ${label} generated other tokens than ${seen.label} (first difference at token ${at}: ${tokens[at]} vs ${seen.tokens[at]})`);
      }
      seen.runs.push(label);
    },
    /** Per model and mode: the runs that generated the same tokens, and the first 16 of them. */
    summary: () => [...first].map(([key, v]) => ({ key, runs: v.runs, count: v.tokens.length, first: v.tokens.slice(0, 16) })),
  };
}

function flag(args, name) {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

/** One dyadic run in a child Node process (its maxRSS is this run's peak). */
function runInNode(options) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...relaxedSimdFlags(), `${here}lib/e2e-node-run.mjs`, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`node run ${options.mode} exited with ${code}`))));
  });
}

/**
 * wllama with llama.cpp's default flash attention ("auto", on for the CPU backend) and without it: in
 * wasm, flash attention makes prefill faster but decode 2-3x slower, so each test keeps the faster of
 * the two settings (named in the JSON as `flash_attn`), as a llama.cpp user would tune it.
 */
async function runWllamaBest(server, options) {
  const withFlash = await runInChromium(server, 'wllama', options);
  const without = await runInChromium(server, 'wllama', { ...options, load: { flash_attn: false } });
  const best = (test) => (withFlash[test] >= without[test] ? { v: withFlash[test], fa: 'auto' } : { v: without[test], fa: 'off' });
  const pp = best('pp');
  const tg = best('tg');
  return {
    ...withFlash, pp: pp.v, tg: tg.v, flash: { pp: pp.fa, tg: tg.fa },
    wasmBytes: Math.max(withFlash.wasmBytes, without.wasmBytes), engineBytes: Math.max(withFlash.engineBytes, without.engineBytes), rssBytes: Math.max(withFlash.rssBytes, without.rssBytes),
  };
}

/**
 * The runs of one model: [{ engine, runtime, mode, build, threads, format, isolated }]. A page needs
 * cross-origin isolation (COOP/COEP) for threads: multi-thread runs in Chromium go to the isolated server.
 */
function planRuns(plan, withNode) {
  const runs = [];
  for (const runtime of ['chromium', ...(withNode && plan.node ? ['node'] : [])]) {
    for (const threads of plan.dyadicThreads) {
      for (const mode of plan.modes) {
        if (mode === 'float32' && threads > 1) continue;
        for (const build of mode === 'float32' ? ['js'] : plan.builds) {
          runs.push({ engine: 'dyadic', runtime, mode, build, threads, format: 'f32', isolated: runtime === 'chromium' && threads > 1 });
        }
      }
    }
  }
  for (const threads of plan.wllamaThreads) {
    for (const format of ['f32', 'q8_0']) {
      runs.push({ engine: 'wllama', runtime: 'chromium', mode: format.toUpperCase(), build: threads > 1 ? 'multi-thread' : 'single-thread', threads, format, isolated: threads > 1 });
    }
  }
  return runs;
}

export async function main(args) {
  const from = flag(args, '--from');
  if (from) {
    // re-render docs/benchmarks.md and the charts from a saved --json report, without measuring
    const saved = JSON.parse(readFileSync(from, 'utf8'));
    writeReport(saved);
    return saved;
  }
  const quick = args.includes('--quick');
  const modelArg = flag(args, '--models');
  const names = modelArg === 'all' ? Object.keys(E2E_MODELS) : modelArg ? modelArg.split(',') : quick ? ['15m-v512'] : DEFAULT_MODELS;
  const withNode = !args.includes('--no-node');
  console.log(machineLine());
  const loadStart = loadavg()[0];
  const servers = { false: await serveBench({ isolated: false }), true: await serveBench({ isolated: true }) };
  const results = [];
  const models = [];
  const sameTokens = tokenChecker();
  let browserVersion = '';
  try {
    for (const name of names) {
      const t0 = Date.now();
      const model = ensureModelFiles(name);
      models.push({ name, label: model.label, params: model.params, config: model.config, files: { f32: model.files.f32.bytes, q8_0: model.files.q8_0.bytes } });
      const tokenizer = loadTokenizer({ bytes: readFileSync(model.files.f32.abs), file: `${name}.gguf` });
      // wllama takes text (its worker fails on token-id prompts): the text of dyadic's prompt ids after BOS,
      // which llama.cpp tokenizes back (with BOS and the dummy-prefix space) to the same ids; checked below.
      const promptText = tokenizer.decode(promptTokens(tokenizer).slice(1), tokenizer.bos);
      const plan = PLANS[quick ? 'quick' : MODEL_PLAN[name]];
      for (const run of planRuns(plan, withNode)) {
        const file = model.files[run.format];
        let r;
        if (run.engine === 'wllama') {
          r = await runWllamaBest(servers[run.isolated], { url: `/${file.rel}`, prompt: promptText, threads: run.threads, banned: BANNED_TOKENS });
          if (run.threads > 1 && !r.multiThread) throw new Error('wllama did not start its multi-thread build under COOP/COEP');
        } else {
          const options = { mode: run.mode, build: run.build === 'js' ? undefined : run.build, threads: run.threads, banned: BANNED_TOKENS };
          r = run.runtime === 'chromium'
            ? await runInChromium(servers[run.isolated], 'dyadic', { ...options, url: `/${file.rel}` })
            : await runInNode({ ...options, path: file.abs });
          // runDyadic throws if the engine did not run (and keep) its threads; the bench checks again
          if (r.threads !== run.threads) throw new Error(`dyadic ${run.mode} ${run.build} in ${run.runtime} on ${name} ran ${r.threads} threads, not ${run.threads}`);
          if (run.runtime === 'chromium' && run.isolated !== r.isolated) throw new Error(`the dyadic page was${r.isolated ? '' : ' not'} cross-origin isolated for ${run.threads} threads`);
          if (run.mode !== 'float32') sameTokens.check(name, run, r.tokens);
        }
        browserVersion ||= r.browserVersion ?? '';
        if (r.promptTokens !== PROMPT_TOKENS || r.decodeTokens !== DECODE_TOKENS) {
          throw new Error(`${run.engine} ${run.mode} on ${name} ran ${r.promptTokens}/${r.decodeTokens} tokens, not ${PROMPT_TOKENS}/${DECODE_TOKENS}`);
        }
        for (const test of ['pp', 'tg']) {
          results.push({
            engine: run.engine, runtime: run.runtime, model: name, mode: run.mode, build: run.build, threads: run.threads, test,
            tokens_per_s: r[test], ...(r.flash ? { flash_attn: r.flash[test] } : {}), peak_bytes: r.engineBytes, wasm_bytes: r.wasmBytes, rss_bytes: r.rssBytes, file_bytes: file.bytes,
            // dyadic: helper-thread kernel calls in one timed run (prefill; per decode step), 0 on one thread
            ...(r.helperCalls ? { helper_calls: test === 'pp' ? r.helperCalls.prefill : r.helperCalls.decodePerStep } : {}),
          });
        }
        console.log(`${name} ${run.engine} ${run.runtime} ${run.mode} ${run.build} t${run.threads}: pp ${r.pp.toFixed(1)} tg ${r.tg.toFixed(1)} tok/s, wasm ${(r.wasmBytes / 2 ** 20).toFixed(1)} MiB, rss ${(r.rssBytes / 2 ** 20).toFixed(1)} MiB${r.helperCalls && run.threads > 1 ? `, helper calls: prefill ${r.helperCalls.prefill}, decode ${r.helperCalls.decodePerStep.toFixed(1)}/step` : ''}`);
      }
      console.log(`${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      // the rows so far, in case a later (bigger) model fails or the run is cut short
      writeFileSync(PARTIAL, JSON.stringify({ ...header(browserVersion), models, results, tokens: sameTokens.summary() }, null, 2));
    }
  } finally {
    await servers.false.close();
    await servers.true.close();
  }
  printTable(
    ['model', 'engine', 'runtime', 'mode', 'build', 'threads', 'test', 'tokens/s', 'peak MiB', 'rss MiB'],
    results.map((r) => [r.model, r.engine, r.runtime, r.mode, r.build, r.threads, r.test, r.tokens_per_s.toFixed(1), (r.peak_bytes / 2 ** 20).toFixed(1), (r.rss_bytes / 2 ** 20).toFixed(1)]),
  );
  // the machine's 1-minute load average as the run started and ended (other engineers share its 2 cores)
  const report = { ...header(browserVersion), load_average: { start: loadStart, end: loadavg()[0] }, models, results, tokens: sameTokens.summary() };
  if (!args.includes('--no-docs')) writeReport(report);
  return report;
}
