// generateSteps is generate() one piece at a time (browsers and Workers await between pieces to repaint or
// flush): it must print the same pieces and sample the same tokens as generate() for the same seed.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createEngine, createSampler, generate, generateSteps, loadModel } from '../../dist/entry/node.js';
import { freshSeed } from '../helpers/rng.js';

const bytes = new Uint8Array(readFileSync(new URL('../../models/stories260K.gguf', import.meta.url)));

describe('generateSteps', () => {
  for (const mode of ['float32', 'w8a8']) {
    it(`yields generate()'s pieces and returns its tokens (${mode}, seeded sampling, seed ${freshSeed()})`, async () => {
      const model = loadModel({ bytes, file: 'stories260K.gguf' });
      const seed = freshSeed();
      const options = { temperature: 0.9, topP: 0.9, seed };
      const run = async () => {
        const engine = await createEngine(mode, model, { maxPositions: 128 });
        return { engine, sampler: createSampler(engine, options) };
      };
      const a = await run();
      const pieces: number[][] = [];
      const want = generate(a.engine, model.tokenizer!, a.sampler, { prompt: 'Once upon', maxTokens: 60, onPiece: (p) => pieces.push([...p]) });
      const b = await run();
      const steps = generateSteps(b.engine, model.tokenizer!, b.sampler, { prompt: 'Once upon', maxTokens: 60 });
      const got: number[][] = [];
      let step = steps.next();
      for (; !step.done; step = steps.next()) got.push([...step.value]);
      expect(got, `seed ${seed}`).toEqual(pieces);
      expect(step.value.tokens, `seed ${seed}`).toEqual(want.tokens);
      expect(step.value.text).toBe(want.text);
      expect(want.tokens.length).toBeGreaterThan(0);
    });
  }
});
