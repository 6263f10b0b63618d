// Mode native on files llama.cpp quantized (test/fixtures/llamacpp/): every block type runs on its
// group-wise kernel straight from the file, no float32 weights are made, the logits follow the float32
// forward of the same file (its dequantized weights) within the integer pipeline's error, and the integers
// are the same on both builds and any thread count.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadGgufFromPath } from '../../bindings/entry/node-files.js';
import '../../bindings/entry/node.js'; // registers the wasm source
import { loadModel, type LoadedModel } from '../../bindings/model/load.js';
import { createEngine } from '../../bindings/engines/engines.js';
import { defaultMode } from '../../bindings/engines/default-mode.js';
import { createNativeEngine } from '../../bindings/engines/integer.js';
import type { IntegerLlama } from '../../bindings/model/integer/integer-llama.js';

const dir = new URL('../fixtures/llamacpp/', import.meta.url);
const load = (name: string): LoadedModel => loadModel({ bytes: readFileSync(new URL(name, dir)), file: name });

/** Kernels each fixture must run (the types llama.cpp's mix put in it). */
const FILES: Record<string, string[]> = {
  'stories260K-Q4_0.gguf': ['gemm_gwq4_1x4c32', 'gemm_gwi8_1x4c32', 'gemm_w8a8_2x4c8'],
  'stories260K-Q8_0.gguf': ['gemm_gwi8_1x4c32', 'gemm_w8a8_2x4c8'],
  'stories260K-Q4_K_M.gguf': ['gemm_gwq6_1x4c32', 'gemm_gwi8_1x4c32', 'gemm_w8a8_2x4c8'],
  'stories260K-Q5_1.gguf': ['gemm_gwq6_1x4c32', 'gemm_gwi8_1x4c32', 'gemm_w8a8_2x4c8'],
  'stories260K-IQ4_NL.gguf': ['gemm_gwi8_1x4c32', 'gemm_w8a8_2x4c8'],
  'k256-1layer-Q2_K.gguf': ['gemm_gwq6_1x4c16'],
  'k256-1layer-Q4_K_M.gguf': ['gemm_gwq4_1x4c32', 'gemm_gwq6_1x4c16'],
  'k256-1layer-Q5_K_M.gguf': ['gemm_gwq6_1x4c32', 'gemm_gwq6_1x4c16'],
};

/**
 * Relative RMS error of native logits (times their scale) against the float32 forward of the same file.
 * Measured 1.5-2.5% on these files (int8 activations dominate); a wrong decode or scale gives ~100%.
 */
const NATIVE_LOGIT_RMS_BUDGET = 0.05;
const TEXT = 'Once upon a time, there was a little dog named Max. Max liked to run in the park with his ball.';

/** A loaded model whose float32 weights throw if anything asks for them. */
function withoutFloatWeights(m: LoadedModel): LoadedModel {
  return Object.defineProperty({ ...m, reader: m.reader }, 'weights', {
    get() {
      throw new Error('mode native asked for float32 weights');
    },
  });
}

describe('mode native on llama.cpp-quantized files', () => {
  for (const [file, kernels] of Object.entries(FILES)) {
    it(`${file}: default mode, kernels, no float copy, logits within ${NATIVE_LOGIT_RMS_BUDGET} of float32`, async () => {
      const m = load(file);
      expect(defaultMode(m)).toBe('native');
      const native = (await createNativeEngine(withoutFloatWeights(m), { maxPositions: 64, build: 'relaxed' })) as IntegerLlama;
      expect(native.mode).toBe('native');
      expect(new Set(Object.values(native.kernels()))).toEqual(new Set(kernels));
      const float = await createEngine('float32', m, { maxPositions: 64 });
      const tokens = m.tokenizer!.encode(TEXT);
      let err = 0;
      let ref = 0;
      for (let p = 0; p < tokens.length; p++) {
        const a = float.forward(tokens[p], p);
        const b = native.forward(tokens[p], p);
        const s = native.logitScale;
        for (let i = 0; i < a.length; i++) {
          err += (b[i] * s - a[i]) ** 2;
          ref += a[i] ** 2;
        }
      }
      const rel = Math.sqrt(err / ref);
      expect(rel, file).toBeLessThan(NATIVE_LOGIT_RMS_BUDGET);
      expect(rel, `${file}: the comparison sees the integer pipeline's error`).toBeGreaterThan(1e-4);
      native.runtime.close();
    });
  }

  it('the same integers on both builds and on 1 and 2 threads (prefill and decode)', async () => {
    for (const file of ['stories260K-Q4_0.gguf', 'k256-1layer-Q4_K_M.gguf', 'k256-1layer-Q2_K.gguf']) {
      const m = load(file);
      const tokens = m.tokenizer!.encode(TEXT).slice(0, 12);
      const runs: Int32Array[] = [];
      for (const [build, threads] of [['simd', 1], ['relaxed', 1], ['relaxed', 2], ['simd', 2]] as const) {
        const e = (await createNativeEngine(m, { maxPositions: 32, build, threads })) as IntegerLlama;
        if (e.runtime.pool) e.runtime.pool.minSplitWork = 0;
        const pre = e.forwardIntRows(tokens, 0);
        const next = e.forwardIntRows([tokens[3]], tokens.length);
        runs.push(Int32Array.from([...pre.logits, ...pre.m, ...pre.k, ...next.logits, ...next.m, ...next.k]));
        e.runtime.close();
      }
      for (let r = 1; r < runs.length; r++) expect(runs[r], `${file} run ${r}`).toEqual(runs[0]);
    }
  });

  it('a path is read in chunks (header, then tensors one at a time) with the same integers as the bytes in memory', async () => {
    for (const file of ['stories260K-Q4_K_M.gguf', 'k256-1layer-Q5_K_M.gguf']) {
      const fromBytes = load(file);
      const fromPath = loadGgufFromPath(fileURLToPath(new URL(file, dir)));
      expect(fromPath.reader!.tensors.size).toBe(fromBytes.reader!.tensors.size);
      const tokens = fromBytes.tokenizer!.encode(TEXT).slice(0, 8);
      const run = async (m: LoadedModel) => {
        const e = (await createNativeEngine(withoutFloatWeights(m), { maxPositions: 16, build: 'simd' })) as IntegerLlama;
        const r = e.forwardIntRows(tokens, 0);
        e.runtime.close();
        return r;
      };
      expect(await run(fromPath), file).toEqual(await run(fromBytes));
      // the float path still works from a path (it reads the whole file when asked)
      expect(fromPath.weights.layers.length).toBe(fromBytes.config.nLayers);
    }
  });

  it('refuses what it cannot run, naming it', async () => {
    const m = load('stories260K-Q4_0.gguf');
    await expect(createNativeEngine({ ...m, reader: undefined } as LoadedModel)).rejects.toThrow(/mode native runs those/);
  });
});
