// The e2e bench's synthetic GGUF files (bench/lib/e2e-models.mjs) are what both dyadic and llama.cpp load,
// so they must be what they claim: the shapes of the issue, llama.cpp's tokenizer copied over, Q8_0 the
// same weights as F32 within Q8_0's rounding. Read back with dyadic's own GGUF reader (not the writer).
// Also the greedy pick both engines' runs rely on: never a banned byte token or EOS.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseGguf, ggufTensorF32 } from '../../bindings/formats/gguf.js';
import { ggufConfig } from '../../bindings/model/from-gguf.js';
// @ts-expect-error: plain .mjs bench helpers without type declarations
import { ensureModelFiles, E2E_MODELS, BANNED_TOKENS } from '../../bench/lib/e2e-models.mjs';
// @ts-expect-error: plain .mjs bench helpers without type declarations
import { argmaxAllowed } from '../../bench/lib/e2e-dyadic.mjs';
import { freshSeed, seededPerTest } from '../helpers/rng.js';
import { readModelFile } from '../model/helpers/paths.js';

const SEED = freshSeed(); // named in the describe title
const random = seededPerTest(SEED);

describe(`e2e bench models (seed ${SEED})`, () => {
  it('writes the 288-dim vocab-512 model as F32 and Q8_0 GGUF with its shape, llama.cpp tokenizer and equal weights', () => {
    const m = ensureModelFiles('15m-v512');
    const f32 = parseGguf(readFileSync(m.files.f32.abs), 'f32.gguf');
    const q8 = parseGguf(readFileSync(m.files.q8_0.abs), 'q8.gguf');
    const source = parseGguf(readModelFile('stories260K.gguf'), 'stories260K.gguf');
    const spec = E2E_MODELS['15m-v512'].config;
    for (const g of [f32, q8]) {
      const c = ggufConfig(g);
      expect([c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKvHeads, c.vocabSize]).toEqual([spec.dim, spec.hiddenDim, spec.nLayers, spec.nHeads, spec.nHeads, 512]);
      expect(g.metadata.get('tokenizer.ggml.tokens')).toEqual(source.metadata.get('tokenizer.ggml.tokens'));
      expect(g.metadata.get('tokenizer.ggml.scores')).toEqual(source.metadata.get('tokenizer.ggml.scores'));
    }
    expect(f32.metadata.get('general.file_type')).toBe(0);
    expect(q8.metadata.get('general.file_type')).toBe(7);
    for (const [name, t] of f32.tensors) {
      expect(t.type).toBe(0);
      const q = q8.tensors.get(name)!;
      expect(q.dims).toEqual(t.dims);
      const a = ggufTensorF32(f32, name);
      const b = ggufTensorF32(q8, name);
      if (t.dims.length === 1) {
        expect(q.type).toBe(0); // norms stay F32, bit for bit
        expect(b).toEqual(a);
        continue;
      }
      expect(q.type).toBe(8);
      let outside = 0; // elements beyond half a step of their block's scale plus the f16 rounding of the scale
      for (let blk = 0; blk < a.length; blk += 32) {
        let amax = 0;
        for (let i = blk; i < blk + 32; i++) amax = Math.max(amax, Math.abs(a[i]));
        for (let i = blk; i < blk + 32; i++) if (Math.abs(b[i] - a[i]) > (amax / 127) * 0.5 + amax * 2 ** -10) outside++;
      }
      expect(outside, name).toBe(0);
    }
  });

  it('greedy pick skips the banned byte tokens and EOS and otherwise is the first maximum', () => {
    const eos = 2;
    for (let trial = 0; trial < 50; trial++) {
      const n = trial === 0 ? 512 : 300 + Math.floor(random() * 700);
      const logits = Int32Array.from({ length: n }, () => Math.floor(random() * 2001) - 1000);
      if (trial % 2 === 0) logits[3 + (trial % 256)] = 5000; // a banned token holds the maximum
      if (trial % 3 === 0) logits[eos] = 6000;
      let best = -1;
      for (let i = 0; i < n; i++) {
        if (i === eos || (i >= BANNED_TOKENS.first && i <= BANNED_TOKENS.last)) continue;
        if (best < 0 || logits[i] > logits[best]) best = i;
      }
      expect(argmaxAllowed(logits, BANNED_TOKENS, eos)).toBe(best);
    }
  });
});
