// The demo page: load a model (the bundled GGUF or a local file), pick a mode, a kernel build and a thread
// count, and stream a story token by token with its speed. Generation runs on this page's thread and
// yields to the browser every frame so the text and the rate repaint while tokens are being made; with
// more than one thread, helper Web Workers share the wasm memory and take slices of each large GEMM
// (only in a cross-origin isolated page: elsewhere there is no SharedArrayBuffer and one thread runs).
import {
  loadModel,
  engineModes,
  createEngine,
  createIntegerEngine,
  createSampler,
  generateSteps,
  relaxedSimdSupported,
  resolveThreads,
} from 'dyadic';

const $ = (id) => document.getElementById(id);
const BUNDLED_URL = new URL('../../models/stories260K.gguf', import.meta.url);
/** The KV cache is planned for the model's context, capped so a big local model's cache stays modest. */
const MAX_POSITIONS = 2048;
const FRAME_MS = 16;

let model; // the LoadedModel in use
let modelName = '';
const engines = new Map(); // `${modelName}|${mode}|${build}|${threads}` -> engine (each call to generate restarts at position 0)
let stopRequested = false;

function setStatus(text, state) {
  $('status').textContent = text;
  if (state) document.body.dataset.state = state;
}

async function loadSelectedModel() {
  const fromFile = document.querySelector('input[name=source]:checked').value === 'file';
  const file = $('file').files[0];
  if (fromFile && !file) throw new Error('choose a .gguf file first');
  const name = fromFile ? `${file.name} (${file.size} bytes, local)` : 'stories260K.gguf (bundled)';
  if (name === modelName) return;
  setStatus(`loading ${name}…`, 'loading');
  const bytes = fromFile ? await file.arrayBuffer() : await (await fetch(BUNDLED_URL)).arrayBuffer();
  model = loadModel({ bytes, file: fromFile ? file.name : 'stories260K.gguf' });
  if (!model.tokenizer) throw new Error(`${name} has no tokenizer in it`);
  modelName = name;
  for (const engine of engines.values()) engine.runtime?.close(); // ends its helper Web Workers, if any
  engines.clear();
}

async function engineFor(mode, build, threads) {
  const key = `${modelName}|${mode}|${build}|${threads}`;
  let engine = engines.get(key);
  if (!engine) {
    setStatus(mode === 'float32' ? 'preparing float32…' : `quantizing ${modelName} to ${mode}…`, 'loading');
    await new Promise((r) => setTimeout(r, 0)); // paint the message before the synchronous work
    const maxPositions = Math.min(model.config.contextLength, MAX_POSITIONS);
    // float32 is the JavaScript reference; every other mode runs on the wasm kernels of the chosen build.
    engine = mode === 'float32' ? await createEngine(mode, model, { maxPositions }) : await createIntegerEngine(mode, model, { maxPositions, build, threads });
    engines.set(key, engine);
  }
  return engine;
}

function readNumber(id) {
  const value = Number($(id).value);
  if ($(id).value.trim() === '' || !Number.isFinite(value)) throw new Error(`${id} must be a number`);
  return value;
}

/** The thread count control's value: 'auto' or a positive integer. */
function readThreads() {
  const value = $('threads').value;
  return value === 'auto' ? value : Number(value);
}

/** What runs: the mode, the build and the threads actually started (which may be fewer than asked for). */
function engineLine(engine, mode, threads) {
  if (!engine.runtime) return `mode ${mode} · JavaScript float32 (no wasm), 1 thread`;
  const running = engine.runtime.threads;
  const fewer = threads !== 'auto' && running < threads ? ` (${threads} asked; ${isolationNote()})` : '';
  const memory = engine.memoryBytes ? `, ${(engine.memoryBytes / 2 ** 20).toFixed(1)} MiB wasm memory` : '';
  return `mode ${mode} · ${engine.runtime.build} build, ${running} thread${running === 1 ? '' : 's'}${fewer}${memory}`;
}

