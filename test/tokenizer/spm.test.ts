import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { splitStories } from '../../bindings/model/evaluate.js';
import { loadTokenizer } from '../../bindings/model/load.js';
import { SentencePieceTokenizer } from '../../bindings/tokenizer/spm.js';
import { devTextPath, modelsDir, readModelFile } from '../model/helpers/paths.js';

const spm = loadTokenizer({ bytes: readModelFile('ggml-vocab-llama-spm.gguf'), file: 'ggml-vocab-llama-spm.gguf' });
const tok512 = loadTokenizer({ bytes: readModelFile('tok512.bin'), file: 'tok512.bin' });
const stories260K = loadTokenizer({ bytes: readModelFile('stories260K.gguf'), file: 'stories260K.gguf' });

// llama.cpp's test vectors: texts separated by a marker line, one line of ids per text (no BOS).
const inputs = readFileSync(modelsDir + 'ggml-vocab-llama-spm.gguf.inp', 'utf8').split('\n__ggml_vocab_test__\n').slice(0, -1);
const expected = readFileSync(modelsDir + 'ggml-vocab-llama-spm.gguf.out', 'utf8').split('\n');

describe('SentencePiece BPE (Llama)', () => {
  it(`passes all ${inputs.length} llama.cpp vectors of ggml-vocab-llama-spm.gguf`, () => {
    expect(inputs.length).toBe(46);
    inputs.forEach((text, i) => {
      const want = expected[i].trim() === '' ? [] : expected[i].trim().split(/\s+/).map(Number);
      expect(spm.encode(text, { bos: false }), JSON.stringify(text)).toEqual(want);
    });
  });

  it('decodes those vectors back to their text (byte tokens joined into characters, dummy prefix dropped)', () => {
    for (const text of inputs) {
      const ids = spm.encode(text, { bos: true });
      expect(spm.decode(ids)).toBe(text);
    }
  });

  it('encodes like llama2.c from tok512.bin and from the GGUF vocabulary alike', () => {
    expect(tok512.encode('Once upon a time')).toEqual([1, 403, 407, 261, 378]);
    expect(stories260K.encode('Once upon a time')).toEqual([1, 403, 407, 261, 378]);
    expect(tok512.encode('')).toEqual([1]);
    expect(tok512.encode('hi', { bos: false, eos: true })).toEqual([...tok512.encode('hi', { bos: false }), 2]);
    const stories = splitStories(readFileSync(devTextPath, 'utf8')).slice(0, 40);
    for (const s of stories) {
      const a = tok512.encode(s);
      expect(stories260K.encode(s)).toEqual(a);
      expect(tok512.decode(a)).toBe(s);
    }
  });

  it('falls back to UTF-8 byte tokens <0xXX> (ids 3..258 in tok512) for characters outside the vocabulary', () => {
    const ids = tok512.encode('a ☃ b', { bos: false });
    // U+2603 is E2 98 83 in UTF-8; byte b is token b + 3 in llama2.c vocabularies.
    expect(ids).toEqual(expect.arrayContaining([0xe2 + 3, 0x98 + 3, 0x83 + 3]));
    expect(tok512.decode(ids).trimStart()).toBe('a ☃ b');
    expect(tok512.pieceBytes(5, 0x41 + 3)).toEqual(Uint8Array.of(0x41));
  });

  it('merges by highest score with leftmost ties, checked on a tiny hand-made vocabulary', () => {
    const t = new SentencePieceTokenizer({
      pieces: ['<unk>', '<s>', '</s>', ' ', 'a', 'b', 'ab', 'ba', ' a', 'aba', 'bab'],
      scores: Float32Array.from([0, 0, 0, -10, -10, -10, -1, -1, -5, -0.5, -0.1]),
      spaceSymbol: ' ',
      bos: 1,
      eos: 2,
      unk: 0,
    });
    // "abab": ab, ba, ab tie at -1 -> leftmost ab first; then ab+a = aba (-0.5) beats a+b (-1) -> [aba, b].
    expect(t.encode('abab', { bos: false, prefixSpace: false }).map((i) => t.vocab.pieces[i])).toEqual(['aba', 'b']);
    // "baba": ba(-1) at 0, ab(-1) at 1, ba(-1) at 2 -> leftmost ba; then ba|b|a: ba+b=bab (-0.1) wins.
    expect(t.encode('baba', { bos: false, prefixSpace: false }).map((i) => t.vocab.pieces[i])).toEqual(['bab', 'a']);
    expect(t.encode('a', { bos: true }).map((i) => t.vocab.pieces[i])).toEqual(['<s>', ' a']);
  });

  it('names bad token ids and bad special ids', () => {
    expect(() => tok512.pieceBytes(1, 512)).toThrow(/token id 512 is outside the vocabulary \(0\.\.511\)/);
    expect(() => tok512.decode([1, -3])).toThrow(/token id -3/);
    expect(
      () => new SentencePieceTokenizer({ pieces: ['a', 'b', 'c'], scores: new Float32Array(3), spaceSymbol: ' ', bos: 7, eos: 2, unk: 0 }, 'vocab.bin'),
    ).toThrow(/vocab\.bin: bos token id 7 is outside the vocabulary/);
  });

  it('tokenizes a long text quickly (heap merge, not quadratic)', () => {
    const text = readFileSync(devTextPath, 'utf8').repeat(3).slice(0, 100_000);
    const t0 = performance.now();
    const ids = spm.encode(text);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(spm.decode(ids)).toBe(text);
  });
});
