// Decode and prefill speed of the integer engines against the float32 reference, on synthetic models of
// real shapes (random weights: speed does not depend on the values). `npm run bench -- decode [--json FILE]`
// [--model 15m|260k|all]. One thread, one process, warmed up; prints tokens/s and ratios to float.
import {
  FloatLlama, IntegerLlama, llamaConfig, loadRuntime, quantizeLlama, randomLlamaWeights,
} from '../dist/entry/node.js';
import { machineLine, measure, printTable } from './lib/measure.mjs';

export const SHAPES = {
  // stories15M: dim 288, 6 layers, 6 heads, hidden 768, vocab 32000 (the decode bar)
  '15m': llamaConfig({ dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6, vocabSize: 32000, contextLength: 256 }),
  '260k': llamaConfig({ dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, contextLength: 256 }),
};

export async function main(args) {
  const pick = args[args.indexOf('--model') + 1];
  const names = args.includes('--model') && pick !== 'all' ? [pick] : Object.keys(SHAPES);
  console.log(machineLine());
  const results = [];
  for (const name of names) {
    const config = SHAPES[name];
    if (!config) throw new Error(`unknown model ${name} (${Object.keys(SHAPES).join(', ')})`);
    const weights = randomLlamaWeights(config, 7);
    const engines = [['float32', 'js', () => new FloatLlama(config, weights, { maxPositions: 256 })]];
    for (const build of ['simd', 'relaxed']) {
      for (const bits of [8, 4]) {
        const quantized = quantizeLlama(config, weights, { bits });
        engines.push([`w${bits}a8`, build, async () => new IntegerLlama(await loadRuntime({ build }), quantized, `w${bits}a8`, { maxPositions: 256, maxBatch: 64 })]);
      }
    }
    const prompt = Array.from({ length: 64 }, (_, i) => (i * 7919) % config.vocabSize);
    for (const [mode, backend, make] of engines) {
      const model = await make();
      model.prefill(prompt, 0);
      // decode at positions 64..191 in a loop: the cache stays filled, the context never overflows
      let pos = 64;
      const decode = await measure(`${name} ${mode} ${backend} decode`, () => {
        model.forward(pos % config.vocabSize, pos);
        pos = pos >= 191 ? 64 : pos + 1;
      });
      const prefill = await measure(`${name} ${mode} ${backend} prefill 64`, () => model.prefill(prompt, 0), { time: 500 });
      results.push({ model: name, mode, backend, test: 'tg', tokens_per_s: decode.perSecond });
      results.push({ model: name, mode, backend, test: 'pp64', tokens_per_s: prefill.perSecond * prompt.length });
    }
  }
  const floatRate = (r) => results.find((x) => x.model === r.model && x.test === r.test && x.mode === 'float32').tokens_per_s;
  printTable(
    ['model', 'mode', 'backend', 'test', 'tokens/s', 'x float32'],
    results.map((r) => [r.model, r.mode, r.backend, r.test, r.tokens_per_s.toFixed(1), (r.tokens_per_s / floatRate(r)).toFixed(2)]),
  );
  return { machine: machineLine(), results };
}
