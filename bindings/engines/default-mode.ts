// The engine a model runs when the caller names none (the CLI without --mode): a file `dyadic quantize`
// wrote runs in its own mode; a file of llama.cpp block-quantized tensors runs mode `native` when that
// engine is registered (its group-wise kernels, no requantization); a float file runs the integer
// engine w8a8, unless the integer model cannot represent it (Q/K/V biases, Qwen2), which runs the float32
// JavaScript reference.
import { engineModes, type EngineMode } from './engines.js';
import type { LoadedModel } from '../model/load.js';

/** Tensor types that are plain floats (anything else in a GGUF file is a block-quantized type). */
const FLOAT_TYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

export function defaultMode(model: LoadedModel): EngineMode {
  if (model.quantized) return model.quantized.mode as EngineMode;
  const blockQuantized = model.format === 'gguf' && model.tensors.some((t) => !FLOAT_TYPES.has(t.type));
  // dyadic's own group-wise types (DQ*, `dyadic quantize --group 64|128 / --target-bpw`) have no native kernels yet
  const ownTypes = model.tensors.some((t) => t.type.startsWith('DQ'));
  if (blockQuantized && !ownTypes && engineModes().includes('native')) return 'native' as EngineMode;
  return model.config.qkvBias ? 'float32' : 'w8a8';
}