function isolationNote() {
  return globalThis.crossOriginIsolated ? `${resolveThreads('auto')} available here` : 'page not cross-origin isolated';
}

async function run() {
  $('generate').disabled = true;
  $('stop').disabled = false;
  stopRequested = false;
  $('output').textContent = '';
  window.__dyadicDemo = undefined;
  window.__dyadicEngine = undefined;
  try {
    await loadSelectedModel();
    const mode = $('mode').value;
    const build = $('build').value;
    const threads = readThreads();
    const options = { temperature: readNumber('temperature'), topP: readNumber('topP'), seed: readNumber('seed') };
    const maxTokens = readNumber('maxTokens');
    const engine = await engineFor(mode, build, threads);
    const sampler = createSampler(engine, options);
    const steps = generateSteps(engine, model.tokenizer, sampler, { prompt: $('prompt').value, maxTokens });
    const decoder = new TextDecoder();
    const describe = engineLine(engine, mode, threads);
    setStatus(`${describe} · generating…`, 'running');
    let pieces = 0;
    let started = 0;
    let lastYield = performance.now();
    let step = steps.next();
    for (; !step.done && !stopRequested; step = steps.next()) {
      $('output').textContent += decoder.decode(step.value, { stream: true });
      pieces++;
      const now = performance.now();
      if (pieces === 1) started = now;
      if (now - lastYield > FRAME_MS) {
        const rate = pieces > 1 ? ((pieces - 1) * 1000) / (now - started) : 0;
        setStatus(`${describe} · ${pieces} tokens · ${rate.toFixed(0)} tokens/s`);
        await new Promise((r) => setTimeout(r, 0));
        lastYield = performance.now();
      }
    }
    if (!step.done) {
      setStatus(`${describe} · stopped after ${pieces} tokens`, 'done');
      return;
    }
    const { tokens, text, tokensPerSecond, promptTokens } = step.value;
    $('output').textContent = text;
    const rate = Number.isFinite(tokensPerSecond) ? tokensPerSecond.toFixed(0) : '–';
    setStatus(`${describe} · ${promptTokens} prompt + ${tokens.length} sampled tokens · ${rate} tokens/s · seed ${options.seed}`, 'done');
    // For the test (test/runtimes/web-demo.test.ts) and the curious: what was generated, exactly, and the
    // engine that made it (its runtime: build, threads, thread pool).
    window.__dyadicDemo = {
      tokens, text, tokensPerSecond, mode, build: engine.runtime?.build ?? 'none', threads: engine.runtime?.threads ?? 1,
      seed: options.seed, maxPositions: engine.maxPositions,
    };
    window.__dyadicEngine = engine;
  } catch (e) {
    console.error(e);
    setStatus(`error: ${e.message}`, 'error');
  } finally {
    $('generate').disabled = false;
    $('stop').disabled = true;
  }
}

for (const mode of engineModes()) $('mode').append(new Option(mode, mode, mode === 'w8a8', mode === 'w8a8'));
$('build').options[0].textContent = `auto (${relaxedSimdSupported() ? 'relaxed' : 'simd'} here)`;
if (!relaxedSimdSupported()) $('build').querySelector('option[value=relaxed]').disabled = true;
$('threads').options[0].textContent = `auto (${resolveThreads('auto')} here)`;
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  run();
});
$('stop').addEventListener('click', () => (stopRequested = true));
$('file').addEventListener('change', () => (document.querySelector('input[name=source][value=file]').checked = true));
$('generate').disabled = false;
setStatus(
  `ready · relaxed SIMD ${relaxedSimdSupported() ? 'available' : 'not available'} in this browser · ` +
    (globalThis.crossOriginIsolated ? `cross-origin isolated: threads on (auto = ${resolveThreads('auto')})` : 'not cross-origin isolated: 1 thread'),
  'ready',
);
