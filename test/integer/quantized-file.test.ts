import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadRuntime } from '../../bindings/entry/node.js';
import { loadModel } from '../../bindings/model/load.js';
import { parseGguf } from '../../bindings/formats/gguf.js';
import { quantizeLlama } from '../../bindings/offline/quantize-model.js';
import { IntegerLlama } from '../../bindings/model/integer/integer-llama.js';
import { saveQuantizedGguf } from '../../bindings/offline/quantized-gguf-write.js';
import { createIntegerEngine } from '../../bindings/engines/integer.js';
import { modelsDir } from '../model/helpers/paths.js';

const ggufPath = modelsDir + 'stories260K.gguf';

describe('quantized model files (GGUF with dyadic.* keys)', async () => {
  const source = readFileSync(ggufPath);
  const float = loadModel({ bytes: source, file: 'stories260K.gguf' });
  const rt = await loadRuntime({ build: 'relaxed' });

  for (const bits of [8, 4] as const) {
    it(`W${bits}A8 saved and reloaded gives the same integer logits as the in-memory model`, () => {
      const q = quantizeLlama(float.config, float.weights, { bits, clip: 'mse' });
      const bytes = saveQuantizedGguf(q, { mode: `w${bits}a8`, tokenizerMetadata: parseGguf(source).metadata });
      const loaded = loadModel({ bytes, file: 'q.gguf' });
      expect(loaded.quantized?.mode).toBe(`w${bits}a8`);
      expect(loaded.tokenizer?.encode('Once upon a time')).toEqual([1, 403, 407, 261, 378]);
      const g = parseGguf(bytes);
      expect(g.metadata.get('dyadic.mode')).toBe(`w${bits}a8`);
      expect(g.metadata.get('dyadic.bits.blk.0.attn_q')).toBe(bits);
      const tokens = [1, 403, 407, 261, 378, 1000 % 512];
      const a = new IntegerLlama(rt, q, 'mem', { maxPositions: 8 }).forwardIntRows(tokens, 0);
      const b = new IntegerLlama(rt, loaded.quantized!.model, 'file', { maxPositions: 8 }).forwardIntRows(tokens, 0);
      expect(b).toEqual(a);
    });
  }

  it('keeps block-sparse layers sparse through a save and reload', () => {
    const q = quantizeLlama(float.config, float.weights, { bits: 8, sparsity: 0.3 });
    const loaded = loadModel({ bytes: saveQuantizedGguf(q, { mode: 'w8a8' }), file: 'sparse.gguf' });
    expect(loaded.quantized!.model.layers[2].wUp.sparseBlock).toBe('4x16');
    const tokens = [1, 403, 407];
    const a = new IntegerLlama(rt, q, 'mem', { maxPositions: 8 }).forwardIntRows(tokens, 0);
    const b = new IntegerLlama(rt, loaded.quantized!.model, 'file', { maxPositions: 8 }).forwardIntRows(tokens, 0);
    expect(b).toEqual(a);
  });

  it('refuses another integer mode for a quantized file, and names a damaged tensor', async () => {
    const q = quantizeLlama(float.config, float.weights, { bits: 4 });
    const bytes = saveQuantizedGguf(q, { mode: 'w4a8' });
    const loaded = loadModel({ bytes, file: 'q4.gguf' });
    await expect(createIntegerEngine('w8a8', loaded)).rejects.toThrow(/q4.gguf is quantized as w4a8; run it with --mode w4a8/);
    // a weight level outside the 4-bit range: find blk.0.attn_q.weight's data and corrupt its first byte
    const g = parseGguf(bytes);
    const t = g.tensors.get('blk.0.attn_q.weight')!;
    const bad = bytes.slice();
    bad[t.offset] = 100;
    expect(() => loadModel({ bytes: bad, file: 'bad.gguf' })).toThrow(/bad.gguf.*blk.0.attn_q.weight" holds 100, outside the 4-bit range/);
  });
});
