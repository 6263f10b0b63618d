// Byte-level BPE (GPT-2, Qwen2, SmolLM, Llama 3): the text is split at special tokens, then into words
// by the model's pre-tokenizer regexes; each word's UTF-8 bytes are spelled with GPT-2's printable
// byte alphabet and merged pair by pair, lowest merge rank first (leftmost on ties), as long as a merge
// of the two symbols is listed. Every byte is a token of its own, so nothing is ever unknown.
import { InvalidInputError, ModelFormatError } from '../formats/errors.js';
import { type EncodeOptions, type Tokenizer, decodePieces, specialTokenPattern } from './tokenizer.js';
import { TokenType } from './spm.js';

// The contraction group without JS's missing inline (?i:...) modifier.
export const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** Pre-tokenizer regexes by GGUF tokenizer.ggml.pre name (applied in order, each splitting further). */
export const PRE_TOKENIZERS: Record<string, string[]> = {
  default: [GPT2],
  'gpt-2': [GPT2],
  gpt2: [GPT2],
  smollm: ['\\p{N}', GPT2],
  qwen2: [`${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`],
  'llama-bpe': [`${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`],
};

/** GPT-2's map from bytes to printable characters: printable Latin-1 bytes stand for themselves. */
function byteAlphabet(): { toChar: string[]; toByte: Map<string, number> } {
  const toChar: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    toChar[b] = String.fromCodePoint(printable ? b : next++);
  }
  return { toChar, toByte: new Map(toChar.map((c, b) => [c, b])) };
}
const ALPHABET = byteAlphabet();

export interface ByteBpeVocab {
  /** Token strings in the byte alphabet (undefined for ids the model has but the tokenizer never uses). */
  readonly tokens: (string | undefined)[];
  /** Merges, highest priority first, as "left right". */
  readonly merges: string[];
  readonly types?: Int32Array; // [vocab] TokenType
  /** Regexes of the pre-tokenizer, applied in turn. */
  readonly preTokenizer: string[];
  readonly bos: number;
  readonly eos: number;
}

const utf8 = new TextEncoder();

export class ByteBpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bos: number;
  readonly eos: number;
  private readonly ids = new Map<string, number>();
  private readonly ranks = new Map<string, number>(); // "left right" -> rank
  private readonly regexes: RegExp[];
  private readonly special: RegExp | undefined; // matches any control token's text
  private readonly control: Uint8Array; // [vocab] 1 for tokens that print nothing
  private readonly wordCache = new Map<string, number[]>();

  constructor(
    readonly vocab: ByteBpeVocab,
    file = 'tokenizer',
  ) {
    const n = vocab.tokens.length;
    for (const [name, id] of [['bos', vocab.bos], ['eos', vocab.eos]] as const) {
      if (!Number.isInteger(id) || id < 0 || id >= n) throw new ModelFormatError(file, `${name} token id ${id} is outside the vocabulary (0..${n - 1})`);
    }
    this.vocabSize = n;
    this.bos = vocab.bos;
    this.eos = vocab.eos;
    this.control = new Uint8Array(n);
    const specials: string[] = [];
    vocab.tokens.forEach((t, i) => {
      if (t === undefined) return;
      if (!this.ids.has(t)) this.ids.set(t, i);
      const type = vocab.types?.[i];
      if (type === TokenType.CONTROL || type === TokenType.USER_DEFINED) specials.push(t);
      if (type === TokenType.CONTROL) this.control[i] = 1;
    });
    for (let b = 0; b < 256; b++) {
      if (!this.ids.has(ALPHABET.toChar[b])) throw new ModelFormatError(file, `byte 0x${b.toString(16)} has no token: not a byte-level vocabulary`);
    }
    vocab.merges.forEach((m, rank) => {
      if (!this.ranks.has(m)) this.ranks.set(m, rank);
    });
    try {
      this.regexes = vocab.preTokenizer.map((r) => new RegExp(r, 'gu'));
    } catch (e) {
      throw new ModelFormatError(file, `pre-tokenizer regex is not supported: ${(e as Error).message}`);
    }
    this.special = specialTokenPattern(specials);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const { bos = true, eos = false } = options;
    const out: number[] = [];
    if (bos) out.push(this.bos);
    // Special tokens written in the text are tokens of their own (llama.cpp's parse_special).
    let last = 0;
    for (const m of this.special ? text.matchAll(this.special) : []) {
      this.encodeText(text.slice(last, m.index), out);
      out.push(this.ids.get(m[0])!);
      last = m.index! + m[0].length;
    }
    this.encodeText(text.slice(last), out);
    if (eos) out.push(this.eos);
    return out;
  }

  tokenText(id: number): string {
    return this.vocab.tokens[id] ?? '';
  }

  /** Words of `text`: every regex splits each piece into its matches and the gaps between them. */
  private words(text: string): string[] {
    let pieces = [text];
    for (const re of this.regexes) {
      const next: string[] = [];
      for (const p of pieces) {
        let last = 0;
        for (const m of p.matchAll(re)) {
          if (m.index! > last) next.push(p.slice(last, m.index));
          if (m[0].length > 0) next.push(m[0]);
          last = m.index! + m[0].length;
        }
        if (last < p.length) next.push(p.slice(last));
      }
      pieces = next;
    }
    return pieces;
  }

  private encodeText(text: string, out: number[]): void {
    if (text.length === 0) return;
    for (const word of this.words(text)) {
      let ids = this.wordCache.get(word);
      if (!ids) {
        ids = this.encodeWord(word);
        if (this.wordCache.size < 100_000) this.wordCache.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  /** Merges one word's byte symbols by rank; words are short, so a rescan per merge is fine. */
  private encodeWord(word: string): number[] {
    const symbols = Array.from(utf8.encode(word), (b) => ALPHABET.toChar[b]);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(symbols[i] + ' ' + symbols[i + 1]);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      symbols.splice(best, 2, symbols[best] + symbols[best + 1]);
    }
    const ids: number[] = [];
    for (const s of symbols) {
      const id = this.ids.get(s);
      if (id !== undefined) ids.push(id);
      // A merge result missing from the vocabulary: fall back to its bytes, which always exist.
      else for (const ch of s) ids.push(this.ids.get(ch)!);
    }
    return ids;
  }

  pieceBytes(_prev: number, id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new InvalidInputError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    const t = this.vocab.tokens[id];
    if (t === undefined || this.control[id]) return new Uint8Array(0);
    // User-defined tokens (added tokens) are plain text; the rest are spelled in the byte alphabet.
    if (this.vocab.types?.[id] === TokenType.USER_DEFINED) return utf8.encode(t);
    const out = new Uint8Array(t.length);
    let n = 0;
    for (const ch of t) {
      const b = ALPHABET.toByte.get(ch);
      if (b === undefined) return utf8.encode(t); // not in the byte alphabet: print as is
      out[n++] = b;
    }
    return out.subarray(0, n);
  }

  decode(tokens: ArrayLike<number>, prev = -1): string {
    return decodePieces(this, tokens, prev);
  }
}

/** GPT-2's byte alphabet (exported for tests and for tools that write vocabularies). */
export const byteToChar = (b: number): string => ALPHABET.toChar[b];
