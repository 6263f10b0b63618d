// What computing logits only for the prompt's last position saves: prefill with onLogits (every
// position's logits, what eval asks for, and what every prefill did before) against plain prefill (the
// last position's only), same engine, same prompt, one process, interleaved best of R.
//   npm run bench -- prefill-logits [--model 135m] [--mode w8a8] [-p 100] [-r 5]
// The models are bench/lib/e2e-models.mjs's synthetic Q8_0 GGUF files. DYADIC_BENCH_CLOCK=cpu: CPU time.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { loadModel, createEngine } from '../dist/entry/node.js';
import { promptTokens } from '../dist/cli/bench.js';
import { ensureModelFiles } from './lib/e2e-models.mjs';
import { machineLine, now, CLOCK } from './lib/measure.mjs';

const flag = (args, name, fallback) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : fallback);

export async function main(args) {
  const name = flag(args, '--model', '135m');
  const mode = flag(args, '--mode', 'w8a8');
  const nPrompt = Number(flag(args, '-p', '100'));
  const reps = Number(flag(args, '-r', '5'));
  const load0 = os.loadavg()[0];
  console.log(`prefill-logits | ${machineLine()} | one thread`);
  const file = ensureModelFiles(name, { formats: ['q8_0'] }).files.q8_0;
  const engine = await createEngine(mode, loadModel({ bytes: new Uint8Array(readFileSync(file.abs)), file: file.rel }), { maxPositions: nPrompt, threads: 1 });
  const tokens = promptTokens(nPrompt, engine.config.vocabSize);
  const runs = { all: () => engine.prefill(tokens, 0, () => {}), last: () => engine.prefill(tokens, 0) };
  const best = { all: 0, last: 0 };
  for (let r = 0; r <= reps; r++) {
    for (const [k, f] of Object.entries(runs)) {
      const t0 = now();
      f();
      const rate = nPrompt / ((now() - t0) / 1000);
      if (r > 0) best[k] = Math.max(best[k], rate); // round 0 warms up
    }
  }
  engine.runtime?.close();
  const load1 = os.loadavg()[0];
  const ratio = best.last / best.all;
  console.log(`${name} ${mode} pp${nPrompt}: every position's logits ${best.all.toFixed(1)} t/s, last position only ${best.last.toFixed(1)} t/s: ${ratio.toFixed(2)}x (${CLOCK} clock, load ${load0.toFixed(2)} -> ${load1.toFixed(2)})`);
  return { machine: machineLine(), clock: CLOCK, load: [load0, load1], model: name, mode, nPrompt, all_positions_tps: +best.all.toFixed(2), last_position_tps: +best.last.toFixed(2), ratio: +ratio.toFixed(3) };
}
