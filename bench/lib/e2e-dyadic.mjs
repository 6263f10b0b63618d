// One dyadic end-to-end run, the same code in Node and in the browser: the caller passes dyadic's module
// namespace (node or browser entry) so this file imports nothing platform-specific. Loads a GGUF from
// bytes, builds the engine, then times a prompt prefill and a greedy decode, as llama-bench's pp and tg.

/** The text of every e2e prompt; both engines get the same first PROMPT_TOKENS token ids of it. */
export const PROMPT_TEXT = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her '
  + 'friends. One day, she saw a big red ball under a tree. She ran to the ball and picked it up. Her mom said, '
  + '"Lily, be careful with the ball!" Lily smiled and threw the ball to her friend Tom. Tom caught the ball and '
  + 'laughed. They played all day until the sun went down, and then they went home happy and tired. The next '
  + 'morning, Lily woke up early and looked out of the window. It was raining, so she could not go to the park. '
  + 'She was sad, but her mom had an idea. They made a little boat out of paper and watched it sail in the puddles.';

export const PROMPT_TOKENS = 100;
export const DECODE_TOKENS = 200;

/** The prompt's token ids: BOS and the text's first PROMPT_TOKENS - 1 tokens (both tokenizers give more). */
export function promptTokens(tokenizer) {
  const ids = tokenizer.encode(PROMPT_TEXT); // [n] with BOS first
  if (ids.length < PROMPT_TOKENS) throw new Error(`the e2e prompt is only ${ids.length} tokens with this tokenizer`);
  return ids.slice(0, PROMPT_TOKENS);
}

/** Greedy pick: the largest logit, skipping the banned range and EOS (so every run decodes the full count). */
export function argmaxAllowed(logits, banned, eos) {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if ((i >= banned.first && i <= banned.last) || i === eos) continue;
    if (logits[i] > bestValue) {
      bestValue = logits[i];
      best = i;
    }
  }
  return best;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Bytes of a float32 weight set (the float engine keeps its weights in the JS heap, not in wasm). */
function floatWeightBytes(w) {
  let n = w.tokenEmbedding.byteLength + w.finalNorm.byteLength + (w.output === w.tokenEmbedding ? 0 : w.output.byteLength);
  for (const l of w.layers) for (const t of Object.values(l)) n += t?.byteLength ?? 0;
  return n;
}

/** Calls of a thread pool's helpers: `assign` posts a call to a helper, `taken` counts posted calls the main thread ran itself. */
function countHelperCalls(pool) {
  let posted = 0;
  const assign = pool.assign.bind(pool);
  pool.assign = (...args) => {
    posted++;
    return assign(...args);
  };
  const taken0 = pool.taken;
  return () => ({ posted, ranOnHelpers: posted - (pool.taken - taken0) });
}

/**
 * mode: 'float32' or an integer mode (w8a8, w6a6, w4a8, ...); build: 'simd' | 'relaxed' (integer only);
 * threads: kernel threads of the integer engine (the float32 reference is plain JavaScript, one thread).
 * Returns median tokens/s of `repeats` runs after one warm-up run, the engine's memory, the generated
 * tokens (every run must give the same ones) and, with threads > 1, how many kernel calls the helper
 * threads ran; throws if the engine did not run on `threads` threads from start to end.
 */
