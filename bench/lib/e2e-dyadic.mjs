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

/**
 * mode: 'float32' or an integer mode (w8a8, w6a6, w4a8, ...); build: 'simd' | 'relaxed' (integer only).
 * Returns median tokens/s of `repeats` runs after one warm-up run, and the engine's memory.
 */
export async function runDyadic(dyadic, { bytes, file, mode, build, banned, repeats = 3, decodeTokens = DECODE_TOKENS, now = () => performance.now() }) {
  let loaded = dyadic.loadModel({ bytes, file });
  const { config, tokenizer } = loaded;
  const prompt = promptTokens(tokenizer); // [PROMPT_TOKENS] with BOS first
  const maxPositions = prompt.length + decodeTokens + 1;
  const loadStart = now();
  const engine = mode === 'float32'
    ? new dyadic.FloatLlama(config, loaded.weights, { maxPositions })
    : await dyadic.createIntegerEngine(mode, loaded, { maxPositions, build });
  const loadMs = now() - loadStart;
  // The integer engines hold everything in wasm memory: drop the float weights so the heap can shrink.
  const jsWeightBytes = mode === 'float32' ? floatWeightBytes(loaded.weights) : 0;
  loaded = undefined;

  const once = () => {
    const t0 = now();
    let logits = engine.prefill(prompt, 0);
    const t1 = now();
    let token = argmaxAllowed(logits, banned, tokenizer.eos);
    const generated = [token];
    for (let i = 0; i < decodeTokens; i++) {
      logits = engine.forward(token, prompt.length + i);
      token = argmaxAllowed(logits, banned, tokenizer.eos);
      generated.push(token);
    }
    const t2 = now();
    return { pp: (prompt.length * 1000) / (t1 - t0), tg: (decodeTokens * 1000) / (t2 - t1), generated };
  };
  once(); // warm-up: V8 tiers the wasm and the JS up
  const runs = [];
  for (let r = 0; r < repeats; r++) runs.push(once());
  const wasmBytes = engine.runtime ? engine.runtime.arena.memory.buffer.byteLength : 0;
  return {
    promptTokens: prompt.length,
    decodeTokens,
    pp: median(runs.map((r) => r.pp)),
    tg: median(runs.map((r) => r.tg)),
    loadMs,
    wasmBytes,
    jsWeightBytes,
    // the engine's own peak: its wasm memory (integer) or its float weights in the JS heap (float32)
    engineBytes: wasmBytes || jsWeightBytes,
    firstTokens: runs[0].generated.slice(0, 16),
  };
}
