// One @wllama/wllama (llama.cpp in wasm) end-to-end run inside the bench page: load a GGUF from the
// loopback server, run the same prompt as dyadic with greedy sampling for the same number of tokens
// (byte tokens banned by a logit bias, EOS ignored), and read llama.cpp's own timings (prompt_per_second
// = pp, predicted_per_second = tg, as llama-server reports them). Median of `repeats` after one warm-up.
import { Wllama } from '/node_modules/@wllama/wllama/esm/index.js';
import { DECODE_TOKENS } from './e2e-dyadic.mjs';

const WASM_URL = '/node_modules/@wllama/wllama/esm/wasm/wllama.wasm';

// wllama's wasm memory lives in its worker. To read its size, the worker's code gets a prefix that keeps
// every WebAssembly.Memory it creates and answers an `e2eMemory` message (stopping it before wllama's
// own handler sees it); the page side answers the reply the same way. Installed once per page.
const WORKER_PREFIX = `(() => {
  const memories = [];
  const Original = WebAssembly.Memory;
  WebAssembly.Memory = function (d) { const m = new Original(d); memories.push(m); return m; };
  WebAssembly.Memory.prototype = Original.prototype;
  self.addEventListener('message', (e) => {
    if (e.data && e.data.e2eMemory) {
      e.stopImmediatePropagation();
      postMessage({ e2eMemoryBytes: memories.reduce((n, m) => Math.max(n, m.buffer.byteLength), 0) });
    }
  });
})();\n`;
const workers = [];
function instrumentWorkers() {
  if (self.__e2eWorkers) return;
  self.__e2eWorkers = true;
  const Original = self.Worker;
  self.Worker = class extends Original {
    constructor(url, options) {
      let target = url;
      if (String(url).startsWith('blob:') && options?.name !== 'em-pthread') {
        const xhr = new XMLHttpRequest();
        xhr.open('GET', String(url), false); // a blob: URL, read synchronously before the worker starts
        xhr.send();
        target = URL.createObjectURL(new Blob([WORKER_PREFIX, xhr.responseText], { type: 'text/javascript' }));
      }
      super(target, options);
      if (target !== url) workers.push(this);
    }
  };
}

function askMemory(worker) {
  return new Promise((resolve) => {
    const listener = (e) => {
      if (e.data && e.data.e2eMemoryBytes !== undefined) {
        e.stopImmediatePropagation();
        worker.removeEventListener('message', listener);
        resolve(e.data.e2eMemoryBytes);
      }
    };
    worker.addEventListener('message', listener);
    worker.postMessage({ e2eMemory: true });
  });
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** url: the GGUF; prompt: text (the text of dyadic's prompt ids); threads: 1 (single-thread build) or more (multi-thread build, needs COOP/COEP). */
export async function runWllama({ url, prompt, threads, banned, repeats = 3, decodeTokens = DECODE_TOKENS, sampling = {}, load = {} }) {
  instrumentWorkers();
  workers.length = 0;
  const wllama = new Wllama({ default: WASM_URL }, { suppressNativeLog: true });
  const blob = await (await fetch(url)).blob();
  const loadStart = performance.now();
  await wllama.loadModel([blob], { n_ctx: 512, n_batch: 512, n_threads: threads, n_gpu_layers: 0, seed: 1, ...load });
  const loadMs = performance.now() - loadStart;
  const logitBias = {};
  if (banned) for (let t = banned.first; t <= banned.last; t++) logitBias[t] = -1e9; // OAI-style bias: banned
  const once = async () => {
    const r = await wllama.createCompletion({
      prompt,
      max_tokens: decodeTokens,
      temperature: 0,
      ignore_eos: true,
      logit_bias: logitBias,
      cache_prompt: false,
      ...sampling,
    });
    return r.timings;
  };
  await once(); // warm-up
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(await once());
  const wasmBytes = Math.max(0, ...(await Promise.all(workers.map(askMemory))));
  const info = { multiThread: wllama.isMultithread(), threads: wllama.getNumThreads() };
  await wllama.exit();
  return {
    promptTokens: runs[0].prompt_n,
    decodeTokens: runs[0].predicted_n,
    pp: median(runs.map((t) => t.prompt_per_second)),
    tg: median(runs.map((t) => t.predicted_per_second)),
    loadMs,
    wasmBytes,
    engineBytes: wasmBytes,
    ...info,
  };
}
