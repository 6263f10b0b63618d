// dyadic against native llama.cpp (node-llama-cpp's prebuilt CPU build) on the same GGUF file, one
// thread each, in this one process: llama-bench's pp (prefill of P prompt tokens) and tg (N tokens decoded
// one at a time), a warm-up run then R timed runs each, the same prompt token ids for both.
//   npm run bench -- native [--model 135m] [--quant q8_0|q4_0|f32] [--mode w8a8|native|...] [-p 100] [-n 200] [-r 3]
// node-llama-cpp is not a dependency of dyadic (it ships native binaries): install it beside the checkout
// (`npm install --no-save node-llama-cpp`) or point DYADIC_NODE_LLAMA_CPP at an installed copy's
// directory. Without it only dyadic runs. DYADIC_BENCH_CLOCK=cpu times both by process CPU time.
// The models are bench/lib/e2e-models.mjs's synthetic GGUF files of real shapes (random weights).
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadModel, createEngine } from '../dist/entry/node.js';
import { benchEngine, meanSd, promptTokens } from '../dist/cli/bench.js';
import { ensureModelFiles } from './lib/e2e-models.mjs';
import { machineLine, printTable, now, CLOCK } from './lib/measure.mjs';

function flag(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
}

async function importNodeLlamaCpp() {
  const where = process.env.DYADIC_NODE_LLAMA_CPP;
  try {
    return where ? await import(pathToFileURL(`${where}/dist/index.js`).href) : await import('node-llama-cpp');
  } catch (e) {
    console.log(`node-llama-cpp not available (${e.code ?? e.message}): dyadic only`);
    return undefined;
  }
}

/** llama.cpp through node-llama-cpp: the same tests, the same token ids, greedy decoding. */
async function benchNative(nlc, path, { nPrompt, nGen, reps, vocab }) {
  const llama = await nlc.getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: Math.max(nPrompt, nGen) + 8, threads: 1, batchSize: Math.max(nPrompt, 1), sequences: 1 });
  const seq = context.getSequence();
  const prompt = promptTokens(nPrompt, vocab);
  const pp = async () => {
    await seq.clearHistory();
    const t0 = now();
    await seq.evaluateWithoutGeneratingNewTokens(prompt);
    return nPrompt / ((now() - t0) / 1000);
  };
  const tg = async () => {
    await seq.clearHistory();
    let n = 0;
    const t0 = now();
    for await (const token of seq.evaluate([1], { temperature: 0 })) {
      void token;
      if (++n >= nGen) break;
    }
    return n / ((now() - t0) / 1000);
  };
  const out = [];
  if (nPrompt > 0) { await pp(); const s = []; for (let r = 0; r < reps; r++) s.push(await pp()); out.push({ test: 'pp', tokens: nPrompt, samples: s }); }
  if (nGen > 0) { await tg(); const s = []; for (let r = 0; r < reps; r++) s.push(await tg()); out.push({ test: 'tg', tokens: nGen, samples: s }); }
  await context.dispose();
  await model.dispose();
  return out;
}

export async function main(args) {
  const name = flag(args, '--model', '135m');
  const quant = flag(args, '--quant', 'q8_0');
  const mode = flag(args, '--mode', 'w8a8');
  const nPrompt = Number(flag(args, '-p', '100'));
  const nGen = Number(flag(args, '-n', '200'));
  const reps = Number(flag(args, '-r', '3'));
  const load0 = os.loadavg()[0];
  console.log(`native | ${machineLine()} | one thread | ${CLOCK} clock`);
  const m = ensureModelFiles(name, { formats: [quant] });
  const file = m.files[quant];
  const loaded = loadModel({ bytes: new Uint8Array(readFileSync(file.abs)), file: file.rel });
  const results = [];
  const add = (engine, rows) => {
    for (const { test, tokens, samples } of rows) {
      const { mean, sd } = meanSd(samples);
      results.push({ model: name, file: quant, engine, test, tokens, tokens_per_s: +mean.toFixed(2), stddev: +sd.toFixed(2), best: +Math.max(...samples).toFixed(2) });
    }
  };
  const engine = await createEngine(mode, loaded, { maxPositions: Math.max(nPrompt, nGen), threads: 1 });
  add(`dyadic ${mode} ${engine.backend}`, benchEngine(engine, { nPrompt, nGen, reps, clock: now }));
  engine.runtime?.close();
  const nlc = await importNodeLlamaCpp();
  if (nlc) add('llama.cpp (node-llama-cpp)', await benchNative(nlc, file.abs, { nPrompt, nGen, reps, vocab: m.config.vocabSize }));
  const load1 = os.loadavg()[0];
  printTable(['engine', 'test', 't/s mean', 'sd', 'best'], results.map((r) => [r.engine, `${r.test}${r.tokens}`, r.tokens_per_s.toFixed(1), r.stddev.toFixed(1), r.best.toFixed(1)]));
  const ratios = ['pp', 'tg'].map((test) => {
    const d = results.find((r) => r.test === test && r.engine.startsWith('dyadic'));
    const n = results.find((r) => r.test === test && r.engine.startsWith('llama.cpp'));
    return d && n ? { test, dyadic_over_native: +(d.best / n.best).toFixed(3) } : undefined;
  }).filter(Boolean);
  for (const r of ratios) console.log(`${r.test}: dyadic / native (best runs) = ${r.dyadic_over_native.toFixed(2)}x`);
  console.log(`load average (1 min): ${load0.toFixed(2)} at the start, ${load1.toFixed(2)} at the end`);
  return { machine: machineLine(), clock: CLOCK, load: [load0, load1], model: name, file: quant, mode, results, ratios };
}
