// Inference engines by mode name. The CLI and the evaluators only see LanguageModel, so an integer
// engine (another issue) registers itself here and is picked with `--mode NAME`.
import { InvalidInputError } from '../formats/errors.js';
import type { LoadedModel } from '../model/load.js';
import type { LanguageModel } from '../model/language-model.js';
import { FloatLlama } from '../model/float-llama.js';
import { createIntegerEngine, createNativeEngine, INTEGER_MODE_NAMES } from './integer.js';
import type { IntegerMode } from '../model/integer/quantized-llama.js';
import { IntegerLlama } from '../model/integer/integer-llama.js';
import { Sampler, type SamplerOptions } from '../sampling/sampler.js';
import { IntegerSampler } from '../sampling/integer-sampler.js';
import type { TokenSampler } from '../model/generate.js';

export interface EngineOptions {
  /** Positions to plan the KV cache for (default: the model's context length). */
  maxPositions?: number;
  /** Kernel threads of an integer engine (see IntegerEngineOptions.threads); the float32 reference ignores it. */
  threads?: number | 'auto';
}

/**
 * The modes createEngine knows: the float32 reference (`float` is an alias) and the integer modes. A
 * string from outside (a flag, a request body) is checked at run time: an unknown mode throws
 * InvalidInputError naming the available ones.
 */
export type EngineMode = 'float32' | 'float' | IntegerMode | 'native';

export type EngineFactory = (model: LoadedModel, options: EngineOptions) => LanguageModel | Promise<LanguageModel>;

const engines = new Map<string, EngineFactory>([
  ['float32', (m, o) => new FloatLlama(m.config, m.weights, { maxPositions: o.maxPositions })],
  ...INTEGER_MODE_NAMES.map((mode): [string, EngineFactory] => [mode, (m, o) => createIntegerEngine(mode, m, o)]),
  ['native', (m, o) => createNativeEngine(m, o)],
]);

export function registerEngine(mode: string, factory: EngineFactory): void {
  engines.set(mode, factory);
}

export function engineModes(): string[] {
  return [...engines.keys()];
}

/** Names that mean another mode (`--mode float` is the float32 reference). */
const ALIASES: Record<string, string> = { float: 'float32' };

export async function createEngine(mode: EngineMode, model: LoadedModel, options: EngineOptions = {}): Promise<LanguageModel> {
  const factory = typeof mode === 'string' ? engines.get(ALIASES[mode] ?? mode) : undefined;
  if (!factory) throw new InvalidInputError(`unknown mode "${mode}" (available: ${engineModes().join(', ')})`);
  return factory(model, options);
}

/**
 * The sampler that fits an engine: integer engines sample from their integer logits with integer
 * arithmetic (IntegerSampler); the float reference uses the float Sampler. Same seed, same PRNG stream.
 */
export function createSampler(engine: LanguageModel, options: SamplerOptions): TokenSampler {
  if (engine instanceof IntegerLlama) {
    const integer = new IntegerSampler(engine.runtime, engine.config.vocabSize, options);
    return { sample: (logits) => integer.sample(logits as Int32Array, engine.logitDyadic) };
  }
  return new Sampler(engine.config.vocabSize, options);
}
