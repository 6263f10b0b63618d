// `dyadic quantize -m MODEL -o OUT --bits 8|7|6|4 [--act-bits 8|6|4] [--sparsity S] [--calib FILE] [--calib-sequences N] [--json]`:
// quantizes a float model once (offline, float allowed) and saves the integer model as a GGUF file that
// `dyadic generate/eval -m OUT --mode wBa8` load without requantizing. Below 8 bits the weights go
// through GPTQ with Hessians calibrated on --calib text, or, without it, on sequences the float model
// samples itself (data-free: no evaluation text leaks into the weights).
import { writeFileSync } from 'node:fs';
import { type FlagSpec, UsageError, parseFlags } from './args.js';
import { loadModelFromPath, readBytes } from './node-files.js';
import { modelPath } from './commands.js';
import { collectHessians, sampleCalibrationSequences } from '../model/integer/calibrate.js';
import { quantizeLlama } from '../model/integer/quantize-model.js';
import { saveQuantizedGguf } from '../model/integer/quantized-gguf.js';
import { splitStories } from '../model/evaluate.js';
import { parseGguf } from '../formats/gguf.js';
import type { WeightBits } from '../quant/weights.js';

export const quantizeFlags = {
  model: { names: ['-m', '--model'], kind: 'string', value: 'MODEL', required: true, help: 'the float model to quantize (a path or a bundled model name)' },
  out: { names: ['-o', '--output'], kind: 'string', value: 'OUT', required: true, help: 'the GGUF file to write' },
  bits: { names: ['--bits'], kind: 'number', value: '8|7|6|4', required: true, help: 'weight bits (GPTQ + smoothing below 8)' },
  actBits: { names: ['--act-bits'], kind: 'number', value: '8|6|4', help: 'activation bits', default: '8' },
  sparsity: { names: ['--sparsity'], kind: 'number', value: 'S', help: 'fraction of weight blocks pruned for the block-sparse kernels (--bits 8 or 4)', default: '0' },
  calib: { names: ['--calib'], kind: 'string', value: 'TEXT', help: 'calibration text file (stories separated by <|endoftext|>)', default: 'sequences the float model samples itself' },
  sequences: { names: ['--calib-sequences'], kind: 'number', help: 'calibration sequences', default: '32' },
  json: { names: ['--json'], kind: 'boolean', help: 'print one JSON object on stdout' },
} satisfies Record<string, FlagSpec>;

/** One line of progress on a terminal, rewritten in place; nothing when stderr is not a terminal. */
function progress(enabled: boolean): (stage: string, done: number, total: number) => void {
  return (stage, done, total) => {
    if (!enabled) return;
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r${stage.padEnd(28)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
  };
}

export async function quantizeCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, quantizeFlags);
  if (typeof f.model !== 'string') throw new UsageError('-m MODEL is required');
  if (typeof f.out !== 'string') throw new UsageError('-o OUT is required');
  const bits = f.bits as number | undefined;
  if (bits !== 8 && bits !== 7 && bits !== 6 && bits !== 4) throw new UsageError(`--bits must be 8, 7, 6 or 4, got ${bits}`);
  const actBits = (f.actBits as number | undefined) ?? 8;
  if (actBits !== 8 && actBits !== 6 && actBits !== 4) throw new UsageError(`--act-bits must be 8, 6 or 4, got ${actBits}`);
  const sparsity = (f.sparsity as number | undefined) ?? 0;
  if (!(sparsity >= 0 && sparsity < 1)) throw new UsageError(`--sparsity ${sparsity} must be in [0, 1)`);
  if (sparsity > 0 && bits !== 8 && bits !== 4) throw new UsageError(`--sparsity needs --bits 8 or 4 (the block-sparse kernels' widths)`);
  const count = (f.sequences as number | undefined) ?? 32;
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--calib-sequences ${count} must be a positive integer`);
  const json = f.json === true;
  const show = progress(!json && process.stderr.isTTY === true);
  const started = performance.now();

  const path = modelPath(f.model);
  const model = loadModelFromPath(path);
  const mode = `w${bits}a${actBits}`;
  let hessians;
  let calibration: string | undefined;
  if (bits < 8) {
    let sequences: number[][];
    if (typeof f.calib === 'string') {
      if (!model.tokenizer) throw new UsageError(`${model.file} carries no vocabulary to tokenize --calib text with`);
      const tokenizer = model.tokenizer;
      const text = new TextDecoder().decode(readBytes(f.calib));
      sequences = splitStories(text).slice(0, count).map((s) => tokenizer.encode(s).slice(0, 256));
      calibration = `${sequences.length} sequences of ${f.calib}`;
    } else {
      sequences = [];
      for (let i = 0; i < count; i++) {
        sequences.push(...sampleCalibrationSequences(model.config, model.weights, { count: 1, length: 256, seed: 1234 + i }));
        show('sampling calibration text', i + 1, count);
      }
      calibration = `${count} sequences of 256 tokens sampled from the float model`;
    }
    hessians = collectHessians(model.config, model.weights, { sequences });
    show('collecting Hessians', 1, 1);
  }
  const quantized = quantizeLlama(model.config, model.weights, { bits: bits as WeightBits, activationBits: actBits, clip: 'mse', hessians, smooth: hessians !== undefined, sparsity });
  show('quantizing', 1, 1);
  const source = model.format === 'gguf' ? parseGguf(readBytes(path), path) : undefined;
  const bytes = saveQuantizedGguf(quantized, { mode, tokenizerMetadata: source?.metadata, calibration });
  writeFileSync(f.out, bytes);
  const seconds = (performance.now() - started) / 1000;
  if (json) process.stdout.write(JSON.stringify({ out: f.out, mode, bytes: bytes.length, seconds, calibration: calibration ?? null }) + '\n');
  else process.stderr.write(`wrote ${f.out}: ${mode}, ${bytes.length} bytes, ${seconds.toFixed(1)} s${calibration ? `, GPTQ calibrated on ${calibration}` : ''}\n`);
}
