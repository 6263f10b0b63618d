#!/usr/bin/env node
// Does llama.cpp load and run the GGUF files `dyadic quantize --format/--bits` writes? Writes files with
// dyadic's CLI (stories260K in the 32-element types, round-to-nearest and GPTQ; a random-weight dim-256
// llama in every K-quant), then for each: llama.cpp (@wllama/wllama in headless Chromium, /usr/bin/chromium)
// continues a prompt greedily, and dyadic's float32 forward of the same file does the same in Node. Same
// text = llama.cpp decoded every block as dyadic's decoder does (up to float rounding: llama.cpp also
// quantizes activations to 8 bits in its dot products, so a near-tie may flip a late token).
// usage: node bench/llamacpp-compat.mjs [--json OUT.json]   (needs `npm run build` and ../shared)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { FloatLlama, encodeF32, loadModel, parseGguf, randomLlamaWeights, llamaConfig, writeGguf } from '../dist/entry/node.js';
import { CHROMIUM_PATH, serveBench } from './lib/e2e-browser.mjs';
import { argmaxAllowed } from './lib/e2e-dyadic.mjs';
import { modelPath } from './lib/inputs.mjs';

// A random-weight model picks byte tokens, which are not valid UTF-8 alone (wllama fails on them): both sides ban them.
const banned = { first: 3, last: 258 };

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = 'bench-results/llamacpp-compat';
mkdirSync(join(root, dir), { recursive: true });
const stories = modelPath('stories260K.gguf');
const PROMPT = 'Once upon a time, there was a little girl named Lily. She';
const TOKENS = 32;
const cli = (args) => execFileSync('node', [join(root, 'dist/cli/main.js'), 'quantize', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });

// A random-weight dim-256 llama (K-quant super-blocks fit its rows) under stories260K's vocabulary, F32.
function randomK256() {
  const vocabSource = parseGguf(readFileSync(stories), stories);
  const config = llamaConfig({ dim: 256, hiddenDim: 768, nLayers: 2, nHeads: 4, vocabSize: 512, contextLength: 256 });
  const w = randomLlamaWeights(config, 11);
  const u32 = (value) => ({ type: 'u32', value });
  const meta = [
    ['general.architecture', { type: 'string', value: 'llama' }], ['general.name', { type: 'string', value: 'k256-random' }],
    ['llama.context_length', u32(256)], ['llama.embedding_length', u32(256)], ['llama.feed_forward_length', u32(768)],
    ['llama.block_count', u32(2)], ['llama.attention.head_count', u32(4)], ['llama.attention.head_count_kv', u32(4)],
    ['llama.rope.dimension_count', u32(64)], ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
  ];
  for (const [key, value] of vocabSource.metadata) {
    if (!key.startsWith('tokenizer.')) continue;
    const t = vocabSource.metadataTypes.get(key);
    meta.push(t.startsWith('array:') ? [key, { type: 'array', of: t.slice(6), value }] : [key, { type: t, value }]);
  }
  const mat = (name, v, cols) => ({ name, dims: v.length === cols ? [cols] : [cols, v.length / cols], type: 0, data: encodeF32(v) });
  const tensors = [mat('token_embd.weight', w.tokenEmbedding, 256), mat('output_norm.weight', w.finalNorm, 256), mat('output.weight', w.output, 256)];
  w.layers.forEach((l, i) => {
    const b = `blk.${i}.`;
    tensors.push(mat(b + 'attn_norm.weight', l.attnNorm, 256), mat(b + 'attn_q.weight', l.wq, 256), mat(b + 'attn_k.weight', l.wk, 256),
      mat(b + 'attn_v.weight', l.wv, 256), mat(b + 'attn_output.weight', l.wo, 256), mat(b + 'ffn_norm.weight', l.ffnNorm, 256),
      mat(b + 'ffn_gate.weight', l.wGate, 256), mat(b + 'ffn_up.weight', l.wUp, 256), mat(b + 'ffn_down.weight', l.wDown, 768));
  });
  const path = join(root, dir, 'k256-f32.gguf');
  writeFileSync(path, writeGguf(meta, tensors));
  return path;
}

