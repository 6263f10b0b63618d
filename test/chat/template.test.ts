// Chat templates rendered by @huggingface/jinja (the reference renderer) against prompts written here
// by hand from each model's documented format, and the token ids of a rendered prompt on the real
// Phi-3 vocabulary against ids read from that vocabulary.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ChatFormat, InvalidInputError, loadModel, loadTokenizer, parseMessages, PLAIN_STOP, type Tokenizer } from '../../dist/entry/node.js';
import { chatModelBytes, PHI3_VOCAB } from '../helpers/chat-model.js';

const template = (name: string) => readFileSync(new URL(`../fixtures/chat/${name}.jinja`, import.meta.url), 'utf8');

/** Only what rendering needs: the texts of BOS and EOS (no special tokens to look up). */
function namesOnly(bos: string, eos: string): Tokenizer {
  const texts = [bos, eos];
  return {
    vocabSize: 2, bos: 0, eos: 1,
    tokenText: (id) => texts[id] ?? '',
    encode: () => [],
    pieceBytes: () => new Uint8Array(0),
    decode: () => '',
  };
}

const conversation = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Hi there' },
  { role: 'assistant', content: 'Hello.' },
  { role: 'user', content: 'Bye?' },
];

describe('chat templates (hand-written expected prompts)', () => {
  it('Qwen2.5 (ChatML)', async () => {
    const f = await ChatFormat.create(namesOnly('<|endoftext|>', '<|im_end|>'), template('Qwen-Qwen2.5-7B-Instruct'));
    expect(f.render(conversation)).toBe(
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n' +
        '<|im_start|>user\nBye?<|im_end|>\n<|im_start|>assistant\n',
    );
    // Without a system message Qwen writes its default one; without the generation prompt no assistant opening.
    expect(f.render([{ role: 'user', content: 'Hi' }], false)).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n',
    );
  });

  it('Llama 3.2 (today\'s date from the renderer\'s strftime_now, as transformers gives it)', async () => {
    const now = new Date();
    const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][now.getMonth()];
    const today = `${String(now.getDate()).padStart(2, '0')} ${month} ${now.getFullYear()}`;
    const f = await ChatFormat.create(namesOnly('<|begin_of_text|>', '<|eot_id|>'), template('meta-llama-Llama-3.2-3B-Instruct'));
    expect(f.render(conversation)).toBe(
      `<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: ${today}\n\nYou are terse.<|eot_id|>` +
        '<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nBye?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('Phi-3.5', async () => {
    const f = await ChatFormat.create(namesOnly('<s>', '<|endoftext|>'), template('microsoft-Phi-3.5-mini-instruct'));
    expect(f.render(conversation)).toBe('<|system|>\nYou are terse.<|end|>\n<|user|>\nHi there<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\nBye?<|end|>\n<|assistant|>\n');
    expect(f.render(conversation.slice(1, 3), false)).toBe('<|user|>\nHi there<|end|>\n<|assistant|>\nHello.<|end|>\n<|endoftext|>');
  });

  it('Gemma 2, whose template refuses a system message and non-alternating roles', async () => {
    const f = await ChatFormat.create(namesOnly('<bos>', '<eos>'), template('google-gemma-2-2b-it'));
    expect(f.render(conversation.slice(1))).toBe(
      '<bos><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_of_turn>user\nBye?<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(() => f.render(conversation)).toThrow(InvalidInputError);
    expect(() => f.render(conversation)).toThrow(/System role not supported/);
    expect(() => f.render([conversation[1], conversation[1]])).toThrow(/must alternate/);
  });

  it('SmolLM3 (held out: its thinking switch in the system message)', async () => {
    const f = await ChatFormat.create(namesOnly('<|im_start|>', '<|im_end|>'), template('HuggingFaceTB-SmolLM3-3B'));
    const messages = [{ role: 'system', content: 'You are terse. /no_think' }, ...conversation.slice(1)];
    expect(f.render(messages)).toBe(
      '<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nReasoning Mode: /no_think\n\n## Custom Instructions\n\nYou are terse.\n\n<|im_end|>\n' +
        '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\nHello.<|im_end|>\n<|im_start|>user\nBye?<|im_end|>\n' +
        '<|im_start|>assistant\n<think>\n\n</think>\n',
    );
  });

  it('the plain fallback for a model without a template', async () => {
    const f = await ChatFormat.create(namesOnly('<s>', '</s>'));
    expect(f.hasTemplate).toBe(false);
    expect(f.render(conversation)).toBe('You are terse.\n\nUser: Hi there\nAssistant: Hello.\nUser: Bye?\nAssistant:');
    expect(f.stopStrings).toEqual([PLAIN_STOP]);
  });

  it('names what is wrong with messages and templates', async () => {
    expect(() => parseMessages('not a list')).toThrow(/messages must be a list/);
    expect(() => parseMessages([])).toThrow(/must not be empty/);
    expect(() => parseMessages([{ role: 'user', content: 5 }])).toThrow(/messages\[0\]\.content/);
    expect(() => parseMessages([{ content: 'x' }])).toThrow(/messages\[0\]\.role/);
    expect(parseMessages([{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }])).toEqual([{ role: 'user', content: 'ab' }]);
    await expect(ChatFormat.create(namesOnly('<s>', '</s>'), '{% for %}')).rejects.toThrow(/chat template does not parse/);
  });
});

