// A Cloudflare Worker that serves an integer-only LLaMA model with dyadic: `POST /generate` streams the
// sampled tokens as server-sent events. The model is bundled as a data module (an ArrayBuffer; see the
// [[rules]] in wrangler.toml) and dyadic is imported through its `workerd` export condition, which hands
// the runtime both wasm builds as precompiled modules (Workers refuse to compile wasm from bytes).
//
// Request body (JSON, every field optional):
//   { "prompt": "Once upon a time", "mode": "w8a8", "build": "auto", "maxTokens": 256,
//     "temperature": 1, "topP": 0.9, "seed": 42 }
// Response: text/event-stream with
//   event: start  data: {"mode","build","seed","maxPositions","memoryBytes"}
//   event: token  data: {"text"}            one per printed token (text may be "" mid UTF-8 character)
//   event: done   data: {"tokens":[ids],"text","tokensPerSecond"}
//   event: error  data: {"message"}         if generation fails after the stream started
// A request that cannot be served is answered before streaming: 400 (bad input) or 413 (the model does
// not fit the isolate's memory), with {"error": message}.
//
// The OpenAI-compatible routes of `dyadic serve` are served too, by the same module (openAIRoutes):
//   GET /v1/models, POST /v1/completions, POST /v1/chat/completions (streamed or not)
// each request on its own w8a8 engine (see chatEngineFor).
import {
  loadModel,
  loadRuntime,
  parameterCount,
  quantizeForMode,
  IntegerLlama,
  FloatLlama,
  INTEGER_MODES,
  createSampler,
  generateSteps,
  InvalidInputError,
  openAIRoutes,
  ChatEngine,
  ChatFormat,
} from 'dyadic';
import modelBytes from './stories260K.gguf';

const MODEL_FILE = 'stories260K.gguf';
/** A Worker isolate may use 128 MB in all (JavaScript heap and wasm memory together). */
const ISOLATE_LIMIT_BYTES = 128 * 1024 * 1024;
const DEFAULT_MAX_TOKENS = 256;

// Loaded once per isolate and never mutated: the parsed file, its float weights, the tokenizer.
let loaded;
function model() {
  loaded ??= loadModel({ bytes: modelBytes, file: MODEL_FILE });
  return loaded;
}

// Integer weights per mode, quantized once per isolate (read-only inputs to every request's engine), the
// same way createIntegerEngine quantizes, so the tokens equal Node's `createEngine(mode, ...)`.
const quantized = new Map();
function quantizedFor(mode) {
  let q = quantized.get(mode);
  if (!q) {
    q = quantizeForMode(mode, model());
    quantized.set(mode, q);
  }
  return q;
}

class TooLargeError extends Error {}

/** What the isolate already holds in JavaScript: the file, its float32 weights and the int8 copies. */
function javascriptBytes(m) {
  const params = parameterCount(m.config);
  return modelBytes.byteLength + 4 * params + params;
}

function describeModel(m) {
  const mb = (n) => (n / 2 ** 20).toFixed(1) + ' MiB';
  return `${MODEL_FILE} (${mb(modelBytes.byteLength)} file, ${parameterCount(m.config)} parameters, context ${m.config.contextLength})`;
}

/**
 * A fresh engine for one request: its own wasm memory (KV cache, activations), so nothing carries over
 * between requests, even concurrent ones. The wasm memory is capped at what the isolate has left after the
 * JavaScript side; IntegerLlama refuses a plan that would pass the cap before allocating (and the
 * runtime's arena any buffer that still would, naming it) — that message, with the model's size, is the
 * 413 answer.
 */
async function createEngineFor(mode, build) {
  const m = model();
  const maxPositions = m.config.contextLength;
  if (mode === 'float32') return new FloatLlama(m.config, m.weights, { maxPositions });
  const left = ISOLATE_LIMIT_BYTES - javascriptBytes(m);
  if (left <= 0) {
    throw new TooLargeError(`${describeModel(m)} does not fit a Worker's ${ISOLATE_LIMIT_BYTES} bytes: its weights alone take ${javascriptBytes(m)} bytes in JavaScript`);
  }
  const runtime = await loadRuntime({ build, memoryLimitBytes: left });
  try {
    return new IntegerLlama(runtime, quantizedFor(mode), mode, { maxPositions });
  } catch (e) {
    // IntegerLlama estimates its plan and refuses it up front (InvalidInputError, a RangeError); the arena
    // refuses any buffer that would still pass the cap (RangeError). Either way the model does not fit.
    if (e instanceof RangeError) throw new TooLargeError(`${describeModel(m)} does not fit a Worker's ${ISOLATE_LIMIT_BYTES} bytes: ${e.message}`);
    throw e;
  }
}

