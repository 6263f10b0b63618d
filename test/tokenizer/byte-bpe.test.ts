// Byte-level BPE against facts of the GPT-2 scheme and hand-built vocabularies (no reference
// vocabulary file with test vectors is available here, unlike the SentencePiece case).
import { describe, expect, it } from 'vitest';
import { GgmlType, writeGguf, type GgufTypedValue } from '../../bindings/offline/gguf-write.js';
import { parseGguf } from '../../bindings/formats/gguf.js';
import { ByteBpeTokenizer, PRE_TOKENIZERS, byteToChar } from '../../bindings/tokenizer/byte-bpe.js';
import { tokenizerFromGguf, tokenizerFromHfJson } from '../../bindings/tokenizer/load.js';
import { TokenType } from '../../bindings/tokenizer/spm.js';
import { freshSeed, seededPerTest } from '../helpers/rng.js';

const SEED = freshSeed(); // named in the describe title
const random = seededPerTest(SEED);

const BYTES = Array.from({ length: 256 }, (_, b) => byteToChar(b));
const spell = (s: string) => Array.from(new TextEncoder().encode(s), (b) => byteToChar(b)).join('');

/** 256 byte tokens, then the results of `merges` in order, then <|endoftext|>. */
function vocab(merges: string[], pre = PRE_TOKENIZERS['gpt-2']) {
  const tokens = [...BYTES, ...merges.map((m) => m.replace(' ', '')), '<|endoftext|>'];
  const types = new Int32Array(tokens.length).fill(TokenType.NORMAL);
  types[tokens.length - 1] = TokenType.CONTROL;
  const eot = tokens.length - 1;
  return { tokens, merges, types, preTokenizer: pre, bos: eot, eos: eot };
}

const words = (t: ByteBpeTokenizer, s: string) => (t as unknown as { words(s: string): string[] }).words(s);

