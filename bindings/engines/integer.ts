// The integer engines by mode name (w8a8, w7a8, w6a8, w4a8): quantize the loaded float model offline,
// then plan an IntegerLlama on a fresh kernel runtime. The host entry (node, browser, workerd) must have
// been imported so the runtime knows where its wasm comes from.
import { loadRuntime } from '../runtime/load.js';
import { InvalidInputError } from '../formats/errors.js';
import type { BuildChoice } from '../runtime/features.js';
import type { LoadedModel } from '../model/load.js';
import { IntegerLlama } from '../model/integer/integer-llama.js';
import { INTEGER_MODES, type IntegerMode, type QuantizedLlama } from '../model/integer/quantized-llama.js';
import { quantizeLlama } from '../offline/quantize-model.js';
import { nativeWeights } from '../offline/native-weights.js';

export interface IntegerEngineOptions {
  maxPositions?: number;
  build?: BuildChoice;
  /** Cap on the engine's wasm memory (a Worker's 128 MB less what JavaScript holds); refused up front if short. */
  memoryLimitBytes?: number;
  /**
   * Threads that run the engine's kernels (default 1; 'auto': what the host offers, which in a browser
   * means cross-origin isolated pages only). The engine's runtime says how many run: `engine.runtime.threads`.
   */
  threads?: number | 'auto';
}

/** Throws InvalidInputError unless `mode` is an integer mode (the type says so; a string from outside may not). */
function checkIntegerMode(mode: IntegerMode): void {
  if (typeof mode !== 'string' || !Object.hasOwn(INTEGER_MODES, mode)) {
    throw new InvalidInputError(`unknown integer mode "${String(mode)}" (available: ${Object.keys(INTEGER_MODES).join(', ')})`);
  }
}

export async function createIntegerEngine(mode: IntegerMode, model: LoadedModel, o: IntegerEngineOptions = {}): Promise<IntegerLlama> {
  checkIntegerMode(mode);
  if (model.quantized && model.quantized.mode !== mode) {
    throw new InvalidInputError(`${model.file} is quantized as ${model.quantized.mode}; run it with --mode ${model.quantized.mode} (or float32)`);
  }
  const runtime = await loadRuntime({ build: o.build, memoryLimitBytes: o.memoryLimitBytes, threads: o.threads });
  try {
    return new IntegerLlama(runtime, quantizeForMode(mode, model), mode, { maxPositions: o.maxPositions });
  } catch (e) {
    runtime.close(); // a refused plan must not leave helper threads running (they keep Node alive)
    throw e;
  }
}

/**
 * The integer weights an engine of `mode` runs when it quantizes a float model on load (hosts that keep one
 * quantized copy and plan many engines on it, like the Worker example, call this once).
 */
export function quantizeForMode(mode: IntegerMode, model: LoadedModel): QuantizedLlama {
  checkIntegerMode(mode);
  if (model.quantized) return model.quantized.model;
  // MSE-searched clipping costs nothing at inference and matters at 4 bits (W4A8 on stories260K:
  // +10.6% NLL instead of +14.7% with absmax, 20 stories); at 8 bits plain absmax keeps greedy decoding
  // closer to float (first difference after 23 tokens with MSE clipping, later with absmax).
  const { weightBits, activationBits } = INTEGER_MODES[mode];
  return quantizeLlama(model.config, model.weights, { bits: weightBits, activationBits, clip: weightBits < 8 ? 'mse' : 'absmax' });
}

export const INTEGER_MODE_NAMES = Object.keys(INTEGER_MODES) as IntegerMode[];

/**
 * Mode native: the file's block-type tensors run at their stored precision on the group-wise kernels, read
 * from the file one tensor at a time while the engine is planned (no float copy of any block matrix).
 */
export async function createNativeEngine(model: LoadedModel, o: IntegerEngineOptions = {}): Promise<IntegerLlama> {
  if (!model.reader) throw new InvalidInputError(`${model.file} is not a GGUF file of llama.cpp block types; mode native runs those`);
  if (model.quantized) throw new InvalidInputError(`${model.file} is quantized by dyadic as ${model.quantized.mode}; run it with --mode ${model.quantized.mode}`);
  const weights = nativeWeights(model.config, model.reader);
  const runtime = await loadRuntime({ build: o.build, memoryLimitBytes: o.memoryLimitBytes, threads: o.threads });
  try {
    return new IntegerLlama(runtime, weights, 'native', { maxPositions: o.maxPositions });
  } catch (e) {
    runtime.close();
    throw e;
  }
}
