// End-to-end speed and memory of dyadic against llama.cpp in wasm (@wllama/wllama 3.8.1), llama-bench
// style: prefill of a 100-token prompt (pp100) and greedy decode of 200 tokens (tg200), tokens/s, median
// of 3 after one warm-up, on synthetic GGUF models of real shapes (random weights, real tokenizers).
// dyadic runs in Node (one process per run) and in headless Chromium; wllama in the same Chromium on the
// same GGUF files (F32 and Q8_0), one thread without cross-origin isolation and two threads with
// COOP/COEP. dyadic has no threads yet: every dyadic row is one thread.
//
//   npm run bench -- e2e --json FILE [--models 15m-v512,135m|all] [--quick] [--no-node] [--no-docs]
//   npm run bench -- e2e --from FILE    (re-render the docs from a saved --json report)
//
// --quick: the 288-dim vocab-512 model only, w8a8 and float32 on the relaxed build and wllama one thread.
// Writes docs/benchmarks.md and docs/e2e-*.svg (unless --no-docs). Models: 15m-v512, 15m-v32000 (288-dim,
// 6 layers, vocab 512 / 32000), 110m (768-dim, 12 layers), 135m (SmolLM2-135M-like); default: all but 110m.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadTokenizer } from '../dist/entry/node.js';
import { machineLine, printTable } from './lib/measure.mjs';
import { BANNED_TOKENS, E2E_MODELS, ensureModelFiles } from './lib/e2e-models.mjs';
import { DECODE_TOKENS, PROMPT_TOKENS, promptTokens } from './lib/e2e-dyadic.mjs';
import { runInChromium, serveBench } from './lib/e2e-browser.mjs';
import { writeReport } from './lib/e2e-report.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

// What runs on each model by default (the whole default run stays within ~15 minutes on 2 cores): all
// modes and both builds on the 288-dim vocab-512 model (the bars), fewer on the bigger ones. The float32
// reference is plain JavaScript and too slow to decode 200 tokens of a 100M+ model 4 times.
const PLANS = {
  full: { modes: ['float32', 'w8a8', 'w6a6', 'w4a8'], builds: ['simd', 'relaxed'], node: true, wllamaThreads: [1, 2] },
  medium: { modes: ['float32', 'w8a8', 'w4a8'], builds: ['relaxed'], node: true, wllamaThreads: [1, 2] },
  big: { modes: ['w8a8', 'w4a8'], builds: ['relaxed'], node: false, wllamaThreads: [1, 2] },
  quick: { modes: ['float32', 'w8a8'], builds: ['relaxed'], node: true, wllamaThreads: [1] },
};
const MODEL_PLAN = { '15m-v512': 'full', '15m-v32000': 'medium', '110m': 'big', '135m': 'big' };
const DEFAULT_MODELS = ['15m-v512', '15m-v32000', '135m'];

function flag(args, name) {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

/** One dyadic run in a child Node process (its maxRSS is this run's peak). */
function runInNode(options) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', `${here}lib/e2e-node-run.mjs`, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
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

/** The runs of one model: [{ engine, runtime, mode, build, threads, format, isolated }]. */
function planRuns(plan, withNode) {
  const runs = [];
  for (const runtime of ['chromium', ...(withNode && plan.node ? ['node'] : [])]) {
    for (const mode of plan.modes) {
      for (const build of mode === 'float32' ? ['js'] : plan.builds) {
        runs.push({ engine: 'dyadic', runtime, mode, build, threads: 1, format: 'f32', isolated: false });
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
  const servers = { false: await serveBench({ isolated: false }), true: await serveBench({ isolated: true }) };
  const results = [];
  const models = [];
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
        } else if (run.runtime === 'chromium') {
          r = await runInChromium(servers.false, 'dyadic', { url: `/${file.rel}`, mode: run.mode, build: run.build === 'js' ? undefined : run.build, banned: BANNED_TOKENS });
        } else {
          r = await runInNode({ path: file.abs, mode: run.mode, build: run.build === 'js' ? undefined : run.build, banned: BANNED_TOKENS });
        }
        browserVersion ||= r.browserVersion ?? '';
        if (r.promptTokens !== PROMPT_TOKENS || r.decodeTokens !== DECODE_TOKENS) {
          throw new Error(`${run.engine} ${run.mode} on ${name} ran ${r.promptTokens}/${r.decodeTokens} tokens, not ${PROMPT_TOKENS}/${DECODE_TOKENS}`);
        }
        for (const test of ['pp', 'tg']) {
          results.push({
            engine: run.engine, runtime: run.runtime, model: name, mode: run.mode, build: run.build, threads: run.threads, test,
            tokens_per_s: r[test], ...(r.flash ? { flash_attn: r.flash[test] } : {}), peak_bytes: r.engineBytes, wasm_bytes: r.wasmBytes, rss_bytes: r.rssBytes, file_bytes: file.bytes,
          });
        }
        console.log(`${name} ${run.engine} ${run.runtime} ${run.mode} ${run.build} t${run.threads}: pp ${r.pp.toFixed(1)} tg ${r.tg.toFixed(1)} tok/s, wasm ${(r.wasmBytes / 2 ** 20).toFixed(1)} MiB, rss ${(r.rssBytes / 2 ** 20).toFixed(1)} MiB`);
      }
      console.log(`${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await servers.false.close();
    await servers.true.close();
  }
  printTable(
    ['model', 'engine', 'runtime', 'mode', 'build', 'threads', 'test', 'tokens/s', 'peak MiB', 'rss MiB'],
    results.map((r) => [r.model, r.engine, r.runtime, r.mode, r.build, r.threads, r.test, r.tokens_per_s.toFixed(1), (r.peak_bytes / 2 ** 20).toFixed(1), (r.rss_bytes / 2 ** 20).toFixed(1)]),
  );
  const report = { machine: machineLine(), browser: `Chromium ${browserVersion}`, prompt_tokens: PROMPT_TOKENS, decode_tokens: DECODE_TOKENS, models, results };
  if (!args.includes('--no-docs')) writeReport(report);
  return report;
}
