// SentencePiece BPE as Llama uses it (llama2.c's encode and llama.cpp's llm_tokenizer_spm give the
// same tokens): spaces become the space symbol, a space is prepended to non-empty text, the text is
// split into UTF-8 characters, and adjacent symbols are merged, highest-scoring merge first (leftmost
// on ties), as long as the merged string is a vocabulary piece. A character with no piece falls back
// to its UTF-8 bytes as <0xXX> tokens. A heap makes it O(n log n) instead of llama2.c's O(n^2).
import { InvalidInputError, ModelFormatError } from '../formats/errors.js';
import { type EncodeOptions, type Tokenizer, decodePieces, specialTokenPattern } from './tokenizer.js';

export type { EncodeOptions };

/** GGUF tokenizer.ggml.token_type values. */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface SpmVocab {
  /** Piece text of each token, spaces spelled with `spaceSymbol`. */
  readonly pieces: string[];
  readonly scores: Float32Array; // [vocab]
  /** Token types (TokenType); undefined entries are inferred (byte pieces spelled <0xXX>, bos/eos control). */
  readonly types?: Int32Array; // [vocab]
  /** How the vocabulary spells a space: '\u2581' (SentencePiece, GGUF) or ' ' (llama2.c tok*.bin). */
  readonly spaceSymbol: string;
  readonly bos: number;
  readonly eos: number;
  readonly unk: number;
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
const utf8 = new TextEncoder();

export class SentencePieceTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bos: number;
  readonly eos: number;
  private readonly ids = new Map<string, number>();
  private readonly byteToken = new Int32Array(256).fill(-1); // [256] token id of each byte, -1 if none
  private readonly tokenByte: Int16Array; // [vocab] byte a byte token stands for, -1 otherwise
  private readonly control: Uint8Array; // [vocab] 1 for tokens that decode to nothing
  private readonly decoded: Uint8Array[]; // [vocab] UTF-8 bytes of each piece with real spaces
  private readonly special: RegExp | undefined; // matches any control or user-defined token's text

  constructor(
    readonly vocab: SpmVocab,
    file = 'tokenizer',
  ) {
    const n = vocab.pieces.length;
    if (vocab.scores.length !== n) throw new ModelFormatError(file, `${vocab.scores.length} scores for ${n} tokens`);
    if (vocab.types && vocab.types.length !== n) throw new ModelFormatError(file, `${vocab.types.length} token types for ${n} tokens`);
    for (const [name, id] of [['bos', vocab.bos], ['eos', vocab.eos], ['unk', vocab.unk]] as const) {
      if (!Number.isInteger(id) || id < 0 || id >= n) throw new ModelFormatError(file, `${name} token id ${id} is outside the vocabulary (0..${n - 1})`);
    }
    this.vocabSize = n;
    this.bos = vocab.bos;
    this.eos = vocab.eos;
    this.tokenByte = new Int16Array(n).fill(-1);
    this.control = new Uint8Array(n);
    this.decoded = new Array(n);
    const specials: string[] = [];
    for (let i = 0; i < n; i++) {
      const piece = vocab.pieces[i];
      const type = vocab.types?.[i];
      if (!this.ids.has(piece)) this.ids.set(piece, i);
      const byte = BYTE_PIECE.exec(piece);
      if (byte && (type === undefined || type === TokenType.BYTE)) {
        const b = parseInt(byte[1], 16);
        this.tokenByte[i] = b;
        if (this.byteToken[b] < 0) this.byteToken[b] = i;
      }
      const isControl = type === TokenType.CONTROL || (type === undefined && (i === vocab.bos || i === vocab.eos));
      this.control[i] = isControl ? 1 : 0;
      this.decoded[i] = isControl ? new Uint8Array(0) : utf8.encode(piece.split(vocab.spaceSymbol).join(' '));
      if ((type === TokenType.CONTROL || type === TokenType.USER_DEFINED) && piece.length > 0) specials.push(piece);
    }
    this.special = specialTokenPattern(specials);
  }

  /** Token ids of `text`. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const { bos = true, eos = false, prefixSpace = true } = options;
    const out: number[] = [];
    if (bos) out.push(this.bos);
    // Special tokens written in the text (control and user-defined ones, e.g. "<|user|>" in a rendered
    // chat template) are tokens of their own, as llama.cpp's parse_special does. Only text at the very
    // start gets the dummy-prefix space; text right after a special token does not (Hugging Face's
    // non-legacy SentencePiece behaviour).
    let last = 0;
    for (const m of this.special ? text.matchAll(this.special) : []) {
      this.encodeFragment(text.slice(last, m.index), prefixSpace && last === 0, out);
      out.push(this.ids.get(m[0])!);
      last = m.index! + m[0].length;
    }
    this.encodeFragment(text.slice(last), prefixSpace && last === 0, out);
    if (eos) out.push(this.eos);
    return out;
  }

  tokenText(id: number): string {
    return this.vocab.pieces[id] ?? '';
  }

  private encodeFragment(text: string, prefixSpace: boolean, out: number[]): void {
    if (text.length === 0) return;
    const sp = this.vocab.spaceSymbol;
    this.encodeSymbols((prefixSpace ? sp : '') + text.split(' ').join(sp), out);
  }

  private encodeSymbols(text: string, out: number[]): void {
    // Symbols are a linked list over the characters (code points) of the text.
    const str = Array.from(text); // [n] one entry per code point, merged strings later
    const n = str.length;
    const prev = new Int32Array(n); // [n]
    const next = new Int32Array(n); // [n] -1 at the end
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = new BigramHeap();
    const tryPair = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const merged = str[left] + str[right];
      const id = this.ids.get(merged);
      if (id !== undefined) heap.push(this.vocab.scores[id], left, right, merged.length);
    };
    for (let i = 0; i + 1 < n; i++) tryPair(i, i + 1);
    while (heap.size > 0) {
      const { left, right, size } = heap.pop();
      // Stale entry: one side was merged into something else since this pair was queued.
      if (str[left] === '' || str[right] === '' || str[left].length + str[right].length !== size || next[left] !== right) continue;
      str[left] += str[right];
      str[right] = '';
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      tryPair(prev[left], left);
      tryPair(left, next[left]);
    }
    for (let i = 0; i >= 0 && i < n; i = next[i]) {
      const id = this.ids.get(str[i]);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      for (const b of utf8.encode(str[i])) out.push(this.byteToken[b] >= 0 ? this.byteToken[b] : this.vocab.unk);
    }
  }

  /** Throws an InvalidInputError naming `id` when it is not a token of this vocabulary. */
  checkToken(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new InvalidInputError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
  }

  /**
   * UTF-8 bytes that token `id` prints after token `prev`: byte tokens give their byte, control
   * tokens nothing, and a piece right after BOS loses its leading space (llama2.c's rule).
   */
  pieceBytes(prev: number, id: number): Uint8Array {
    this.checkToken(id);
    const b = this.tokenByte[id];
    if (b >= 0) return Uint8Array.of(b);
    const bytes = this.decoded[id];
    if (prev === this.bos && bytes.length > 0 && bytes[0] === 0x20) return bytes.subarray(1);
    return bytes;
  }

  /** Text of a token sequence (bytes joined first, so multi-byte characters split over byte tokens survive). */
  decode(tokens: ArrayLike<number>, prev = -1): string {
    return decodePieces(this, tokens, prev);
  }
}

/** Max-heap of candidate merges: higher score first, then the leftmost (smaller left index). */
class BigramHeap {
  private score: number[] = [];
  private left: number[] = [];
  private right: number[] = [];
  private sizes: number[] = [];

  get size(): number {
    return this.score.length;
  }

  private before(a: number, b: number): boolean {
    return this.score[a] > this.score[b] || (this.score[a] === this.score[b] && this.left[a] < this.left[b]);
  }

  private swap(a: number, b: number): void {
    for (const arr of [this.score, this.left, this.right, this.sizes]) {
      const t = arr[a];
      arr[a] = arr[b];
      arr[b] = t;
    }
  }

  push(score: number, left: number, right: number, size: number): void {
    let i = this.score.length;
    this.score.push(score);
    this.left.push(left);
    this.right.push(right);
    this.sizes.push(size);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { left: number; right: number; size: number } {
    const top = { left: this.left[0], right: this.right[0], size: this.sizes[0] };
    const last = this.score.length - 1;
    this.swap(0, last);
    this.score.pop();
    this.left.pop();
    this.right.pop();
    this.sizes.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < last && this.before(l, best)) best = l;
      if (r < last && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }
}
