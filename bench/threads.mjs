// Threads: the same dyadic work on 1 thread and on 2 (or --threads T) threads in one process, printed as
// ratios. GEMM (W8A8 and W4A8, both builds) over M at N = K = 2048, and decode / prefill of the e2e
// bench's 288-dim models (vocab 512 and 32000; random weights, speed does not depend on values).
// Both runtimes of a comparison are measured in R interleaved rounds (default 3) and keep their best, so
// load from other processes on the shared machine hits both alike.
//   npm run bench -- threads [--json FILE] [--threads T] [--rounds R] [--quick] [--busy]
// --busy keeps a CPU-bound child process running for the whole bench (a second core that is not free),
// which shows what threads cost on a shared machine.
import {
  IntegerLlama, llamaConfig, loadRuntime, packWeights, matmul, quantizeLlama, randomLlamaWeights, availableThreads,
} from '../dist/entry/node.js';
import { spawn } from 'node:child_process';
import { machineLine, measure, printTable } from './lib/measure.mjs';

const MODELS = {
  '288-v512': llamaConfig({ dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6, vocabSize: 512, contextLength: 256 }),
  '288-v32000': llamaConfig({ dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6, vocabSize: 32000, contextLength: 256 }),
};

function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

const option = (args, name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);

/** Best of R interleaved rounds of each named closure: { name: perSecond }. */
async function interleaved(rounds, entries, opts) {
  const best = Object.fromEntries(entries.map(([name]) => [name, 0]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of entries) best[name] = Math.max(best[name], (await measure(name, fn, opts)).perSecond);
  }
  return best;
}

export async function main(args) {
  const threads = Number(option(args, '--threads', Math.min(2, availableThreads())));
  const rounds = Number(option(args, '--rounds', 3));
  const quick = args.includes('--quick');
  const busy = args.includes('--busy');
  console.log(`${machineLine()}; 1 thread vs ${threads} threads${busy ? '; a busy-loop process runs beside' : ''}`);
  if (threads < 2) throw new Error(`this host offers ${availableThreads()} thread(s); nothing to compare`);
  const burner = busy ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : undefined;
  try {
    return await compare(threads, rounds, quick, busy);
  } finally {
    burner?.kill();
  }
}

async function compare(threads, rounds, quick, busy) {
  const results = [];
  for (const build of ['simd', 'relaxed']) {
    const one = await loadRuntime({ build, threads: 1 });
    const many = await loadRuntime({ build, threads });
    // GEMM: N = K = 2048, int8 outputs with per-row requantization (what a model layer does).
    const N = 2048, K = 2048;
    const rand = lcg(11);
    for (const bits of quick ? [8] : [8, 4]) {
      const w = new Int8Array(N * K).map(() => Math.floor(rand() * (1 << bits)) - (1 << (bits - 1)));
      const p1 = packWeights(one, w, { N, K, bits });
      const pT = packWeights(many, w, { N, K, bits });
      for (const M of quick ? [1, 128] : [1, 4, 16, 128]) {
        const a = new Int8Array(M * K).map(() => Math.floor(rand() * 256) - 128);
        const best = await interleaved(rounds, [['1', () => matmul(one, p1, a, { M })], ['T', () => matmul(many, pT, a, { M })]]);
        results.push({ kind: 'gemm', build, shape: `W${bits}A8 M=${M} N=${N} K=${K}`, one: best['1'], many: best.T, unit: 'calls/s' });
      }
    }
    // Decode and prefill of the 288-dim models (w8a8): one forward per token at positions 64..191.
    for (const [name, config] of Object.entries(MODELS)) {
      if (quick && name !== '288-v32000') continue;
      const weights = randomLlamaWeights(config, 7);
      const quantized = quantizeLlama(config, weights, { bits: 8 });
      const models = [one, many].map((rt) => new IntegerLlama(rt, quantized, 'w8a8', { maxPositions: 256, maxBatch: 64 }));
      const prompt = Array.from({ length: 64 }, (_, i) => (i * 7919) % config.vocabSize);
      const steppers = models.map((model) => {
        model.prefill(prompt, 0);
        let pos = 64;
        return () => {
          model.forward(pos % config.vocabSize, pos);
          pos = pos >= 191 ? 64 : pos + 1;
        };
      });
      const tg = await interleaved(rounds, [['1', steppers[0]], ['T', steppers[1]]]);
      results.push({ kind: 'model', build, shape: `${name} w8a8 decode`, one: tg['1'], many: tg.T, unit: 'tokens/s' });
      const pp = await interleaved(rounds, models.map((m, i) => [i ? 'T' : '1', () => m.prefill(prompt, 0)]), { time: 500 });
      results.push({ kind: 'model', build, shape: `${name} w8a8 prefill 64`, one: pp['1'] * 64, many: pp.T * 64, unit: 'tokens/s' });
    }
    many.close();
  }
  printTable(
    ['build', 'work', 'unit', '1 thread', `${threads} threads`, 'ratio'],
    results.map((r) => [r.build, r.shape, r.unit, r.one.toFixed(1), r.many.toFixed(1), (r.many / r.one).toFixed(2)]),
  );
  return { machine: machineLine(), threads, busy, results: results.map((r) => ({ ...r, ratio: r.many / r.one })) };
}
