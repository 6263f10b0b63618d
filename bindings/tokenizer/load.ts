// Building a tokenizer from the vocabularies model files carry: GGUF metadata (tokenizer.ggml.*,
// SentencePiece "llama" or byte-level BPE "gpt2"), a llama2.c tok*.bin, or a Hugging Face tokenizer.json.
import { ModelFormatError } from '../formats/errors.js';
import { type GgufFile, ggufNumber, ggufString } from '../formats/gguf.js';
import type { Llama2cVocab } from '../formats/llama2c.js';
import { ByteBpeTokenizer, CONTRACTIONS, PRE_TOKENIZERS } from './byte-bpe.js';
import { SentencePieceTokenizer, TokenType } from './spm.js';
import type { Tokenizer } from './tokenizer.js';

export function tokenizerFromGguf(g: GgufFile): Tokenizer {
  const model = ggufString(g, 'tokenizer.ggml.model');
  if (model !== 'llama' && model !== 'gpt2') throw new ModelFormatError(g.file, `tokenizer.ggml.model = "${model}" is not supported ("llama" SentencePiece or "gpt2" byte-level BPE)`);
  const tokens = g.metadata.get('tokenizer.ggml.tokens');
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string')) throw new ModelFormatError(g.file, 'metadata "tokenizer.ggml.tokens" must be an array of strings');
  const n = tokens.length;
  const scores = g.metadata.get('tokenizer.ggml.scores');
  if (scores !== undefined && !(scores instanceof Float32Array)) throw new ModelFormatError(g.file, 'metadata "tokenizer.ggml.scores" must be an array of f32');
  const types = g.metadata.get('tokenizer.ggml.token_type');
  if (types !== undefined && !(types instanceof Int32Array)) throw new ModelFormatError(g.file, 'metadata "tokenizer.ggml.token_type" must be an array of i32');
  if (model === 'gpt2') {
    const merges = g.metadata.get('tokenizer.ggml.merges');
    if (!Array.isArray(merges) || merges.some((m) => typeof m !== 'string')) throw new ModelFormatError(g.file, 'metadata "tokenizer.ggml.merges" must be an array of strings');
    const pre = ggufString(g, 'tokenizer.ggml.pre', 'default');
    const preTokenizer = PRE_TOKENIZERS[pre];
    if (!preTokenizer) throw new ModelFormatError(g.file, `tokenizer.ggml.pre = "${pre}" is not supported (${Object.keys(PRE_TOKENIZERS).join(', ')})`);
    const eos = ggufNumber(g, 'tokenizer.ggml.eos_token_id');
    return new ByteBpeTokenizer(
      { tokens: tokens as string[], merges: merges as string[], types, preTokenizer, bos: ggufNumber(g, 'tokenizer.ggml.bos_token_id', eos), eos },
      g.file,
    );
  }
  return new SentencePieceTokenizer(
    {
      pieces: tokens as string[],
      scores: scores ?? new Float32Array(n),
      types,
      spaceSymbol: '\u2581',
      bos: ggufNumber(g, 'tokenizer.ggml.bos_token_id', 1),
      eos: ggufNumber(g, 'tokenizer.ggml.eos_token_id', 2),
      unk: ggufNumber(g, 'tokenizer.ggml.unknown_token_id', 0),
    },
    g.file,
  );
}

/** llama2.c's fixed ids: 0 <unk>, 1 <s>, 2 </s>. */
export function tokenizerFromLlama2c(v: Llama2cVocab, file = 'tokenizer.bin'): SentencePieceTokenizer {
  const decoder = new TextDecoder();
  return new SentencePieceTokenizer({ pieces: v.pieces.map((p) => decoder.decode(p)), scores: v.scores, spaceSymbol: ' ', bos: 1, eos: 2, unk: 0 }, file);
}