describe(`byte-level BPE (seed ${SEED})`, () => {
  it("spells bytes with GPT-2's printable alphabet", () => {
    expect(byteToChar(0x41)).toBe('A');
    expect(byteToChar(0x20)).toBe('\u0120'); // Ġ
    expect(byteToChar(0x0a)).toBe('\u010a'); // Ċ
    expect(byteToChar(0xad)).toBe('\u0143'); // soft hyphen is not printable: 256 + 67
    expect(new Set(BYTES).size).toBe(256);
  });

  it('pre-tokenizes like the GPT-2, SmolLM and Qwen2 regexes', () => {
    const gpt2 = new ByteBpeTokenizer(vocab([]));
    expect(words(gpt2, "Hello world's 123!!  ok\n")).toEqual(['Hello', ' world', "'s", ' 123', '!!', ' ', ' ok', '\n']);
    const smollm = new ByteBpeTokenizer(vocab([], PRE_TOKENIZERS.smollm));
    expect(words(smollm, 'abc 123')).toEqual(['abc', ' ', '1', '2', '3']);
    const qwen = new ByteBpeTokenizer(vocab([], PRE_TOKENIZERS.qwen2));
    expect(words(qwen, "I'M 42 cats.\n\nOK")).toEqual(['I', "'M", ' ', '4', '2', ' cats', '.\n\n', 'OK']);
  });

  it('merges by rank, lowest first, and spells every byte when nothing merges', () => {
    const t = new ByteBpeTokenizer(vocab(['l l', 'h e', 'he ll', 'hell o', 'Ġ w']));
    const id = (c: string) => BYTES.indexOf(c);
    // Merge results get ids 256.. in merge order: ll=256, he=257, hell=258, hello=259, Ġw=260.
    expect(t.encode('hello', { bos: false })).toEqual([259]); // ll, then he, then hell, then hello
    expect(t.encode('hell', { bos: false })).toEqual([258]);
    expect(t.encode('yellow', { bos: false })).toEqual([id('y'), id('e'), 256, id('o'), id('w')]);
    expect(t.encode(' w', { bos: false })).toEqual([260]);
    expect(t.encode('\u00e9', { bos: false })).toEqual([0xc3, 0xa9].map((b) => id(byteToChar(b))));
  });

  it('round-trips any text, special tokens included, and prints nothing for control tokens', () => {
    const t = new ByteBpeTokenizer(vocab(['l l', 'h e', 'he ll', 'hell o']));
    const samples = ['', 'hello', ' héllo wörld ☃ 🦙\n\ttabs', 'a<|endoftext|>b', String.fromCodePoint(...Array.from({ length: 50 }, () => 32 + Math.floor(random() * 0x2000)))];
    for (const s of samples) {
      const ids = t.encode(s, { bos: false });
      expect(t.decode(ids)).toBe(s.replace('<|endoftext|>', ''));
    }
    expect(t.encode('a<|endoftext|>b', { bos: false })).toEqual([BYTES.indexOf('a'), 260, BYTES.indexOf('b')]);
    expect(t.encode('x')).toEqual([260, BYTES.indexOf('x')]); // BOS is <|endoftext|> here
  });

  it('loads from a GGUF vocabulary (tokenizer.ggml.model = gpt2) and from a tokenizer.json alike', () => {
    const v = vocab(['l l', 'h e', 'he ll', 'hell o', 'Ġ h'], PRE_TOKENIZERS.qwen2);
    const meta: [string, GgufTypedValue][] = [
      ['general.architecture', { type: 'string', value: 'qwen2' }],
      ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
      ['tokenizer.ggml.pre', { type: 'string', value: 'qwen2' }],
      ['tokenizer.ggml.tokens', { type: 'array', of: 'string', value: v.tokens }],
      ['tokenizer.ggml.token_type', { type: 'array', of: 'i32', value: v.types }],
      ['tokenizer.ggml.merges', { type: 'array', of: 'string', value: v.merges }],
      ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 261 }],
    ];
    const fromGguf = tokenizerFromGguf(parseGguf(writeGguf(meta, [{ name: 'x', dims: [1], type: GgmlType.F32, data: new Uint8Array(4) }]), 'v.gguf'));
    const json = JSON.stringify({
      model: { type: 'BPE', vocab: Object.fromEntries(v.tokens.slice(0, 261).map((t, i) => [t, i])), merges: v.merges.map((m) => m.split(' ')) },
      added_tokens: [{ id: 261, content: '<|endoftext|>', special: true }],
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" }, behavior: 'Isolated' },
          { type: 'ByteLevel', add_prefix_space: false, use_regex: false },
        ],
      },
    });
    const fromJson = tokenizerFromHfJson(json, { vocabSize: 300 });
    expect(fromJson.vocabSize).toBe(300);
    expect(fromJson.eos).toBe(261);
    const text = "He'LL say hello 2024 times<|endoftext|> hello";
    expect(fromGguf.encode(text)).toEqual(fromJson.encode(text));
    // ll (rank 0) and he (rank 1) beat Ġh (rank 4), so the word ends as Ġ + hello.
    expect(fromJson.encode(' hello', { bos: false })).toEqual([BYTES.indexOf('\u0120'), 259]);
  });

  it('names a vocabulary that is not byte-level and a regex JavaScript cannot run', () => {
    expect(() => new ByteBpeTokenizer({ ...vocab([]), tokens: ['a', 'b', '<|endoftext|>'], bos: 2, eos: 2 }, 'v.json')).toThrow(/v\.json: byte 0x0 has no token/);
    expect(() => new ByteBpeTokenizer({ ...vocab([]), preTokenizer: ['(?<'] }, 'v.json')).toThrow(/v\.json: pre-tokenizer regex is not supported/);
    expect(() => tokenizerFromHfJson('{"model":{"type":"Unigram"}}', {}, 't.json')).toThrow(/t\.json: model\.type Unigram is not a byte-level BPE/);
  });
});
