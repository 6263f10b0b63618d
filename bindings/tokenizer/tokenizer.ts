// What generation, evaluation and the CLI need from a tokenizer, whichever algorithm is behind it
// (SentencePiece BPE for Llama, byte-level BPE for GPT-2/Qwen2/SmolLM).

export interface EncodeOptions {
  /** Prepend BOS (default true, as llama2.c and llama.cpp do for generation). */
  bos?: boolean;
  /** Append EOS (default false). */
  eos?: boolean;
  /** SentencePiece only: prepend the dummy-prefix space to non-empty text (default true). */
  prefixSpace?: boolean;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly bos: number;
  readonly eos: number;
  /** Token ids of `text`. */
  encode(text: string, options?: EncodeOptions): number[];
  /** UTF-8 bytes token `id` prints after token `prev` (control tokens print nothing). */
  pieceBytes(prev: number, id: number): Uint8Array;
  /** The vocabulary's own string for token `id` (e.g. "<|im_end|>", "\u2581the"), '' for an unnamed id. */
  tokenText(id: number): string;
  /** Text of a token sequence (bytes joined first, so characters split over tokens survive). */
  decode(tokens: ArrayLike<number>, prev?: number): string;
}

/** Joins the bytes of each token and decodes them as UTF-8 (shared by every Tokenizer's decode). */
export function decodePieces(t: Tokenizer, tokens: ArrayLike<number>, prev: number): string {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < tokens.length; i++) {
    const p = t.pieceBytes(i === 0 ? prev : tokens[i - 1], tokens[i]);
    parts.push(p);
    total += p.length;
  }
  const all = new Uint8Array(total); // [total bytes]
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new TextDecoder().decode(all);
}

/** One regex matching any of `specials` (longest first, so a special token that contains another wins); undefined for none. */
export function specialTokenPattern(specials: string[]): RegExp | undefined {
  if (specials.length === 0) return undefined;
  const sorted = [...specials].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
}
