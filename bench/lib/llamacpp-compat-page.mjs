// In the browser page: llama.cpp (@wllama/wllama, single-thread build) loads a GGUF and continues a prompt
// greedily; returns the text llama.cpp generated.
import { Wllama } from '/node_modules/@wllama/wllama/esm/index.js';

export async function runLlamaCpp({ url, prompt, tokens, banned }) {
  const wllama = new Wllama({ default: '/node_modules/@wllama/wllama/esm/wasm/wllama.wasm' }, { suppressNativeLog: true });
  const blob = await (await fetch(url)).blob();
  await wllama.loadModel([blob], { n_ctx: 256, n_batch: 256, n_threads: 1, n_gpu_layers: 0, seed: 1 });
  const logitBias = {};
  if (banned) for (let t = banned.first; t <= banned.last; t++) logitBias[t] = -1e9; // byte tokens: not valid UTF-8 alone
  const r = await wllama.createCompletion({ prompt, max_tokens: tokens, temperature: 0, cache_prompt: false, logit_bias: logitBias });
  await wllama.exit();
  return r.choices[0].text;
}