describe('chat prompts as token ids on the Phi-3 vocabulary', () => {
  const tok = loadTokenizer({ bytes: readFileSync(PHI3_VOCAB), file: 'ggml-vocab-phi-3.gguf' });
  // Ids read from the vocabulary file (tokenizer.ggml.tokens): <s> 1, <|endoftext|> 32000,
  // <|assistant|> 32001, <|system|> 32006, <|end|> 32007, <|user|> 32010; "\n" is the byte token <0x0A> = 13.
  const [BOS, ENDOFTEXT, ASSISTANT, SYSTEM, END, USER, NL] = [1, 32000, 32001, 32006, 32007, 32010, 13];
  const words = (s: string) => tok.encode(s, { bos: false, prefixSpace: false });

  it('the GGUF\'s own template: special tokens as single ids, BOS written once by the template', async () => {
    const model = loadModel({ bytes: chatModelBytes(), file: 'chat.gguf' });
    expect(model.chatTemplate).toMatch(/^\{\{ bos_token \}\}/);
    const f = await ChatFormat.create(tok, model.chatTemplate);
    const messages = [{ role: 'user', content: 'Hi there' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: 'Bye?' }];
    expect(f.render(messages)).toBe('<s><|user|>\nHi there<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\nBye?<|end|>\n<|assistant|>\n');
    expect(f.encode(messages)).toEqual([
      BOS, USER, NL, ...words('Hi there'), END, NL, ASSISTANT, NL, ...words('Hello.'), END, NL, USER, NL, ...words('Bye?'), END, NL, ASSISTANT, NL,
    ]);
    // The end-of-turn token of this vocabulary stops generation, besides EOS.
    expect([...f.stopTokens].sort((a, b) => a - b)).toEqual([ENDOFTEXT, END]);
  });

  it('the Phi-3.5 template (no BOS in it): BOS prepended, system turn included', async () => {
    const f = await ChatFormat.create(tok, template('microsoft-Phi-3.5-mini-instruct'));
    expect(f.encode(conversation.slice(0, 2))).toEqual([BOS, SYSTEM, NL, ...words('You are terse.'), END, NL, USER, NL, ...words('Hi there'), END, NL, ASSISTANT, NL]);
    // The word pieces themselves: "Hi there" is two vocabulary pieces, the second with its space marker.
    expect(words('Hi there').map((id) => tok.tokenText(id))).toEqual(['Hi', '\u2581there']);
  });

  it('a special token spelled inside plain text splits it; text at the start keeps the dummy prefix', async () => {
    expect(tok.encode('Hi<|end|>there', { bos: false })).toEqual([...tok.encode('Hi', { bos: false }), END, ...words('there')]);
  });
});
