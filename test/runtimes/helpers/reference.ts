// What Node prints for a request: the same package entry the CLI uses (createEngine + createSampler +
// generate), so the browser demo and the Worker example are compared with Node, not with themselves.
import { readFileSync } from 'node:fs';
import { createEngine, createSampler, generate, loadModel, type LoadedModel } from '../../../dist/entry/node.js';

export const MODEL_PATH = new URL('../../../models/stories260K.gguf', import.meta.url);
export const modelBytes = (): Uint8Array => new Uint8Array(readFileSync(MODEL_PATH));

let cached: LoadedModel | undefined;
export function bundledModel(): LoadedModel {
  cached ??= loadModel({ bytes: modelBytes(), file: 'stories260K.gguf' });
  return cached;
}

export interface GenerationRequest {
  prompt: string;
  mode: string;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
}

/** Node's tokens and text for a request on the bundled model (one argument: usable as `requests.map(nodeGeneration)`). */
export function nodeGeneration(r: GenerationRequest): Promise<{ tokens: number[]; text: string }> {
  return nodeGenerationOn(bundledModel(), r);
}

/** Node's tokens and text for a request on `model`, one thread, KV cache planned for the model's whole context as the examples do. */
export async function nodeGenerationOn(model: LoadedModel, r: GenerationRequest): Promise<{ tokens: number[]; text: string }> {
  const engine = await createEngine(r.mode, model, { maxPositions: model.config.contextLength });
  const sampler = createSampler(engine, { temperature: r.temperature, topP: r.topP, seed: r.seed });
  const { tokens, text } = generate(engine, model.tokenizer!, sampler, { prompt: r.prompt, maxTokens: r.maxTokens });
  return { tokens, text };
}

export { freshSeed } from '../../helpers/seed.js';

/**
 * `request` with a fresh seed whose story on `model` runs past `minTokens` tokens on Node (random-weight
 * models sample EOS after a few tokens for some seeds, which leaves too few decode steps to check).
 */
export async function withLongStory(model: LoadedModel, request: GenerationRequest, minTokens = 10): Promise<GenerationRequest> {
  let r = request;
  for (let tries = 0; tries < 50 && (await nodeGenerationOn(model, r)).tokens.length <= minTokens; tries++) r = { ...r, seed: (r.seed % 2 ** 32) + 1 };
  return r;
}
