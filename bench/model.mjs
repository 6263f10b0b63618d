// The float32 reference path end to end on stories260K (dim 64, 5 layers, vocab 512): file loading,
// tokenization, one decode step at short and long context, and a full prefill as eval runs it.
// `npm run bench -- model [--json FILE]`. Figures are medians from one process; compare ratios.
import { readFileSync } from 'node:fs';
import { FloatLlama, loadModel, loadTokenizer, splitStories } from '../dist/entry/node.js';
import { machineLine, measure, printTable } from './lib/measure.mjs';
import { modelPath, textPath } from './lib/inputs.mjs';

export async function main() {
  console.log(machineLine());
  const ggufBytes = new Uint8Array(readFileSync(modelPath('stories260K.gguf')));
  const vocabBytes = new Uint8Array(readFileSync(modelPath('ggml-vocab-llama-spm.gguf')));
  const m = loadModel({ bytes: ggufBytes, file: 'stories260K.gguf' });
  // The first story long enough to fill the 512-position context (the stories joined if none is).
  const stories = splitStories(readFileSync(textPath(), 'utf8'));
  const story = stories.find((s) => m.tokenizer.encode(s).length >= 512) ?? stories.join(' ');
  const spm32k = loadTokenizer({ bytes: vocabBytes, file: 'ggml-vocab-llama-spm.gguf' });
  const model = new FloatLlama(m.config, m.weights, { maxPositions: 512 });
  const tokens = m.tokenizer.encode(story).slice(0, 512);
  model.prefill(tokens.slice(0, 511), 0); // fill the cache so late positions attend over 511 keys

  const results = [];
  const add = (r, unit, work) => results.push({ ...r, unit, rate: work * r.perSecond });
  add(await measure('load stories260K.gguf (parse + decode F32)', () => loadModel({ bytes: ggufBytes, file: 'x.gguf' })), 'MB/s', ggufBytes.length / 1e6);
  add(await measure(`encode one story, 512 vocab (${story.length} chars)`, () => m.tokenizer.encode(story)), 'chars/s', story.length);
  add(await measure(`encode one story, 32k vocab (${story.length} chars)`, () => spm32k.encode(story)), 'chars/s', story.length);
  add(await measure('decode step at position 0', () => model.forward(tokens[0], 0)), 'tokens/s', 1);
  add(await measure('decode step at position 511', () => model.forward(tokens[510], 511)), 'tokens/s', 1);
  add(await measure(`prefill ${tokens.length - 1} tokens (eval of one story)`, () => model.prefill(tokens.slice(0, -1), 0), { time: 1000 }), 'tokens/s', tokens.length - 1);

  const pos0 = results[3].perSecond;
  printTable(
    ['what', 'median ms', 'rate', 'unit', 'vs decode@0'],
    results.map((r) => [r.name, r.medianMs.toFixed(3), r.rate.toFixed(0), r.unit, r.unit === 'tokens/s' ? (r.rate / pos0).toFixed(2) : '']),
  );
  return { machine: machineLine(), results };
}
