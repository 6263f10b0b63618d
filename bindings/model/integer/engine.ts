// The integer engines by mode name (w8a8, w7a8, w6a8, w4a8): quantize the loaded float model offline,
// then plan an IntegerLlama on a fresh kernel runtime. The host entry (node, browser, workerd) must have
// been imported so the runtime knows where its wasm comes from.
import { loadRuntime } from '../../runtime/load.js';
import { InvalidInputError } from '../../formats/errors.js';
import type { BuildChoice } from '../../runtime/features.js';
import type { LoadedModel } from '../load.js';
import { IntegerLlama } from './integer-llama.js';
import { INTEGER_MODES, quantizeLlama, type IntegerMode } from './quantize-model.js';

export interface IntegerEngineOptions {
  maxPositions?: number;
  build?: BuildChoice;
}

export async function createIntegerEngine(mode: IntegerMode, model: LoadedModel, o: IntegerEngineOptions = {}): Promise<IntegerLlama> {
  if (model.quantized && model.quantized.mode !== mode) {
    throw new InvalidInputError(`${model.file} is quantized as ${model.quantized.mode}; run it with --mode ${model.quantized.mode} (or float32)`);
  }
  const runtime = await loadRuntime({ build: o.build });
  if (model.quantized) return new IntegerLlama(runtime, model.quantized.model, mode, { maxPositions: o.maxPositions });
  // MSE-searched clipping costs nothing at inference and matters at 4 bits (W4A8 on stories260K:
  // +10.6% NLL instead of +14.7% with absmax, 20 stories); at 8 bits plain absmax keeps greedy decoding
  // closer to float (first difference after 23 tokens with MSE clipping, later with absmax).
  const { weightBits, activationBits } = INTEGER_MODES[mode];
  const quantized = quantizeLlama(model.config, model.weights, { bits: weightBits, activationBits, clip: weightBits < 8 ? 'mse' : 'absmax' });
  return new IntegerLlama(runtime, quantized, mode, { maxPositions: o.maxPositions });
}

export const INTEGER_MODE_NAMES = Object.keys(INTEGER_MODES) as IntegerMode[];