function dyadicGreedy(path) {
  const m = loadModel({ bytes: readFileSync(path), file: path });
  const ids = m.tokenizer.encode(PROMPT);
  const model = new FloatLlama(m.config, m.weights, { maxPositions: ids.length + TOKENS + 1 });
  let logits = model.prefill(ids, 0);
  const out = [];
  for (let i = 0; i < TOKENS; i++) {
    const t = argmaxAllowed(logits, banned, -1);
    if (t === m.tokenizer.eos) break;
    out.push(t);
    logits = model.forward(t, ids.length + i);
  }
  return m.tokenizer.decode(out, ids[ids.length - 1]);
}

const k256 = randomK256();
const cases = [
  ['stories260K', 'q4_0 (llama.cpp RTN)', ['--format', 'q4_0']],
  ['stories260K', 'q5_1 (llama.cpp RTN)', ['--format', 'q5_1']],
  ['stories260K', '--bits 4 --group 32 (GPTQ, Q4_1)', ['--bits', '4', '--group', '32', '--calib-sequences', '8']],
  ['stories260K', '--bits 5 --group 32 (GPTQ, Q5_0)', ['--bits', '5', '--group', '32', '--calib-sequences', '8']],
  ['stories260K', '--bits 8 --group 32 (GPTQ, Q8_0)', ['--bits', '8', '--group', '32', '--calib-sequences', '8']],
  ['stories260K', 'q4_1 --gptq', ['--format', 'q4_1', '--gptq', '--calib-sequences', '8']],
  ['k256', 'q2_k --pure', ['--format', 'q2_k', '--pure']],
  ['k256', 'q3_k --pure', ['--format', 'q3_k', '--pure']],
  ['k256', 'q4_k --pure', ['--format', 'q4_k', '--pure']],
  ['k256', 'q5_k --pure', ['--format', 'q5_k', '--pure']],
  ['k256', 'q6_k --pure', ['--format', 'q6_k', '--pure']],
  ['k256', '--bits 4 --group 32 (GPTQ, Q4_K)', ['--bits', '4', '--group', '32', '--calib-sequences', '4']],
];
const server = await serveBench({ isolated: false });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
const results = [];
const only = process.env.ONLY; // run the cases whose model is this (stories260K or k256)
try {
  for (const [model, label, args] of cases) {
    if (only && model !== only) continue;
    const page = await browser.newPage(); // a fresh page (and wllama worker) per file
    page.setDefaultTimeout(10 * 60_000);
    await page.goto(`${server.url}/e2e.html`);
    const out = join(dir, `${model}-${label.replace(/[^a-z0-9]+/gi, '_')}.gguf`);
    cli(['-m', model === 'k256' ? k256 : stories, '-o', join(root, out), ...args]);
    const theirs = await page.evaluate(async (o) => (await import('/bench/lib/llamacpp-compat-page.mjs')).runLlamaCpp(o), { url: `/${out}`, prompt: PROMPT, tokens: TOKENS, banned });
    const ours = dyadicGreedy(join(root, out));
    let same = 0;
    while (same < Math.min(ours.length, theirs.length) && ours[same] === theirs[same]) same++;
    const r = { model, label, file: out, identical: ours.trim() === theirs.trim(), sameChars: same, llamaCpp: theirs, dyadicFloat: ours };
    results.push(r);
    console.log(`${model.padEnd(12)} ${label.padEnd(36)} ${r.identical ? 'same text' : `first ${same} chars same`}\n  llama.cpp: ${JSON.stringify(theirs)}\n  dyadic:    ${JSON.stringify(ours)}`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
const jsonAt = process.argv.indexOf('--json');
if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1], JSON.stringify({ prompt: PROMPT, tokens: TOKENS, results }, null, 2) + '\n');