export async function runDyadic(dyadic, { bytes, file, mode, build, threads = 1, banned, repeats = 3, decodeTokens = DECODE_TOKENS, now = () => performance.now() }) {
  if (mode === 'float32' && threads !== 1) throw new Error(`the float32 reference runs on one thread, not ${threads}`);
  let loaded = dyadic.loadModel({ bytes, file });
  const { config, tokenizer } = loaded;
  const prompt = promptTokens(tokenizer); // [PROMPT_TOKENS] with BOS first
  const maxPositions = prompt.length + decodeTokens + 1;
  const loadStart = now();
  const engine = mode === 'float32'
    ? new dyadic.FloatLlama(config, loaded.weights, { maxPositions })
    : await dyadic.createIntegerEngine(mode, loaded, { maxPositions, build, threads });
  const loadMs = now() - loadStart;
  // The integer engines hold everything in wasm memory: drop the float weights so the heap can shrink.
  const jsWeightBytes = mode === 'float32' ? floatWeightBytes(loaded.weights) : 0;
  loaded = undefined;
  const runningThreads = () => engine.runtime?.threads ?? 1;
  if (runningThreads() !== threads) throw new Error(`dyadic ${mode} asked for ${threads} threads but its runtime runs ${runningThreads()}`);
  const helperCalls = threads > 1 ? countHelperCalls(engine.runtime.pool) : () => ({ posted: 0, ranOnHelpers: 0 });

  const once = () => {
    const start = helperCalls();
    const t0 = now();
    let logits = engine.prefill(prompt, 0);
    const t1 = now();
    const afterPrefill = helperCalls();
    let token = argmaxAllowed(logits, banned, tokenizer.eos);
    const generated = [token];
    for (let i = 0; i < decodeTokens; i++) {
      logits = engine.forward(token, prompt.length + i);
      token = argmaxAllowed(logits, banned, tokenizer.eos);
      generated.push(token);
    }
    const t2 = now();
    const afterDecode = helperCalls();
    return {
      pp: (prompt.length * 1000) / (t1 - t0),
      tg: (decodeTokens * 1000) / (t2 - t1),
      generated,
      prefillHelperCalls: afterPrefill.ranOnHelpers - start.ranOnHelpers,
      decodeHelperCalls: afterDecode.ranOnHelpers - afterPrefill.ranOnHelpers,
      decodePosted: afterDecode.posted - afterPrefill.posted,
    };
  };
  try {
    const warm = once(); // warm-up: V8 tiers the wasm and the JS up
    const runs = [];
    for (let r = 0; r < repeats; r++) runs.push(once());
    for (const run of [warm, ...runs]) {
      const at = run.generated.findIndex((t, i) => t !== runs[0].generated[i]); // same length (1 + decodeTokens)
      if (at >= 0) throw new Error(`dyadic ${mode} ${build ?? ''} t${threads}: two runs of the same prompt generated different tokens (first difference at token ${at})`);
    }
    if (runningThreads() !== threads) throw new Error(`dyadic ${mode} lost its helper threads during the run (${runningThreads()} of ${threads} threads left)`);
    if (threads > 1) {
      // The helpers must have run prefill and decode calls: otherwise the figures are one thread's under a
      // two-thread label. Summed over the timed runs, not per run: on a loaded machine the main thread
      // takes over most calls of a helper that finds no free core, which is what the figures then show.
      const prefillCalls = runs.reduce((n, r) => n + r.prefillHelperCalls, 0);
      const decodeCalls = runs.reduce((n, r) => n + r.decodeHelperCalls, 0);
      if (prefillCalls <= 0 || decodeCalls <= 0) {
        throw new Error(`dyadic ${mode} t${threads}: helper threads ran ${prefillCalls} prefill and ${decodeCalls} decode kernel calls in ${repeats} runs; the run did not use its threads`);
      }
    }
    const wasmBytes = engine.runtime ? engine.runtime.arena.memory.buffer.byteLength : 0;
    const middle = runs.indexOf(runs.find((r) => r.tg === median(runs.map((x) => x.tg))));
    return {
      promptTokens: prompt.length,
      decodeTokens,
      threads: runningThreads(),
      pp: median(runs.map((r) => r.pp)),
      tg: median(runs.map((r) => r.tg)),
      loadMs,
      wasmBytes,
      jsWeightBytes,
      // the engine's own peak: its wasm memory (integer) or its float weights in the JS heap (float32)
      engineBytes: wasmBytes || jsWeightBytes,
      // [1 + decodeTokens]: the greedy pick after the prompt and after each decode step (same in every run)
      tokens: runs[0].generated,
      // kernel calls the helper threads ran (not the main thread) in one timed run: prefill, and decode
      // per step (median run by decode speed); 0 on one thread
      helperCalls: { prefill: runs[middle].prefillHelperCalls, decodePerStep: runs[middle].decodeHelperCalls / decodeTokens, postedPerStep: runs[middle].decodePosted / decodeTokens },
    };
  } finally {
    engine.runtime?.close(); // ends the helper threads (a browser page or a Node process may run more engines)
  }
}
