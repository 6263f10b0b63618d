// Shared by the quantize commands: GPTQ calibration and a one-line progress display.
import { type ParsedFlags, UsageError } from './args.js';
import { readBytes } from '../entry/node-files.js';
import { type LayerHessians, collectHessians, sampleCalibrationSequences } from '../offline/calibrate.js';
import { splitStories } from '../model/evaluate.js';
import type { LoadedModel } from '../model/load.js';

/**
 * GPTQ's Hessians from --calib text (first --calib-sequences stories, 256 tokens each) or, without it, from
 * sequences the float model samples itself (data-free: no evaluation text leaks into the weights).
 */
export function calibrate(model: LoadedModel, f: ParsedFlags, show: Progress): { hessians: LayerHessians[]; calibration: string; sequences: number[][] } {
  const count = (f.sequences as number | undefined) ?? 32;
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--calib-sequences ${count} must be a positive integer`);
  let sequences: number[][];
  let calibration: string;
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
  const hessians = collectHessians(model.config, model.weights, { sequences });
  show('collecting Hessians', 1, 1);
  return { hessians, calibration, sequences };
}

export type Progress = (stage: string, done: number, total: number) => void;

/** One line of progress on a terminal, rewritten in place; nothing when stderr is not a terminal. */
export function progress(enabled: boolean): Progress {
  return (stage, done, total) => {
    if (!enabled) return;
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r${stage.padEnd(28)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
  };
}