function parseRequest(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidInputError('the body must be a JSON object');
  const { prompt = '', mode = 'w8a8', build = 'auto', maxTokens = DEFAULT_MAX_TOKENS, temperature = 1, topP = 0.9 } = body;
  const seed = body.seed ?? crypto.getRandomValues(new Uint32Array(1))[0] + 1;
  if (typeof prompt !== 'string') throw new InvalidInputError('prompt must be a string');
  if (mode !== 'float32' && !Object.hasOwn(INTEGER_MODES, mode)) {
    throw new InvalidInputError(`unknown mode ${JSON.stringify(mode)} (float32, ${Object.keys(INTEGER_MODES).join(', ')})`);
  }
  if (!['auto', 'simd', 'relaxed'].includes(build)) throw new InvalidInputError(`build ${JSON.stringify(build)} must be auto, simd or relaxed`);
  if (!Number.isSafeInteger(seed)) throw new InvalidInputError(`seed ${seed} must be an integer`);
  // generate() and the samplers check maxTokens, temperature and topP themselves (before streaming).
  return { prompt, mode, build, maxTokens, temperature, topP, seed };
}

const json = (status, value) => Response.json(value, { status });
const event = (name, data) => new TextEncoder().encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);

async function handleGenerate(request) {
  let options;
  let engine;
  let steps;
  let first;
  try {
    options = parseRequest(await request.json().catch(() => null));
    engine = await createEngineFor(options.mode, options.build);
    const sampler = createSampler(engine, options);
    const m = model();
    steps = generateSteps(engine, m.tokenizer, sampler, { prompt: options.prompt, maxTokens: options.maxTokens });
    // The first step encodes the prompt and checks maxTokens and its length: errors here are still a 400.
    first = steps.next();
  } catch (e) {
    if (e instanceof TooLargeError) return json(413, { error: e.message });
    if (e instanceof InvalidInputError || e instanceof RangeError) return json(400, { error: e.message });
    throw e;
  }
  const { readable, writable } = new TransformStream();
  const writer = writable.getWriter();
  const decoder = new TextDecoder();
  (async () => {
    try {
      await writer.write(
        event('start', {
          mode: options.mode,
          build: engine.runtime?.build ?? 'none (float32 in JavaScript)',
          seed: options.seed,
          maxPositions: engine.maxPositions,
          memoryBytes: engine.memoryBytes ?? 0,
        }),
      );
      let step = first;
      // Awaiting each write hands control back to the runtime, which flushes the event to the client.
      for (; !step.done; step = steps.next()) await writer.write(event('token', { text: decoder.decode(step.value, { stream: true }) }));
      const { tokens, text, tokensPerSecond } = step.value;
      await writer.write(event('done', { tokens, text, tokensPerSecond: Number.isFinite(tokensPerSecond) ? tokensPerSecond : null }));
    } catch (e) {
      await writer.write(event('error', { message: String(e?.message ?? e) })).catch(() => {});
    } finally {
      await writer.close().catch(() => {});
    }
  })();
  return new Response(readable, { headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' } });
}

// The OpenAI routes, each request on an engine of its own (as /generate): workerd drops the work of a
// request whose client went away without running its cleanup, so an engine shared between requests
// could stay taken forever; a request's own engine simply goes with it.
async function chatEngineFor() {
  const m = model();
  const engine = await createEngineFor('w8a8', 'auto');
  return new ChatEngine(engine, m.tokenizer, await ChatFormat.create(m.tokenizer, m.chatTemplate), MODEL_FILE);
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.startsWith('/v1/')) return openAIRoutes(chatEngineFor)(request);
    if (url.pathname === '/generate') {
      if (request.method !== 'POST') return json(405, { error: 'use POST /generate with a JSON body' });
      return handleGenerate(request);
    }
    return json(404, { error: 'not found: POST /generate, GET /v1/models, POST /v1/completions, POST /v1/chat/completions' });
  },
};
