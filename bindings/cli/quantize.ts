// `dyadic quantize -m MODEL -o OUT --bits 8|7|6|4 [--act-bits 8|6|4] [--sparsity S] [--calib FILE] [--calib-sequences N] [--json]`:
// quantizes a float model once (offline, float allowed) and saves the integer model as a GGUF file that
// `dyadic generate/eval -m OUT --mode wBa8` load without requantizing. Below 8 bits the weights go
// through GPTQ with Hessians calibrated on --calib text, or, without it, on sequences the float model
// samples itself (data-free: no evaluation text leaks into the weights).
import { writeFileSync } from 'node:fs';
import { type FlagSpec, UsageError, parseFlags } from './args.js';
import { loadModelFromPath, readBytes } from '../entry/node-files.js';
import { modelPath } from './commands.js';
import { calibrate, progress } from './calibration.js';
import { quantizeBlocksCommand } from './quantize-blocks.js';
import { quantizeLlama } from '../offline/quantize-model.js';
import { saveQuantizedGguf } from '../offline/quantized-gguf-write.js';
import { parseGguf } from '../formats/gguf.js';
import type { WeightBits } from '../common/weights.js';

export const quantizeFlags = {
  model: { names: ['-m', '--model'], kind: 'string', value: 'MODEL', required: true, help: 'the float model to quantize (a path or a bundled model name)' },
  out: { names: ['-o', '--output'], kind: 'string', value: 'OUT', required: true, help: 'the GGUF file to write' },
  bits: { names: ['--bits'], kind: 'number', value: '8|7|6|4 (2..8 with --group)', required: true, help: 'weight bits (GPTQ + smoothing below 8); with --group or --format: llama.cpp block types' },
  actBits: { names: ['--act-bits'], kind: 'number', value: '8|6|4', help: 'activation bits', default: '8' },
  sparsity: { names: ['--sparsity'], kind: 'number', value: 'S', help: 'fraction of weight blocks pruned for the block-sparse kernels (--bits 8 or 4)', default: '0' },
  calib: { names: ['--calib'], kind: 'string', value: 'TEXT', help: 'calibration text file (stories separated by <|endoftext|>)', default: 'sequences the float model samples itself' },
  sequences: { names: ['--calib-sequences'], kind: 'number', help: 'calibration sequences', default: '32' },
  json: { names: ['--json'], kind: 'boolean', help: 'print one JSON object on stdout' },
  format: { names: ['--format'], kind: 'string', value: 'q4_0|q4_1|q5_0|q5_1|q8_0|q2_k|q3_k|q4_k|q5_k|q6_k', help: 'write a standard llama.cpp GGUF in this block type (round-to-nearest as llama.cpp, or GPTQ with --bits/--gptq)' },
  group: { names: ['--group'], kind: 'number', value: '32', help: 'group size of --bits in llama.cpp block types (GPTQ inside each block, MSE-searched scales, smoothing)' },
  pure: { names: ['--pure'], kind: 'boolean', help: 'with --format: every matrix in the type (otherwise the output matrix takes Q6_K/Q8_0 as llama.cpp does)' },
  gptq: { names: ['--gptq'], kind: 'boolean', help: 'with --format: GPTQ + smoothing instead of llama.cpp\'s round-to-nearest' },
  targetBpw: { names: ['--target-bpw'], kind: 'number', value: 'X', help: 'bits per tensor chosen by measured sensitivity to fit X bits per parameter' },
} satisfies Record<string, FlagSpec>;

export async function quantizeCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, quantizeFlags);
  if (typeof f.model !== 'string') throw new UsageError('-m MODEL is required');
  if (typeof f.out !== 'string') throw new UsageError('-o OUT is required');
  if (f.format !== undefined || f.group !== undefined || f.targetBpw !== undefined) return quantizeBlocksCommand({ ...f, model: modelPath(f.model) });
  const bits = f.bits as number | undefined;
  if (bits !== 8 && bits !== 7 && bits !== 6 && bits !== 4) throw new UsageError(`--bits must be 8, 7, 6 or 4, got ${bits}`);
  const actBits = (f.actBits as number | undefined) ?? 8;
  if (actBits !== 8 && actBits !== 6 && actBits !== 4) throw new UsageError(`--act-bits must be 8, 6 or 4, got ${actBits}`);
  const sparsity = (f.sparsity as number | undefined) ?? 0;
  if (!(sparsity >= 0 && sparsity < 1)) throw new UsageError(`--sparsity ${sparsity} must be in [0, 1)`);
  if (sparsity > 0 && bits !== 8 && bits !== 4) throw new UsageError(`--sparsity needs --bits 8 or 4 (the block-sparse kernels' widths)`);
  const json = f.json === true;
  const show = progress(!json && process.stderr.isTTY === true);
  const started = performance.now();

  const path = modelPath(f.model);
  const model = loadModelFromPath(path);
  const mode = `w${bits}a${actBits}`;
  const { hessians, calibration } = bits < 8 ? calibrate(model, f, show) : { hessians: undefined, calibration: undefined };
  const quantized = quantizeLlama(model.config, model.weights, { bits: bits as WeightBits, activationBits: actBits, clip: 'mse', hessians, smooth: hessians !== undefined, sparsity });
  show('quantizing', 1, 1);
  const source = model.format === 'gguf' ? parseGguf(readBytes(path), path) : undefined;
  const bytes = saveQuantizedGguf(quantized, { mode, tokenizerMetadata: source?.metadata, calibration });
  writeFileSync(f.out, bytes);
  const seconds = (performance.now() - started) / 1000;
  if (json) process.stdout.write(JSON.stringify({ out: f.out, mode, bytes: bytes.length, seconds, calibration: calibration ?? null }) + '\n');
  else process.stderr.write(`wrote ${f.out}: ${mode}, ${bytes.length} bytes, ${seconds.toFixed(1)} s${calibration ? `, GPTQ calibrated on ${calibration}` : ''}\n`);
}