/** The Split / Digits / ByteLevel steps of a tokenizer.json pre_tokenizer, as regexes applied in turn. */
function hfPreTokenizer(p: Record<string, unknown> | null | undefined, file: string): string[] {
  if (p === null || p === undefined) return [];
  if (typeof p !== 'object') throw new ModelFormatError(file, `pre_tokenizer ${JSON.stringify(p)} is not an object`);
  switch (p.type) {
    case 'Sequence':
      if (!Array.isArray(p.pretokenizers)) throw new ModelFormatError(file, 'pre_tokenizer Sequence without a pretokenizers list');
      return (p.pretokenizers as Record<string, unknown>[]).flatMap((q) => hfPreTokenizer(q, file));
    case 'Split': {
      const pattern = (p.pattern ?? {}) as { Regex?: unknown; String?: unknown };
      if (typeof pattern.String === 'string') return [pattern.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')];
      // JS has no inline (?i:...); the only use in these tokenizers is the English contractions.
      if (typeof pattern.Regex !== 'string') throw new ModelFormatError(file, 'pre_tokenizer Split without a pattern');
      const re = pattern.Regex.replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", CONTRACTIONS);
      if (re.includes('(?i')) throw new ModelFormatError(file, `pre-tokenizer regex ${re} uses an inline flag JavaScript lacks`);
      return [re];
    }
    case 'Digits':
      return [p.individual_digits ? '\\p{N}' : '\\p{N}+'];
    case 'ByteLevel':
      return p.use_regex === false ? [] : PRE_TOKENIZERS['gpt-2'];
    default:
      throw new ModelFormatError(file, `pre-tokenizer type ${String(p.type)} is not supported`);
  }
}

/**
 * A byte-level BPE tokenizer from a Hugging Face tokenizer.json. `bos`/`eos` come from config.json
 * (Qwen2 and SmolLM name them there); `vocabSize` pads the table to the model's embedding rows.
 */
export function tokenizerFromHfJson(json: string, ids: { bos?: number; eos?: number; vocabSize?: number } = {}, file = 'tokenizer.json'): Tokenizer {
  let t: { model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] }; added_tokens?: { id: number; content: string; special?: boolean }[]; pre_tokenizer?: Record<string, unknown> };
  try {
    t = JSON.parse(json);
  } catch (e) {
    throw new ModelFormatError(file, `not valid JSON (${(e as Error).message})`);
  }
  const bad = (what: string) => new ModelFormatError(file, what);
  if (typeof t !== 'object' || t === null) throw bad('not a JSON object');
  if (t.model?.type !== 'BPE' || typeof t.model.vocab !== 'object' || t.model.vocab === null || !Array.isArray(t.model.merges)) {
    throw bad(`model.type ${String(t.model?.type)} is not a byte-level BPE with vocab and merges`);
  }
  for (const m of t.model.merges) {
    if (typeof m !== 'string' && !(Array.isArray(m) && m.length === 2 && m.every((x) => typeof x === 'string'))) throw bad(`merge ${JSON.stringify(m)} is not "a b" or ["a", "b"]`);
  }
  if (t.added_tokens !== undefined && (!Array.isArray(t.added_tokens) || t.added_tokens.some((a) => typeof a !== 'object' || a === null || typeof a.content !== 'string'))) {
    throw bad('added_tokens must be a list of {id, content}');
  }
  const entries: [string, number][] = [...Object.entries(t.model.vocab), ...(t.added_tokens ?? []).map((a): [string, number] => [a.content, a.id])];
  let size = ids.vocabSize ?? 0;
  for (const [, id] of entries) {
    if (!Number.isInteger(id) || id < 0 || id > 1 << 22) throw new ModelFormatError(file, `token id ${id} is not in 0..${1 << 22}`);
    size = Math.max(size, id + 1);
  }
  if (ids.vocabSize !== undefined && size > ids.vocabSize) throw new ModelFormatError(file, `token id ${size - 1} is beyond the model's ${ids.vocabSize} embedding rows`);
  const tokens: (string | undefined)[] = new Array(size);
  const types = new Int32Array(size).fill(TokenType.NORMAL); // [size]
  for (const [text, id] of Object.entries(t.model.vocab)) tokens[id] = text;
  for (const a of t.added_tokens ?? []) {
    tokens[a.id] = a.content;
    types[a.id] = a.special ? TokenType.CONTROL : TokenType.USER_DEFINED;
  }
  const merges = t.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const endOfText = entries.find(([text]) => text === '<|endoftext|>')?.[1];
  const eos = ids.eos ?? endOfText ?? 0;
  return new ByteBpeTokenizer({ tokens, merges, types, preTokenizer: hfPreTokenizer(t.pre_tokenizer, file), bos: ids.bos ?? eos, eos }, file);
}
