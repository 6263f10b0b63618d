// Building a SentencePiece tokenizer from the vocabularies model files carry: GGUF metadata
// (tokenizer.ggml.*) or a llama2.c tok*.bin.
import { ModelFormatError } from '../formats/errors.js';
import { type GgufFile, ggufNumber, ggufString } from '../formats/gguf.js';
import type { Llama2cVocab } from '../formats/llama2c.js';
import { SentencePieceTokenizer } from './spm.js';

export function tokenizerFromGguf(g: GgufFile): SentencePieceTokenizer {
  const model = ggufString(g, 'tokenizer.ggml.model');
  if (model !== 'llama') throw new ModelFormatError(g.file, `tokenizer.ggml.model = "${model}" is not supported (only "llama" SentencePiece BPE)`);
  const tokens = g.metadata.get('tokenizer.ggml.tokens');
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string')) throw new ModelFormatError(g.file, 'metadata "tokenizer.ggml.tokens" must be an array of strings');
  const n = tokens.length;
  const scores = g.metadata.get('tokenizer.ggml.scores');
  if (scores !== undefined && !(scores instanceof Float32Array)) throw new ModelFormatError(g.file, 'metadata "tokenizer.ggml.scores" must be an array of f32');
  const types = g.metadata.get('tokenizer.ggml.token_type');
  if (types !== undefined && !(types instanceof Int32Array)) throw new ModelFormatError(g.file, 'metadata "tokenizer.ggml.token_type" must be an array of i32');
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
