import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../bindings/formats/errors.js';
import { parseLlama2cCheckpoint } from '../../bindings/model/from-llama2c.js';
import { parseLlama2cTokenizer } from '../../bindings/formats/llama2c.js';
import { loadModel, loadTokenizer } from '../../bindings/model/load.js';
import { readModelFile } from '../model/helpers/paths.js';
import { f32Bytes, writeLlama2cV1 } from './helpers/writers.js';
import { freshSeed, seededPerTest } from '../helpers/rng.js';

const SEED = freshSeed(); // named in the describe title
const random = seededPerTest(SEED);

const bin = readModelFile('stories260K.bin');
const legacy = parseLlama2cCheckpoint(bin, 'stories260K.bin');

describe(`llama2.c checkpoints (seed ${SEED})`, () => {
  it('reads the legacy header of stories260K.bin as the README describes it', () => {
    expect(legacy.version).toBe(0);
    expect(legacy.config).toMatchObject({ dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, contextLength: 512, headDim: 8, tiedEmbeddings: true, ropeLayout: 'adjacent' });
    expect(legacy.weights.output).toBe(legacy.weights.tokenEmbedding);
    // First float after the 28-byte header is tok_embeddings[0][0].
    expect(legacy.weights.tokenEmbedding[0]).toBe(new DataView(bin.buffer, bin.byteOffset).getFloat32(28, true));
  });

  it('reads the version 1 "ak42" header (shared and separate classifier) to the same weights', () => {
    for (const shared of [true, false]) {
      const file = writeLlama2cV1(legacy.config, legacy.weights, shared);
      const v1 = parseLlama2cCheckpoint(file, 'v1.bin');
      expect(v1.version).toBe(1);
      expect(v1.config).toEqual({ ...legacy.config, tiedEmbeddings: shared });
      expect(v1.weights.tokenEmbedding).toEqual(legacy.weights.tokenEmbedding);
      expect(v1.weights.layers[4].wDown).toEqual(legacy.weights.layers[4].wDown);
      expect(v1.weights.layers[2].attnNorm).toEqual(legacy.weights.layers[2].attnNorm);
      expect(v1.weights.output).toEqual(legacy.weights.output);
      expect(v1.weights.output === v1.weights.tokenEmbedding).toBe(shared);
    }
  });

  it('reads a legacy checkpoint with a separate classifier (negative vocab_size)', () => {
    const cls = Float32Array.from({ length: 512 * 64 }, () => random());
    const file = new Uint8Array(bin.length + cls.byteLength);
    file.set(bin);
    file.set(f32Bytes(cls), bin.length);
    new DataView(file.buffer).setInt32(20, -512, true);
    const m = parseLlama2cCheckpoint(file, 'unshared.bin');
    expect(m.config.tiedEmbeddings).toBe(false);
    expect(m.weights.output).toEqual(cls);
  });

  it('names the problem in broken checkpoints', () => {
    const patched = (at: number, v: number) => {
      const b = bin.slice();
      new DataView(b.buffer).setInt32(at, v, true);
      return b;
    };
    const bad: [Uint8Array, RegExp][] = [
      [bin.slice(0, 1000), /s\.bin: truncated: the header \(dim 64, layers 5, vocab 512, seq_len 512\) needs 1056512 bytes of weights, the file has 972/],
      [bin.slice(0, 10), /s\.bin: truncated: n_layers needs 4 bytes at offset 8, only 2 left/],
      [patched(0, 1 << 30), /dim = 1073741824 is not an integer in 1\.\.65536/],
      [patched(0, 0), /dim = 0 is not an integer/],
      [patched(8, -3), /nLayers = -3/],
      [patched(12, 7), /nKvHeads = 4 must divide nHeads = 7/],
      [patched(16, 0), /nKvHeads = 0 must divide nHeads = 8/],
      [patched(24, 1 << 28), /contextLength = 268435456 is not an integer in 1\.\.16777216/],
      [patched(8, 500), /needs \d+ bytes of weights, the file has/],
    ];
    for (const [bytes, re] of bad) {
      expect(() => parseLlama2cCheckpoint(bytes, 's.bin')).toThrow(ModelFormatError);
      expect(() => parseLlama2cCheckpoint(bytes, 's.bin')).toThrow(re);
    }
    const v1 = writeLlama2cV1(legacy.config, legacy.weights, true);
    new DataView(v1.buffer).setInt32(4, 2, true);
    expect(() => parseLlama2cCheckpoint(v1, 'q.bin')).toThrow(/q\.bin: llama2\.c version 2 \(int8 Q8_0\) checkpoints are not supported/);
  });
});

describe(`llama2.c tok*.bin (seed ${SEED})`, () => {
  it('reads tok512.bin: 512 pieces with scores, byte tokens at 3..258', () => {
    const v = parseLlama2cTokenizer(readModelFile('tok512.bin'), 'tok512.bin');
    expect(v.pieces).toHaveLength(512);
    expect(new TextDecoder().decode(v.pieces[1])).toBe('\n<s>\n'); // llama2.c's spelling of BOS
    expect(new TextDecoder().decode(v.pieces[3 + 0x41])).toBe('<0x41>');
    expect(v.scores[300]).toBeLessThan(0);
    expect(loadTokenizer({ bytes: readModelFile('tok512.bin'), file: 'tok512.bin' }).vocabSize).toBe(512);
  });

  it('names the problem in broken tokenizers', () => {
    const tok = readModelFile('tok512.bin');
    const b = tok.slice();
    new DataView(b.buffer).setInt32(8, 1 << 20, true); // length of token 0
    expect(() => parseLlama2cTokenizer(b, 't.bin')).toThrow(/t\.bin: token 0 length 1048576 is not in 0\.\.max_token_length/);
    expect(() => parseLlama2cTokenizer(tok.slice(0, tok.length - 3), 't.bin')).toThrow(/t\.bin: truncated: token 511 bytes needs \d+ bytes/);
    expect(() => loadTokenizer({ bytes: writeLlama2cV1(legacy.config, legacy.weights, true), file: 'x.bin' })).toThrow(/x\.bin: this is a llama2\.c checkpoint, not a tokenizer/);
    expect(() => loadModel({ bytes: tok, file: 'tok512.bin' })).toThrow(ModelFormatError);
  });
});
