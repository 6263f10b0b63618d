// Chat messages to prompt text and back: the model's own `tokenizer.chat_template` (Jinja, rendered by
// @huggingface/jinja, the renderer transformers.js uses) or, for a model without one, a plain documented
// format. Also which tokens end an assistant turn. The renderer is imported when a template is first
// compiled, so hosts that never chat (or bundles without it) do not need it.
import { InvalidInputError } from '../formats/errors.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

/** Tokens that close a turn in the common chat formats (ChatML, Llama 3, Phi-3, Gemma), besides EOS. */
export const END_OF_TURN_TOKENS = ['<|im_end|>', '<|eot_id|>', '<|end|>', '<end_of_turn>'] as const;

/**
 * The fallback for a model without a template (for example a base model such as stories260K):
 *
 *     {system content}\n\n          (only for a system message)
 *     User: {content}\n
 *     Assistant: {content}\n
 *     Assistant:                    (the generation prompt)
 *
 * Roles other than system/user/assistant are written capitalised the same way. Generation stops at
 * "\nUser:" (PLAIN_STOP), where a base model would start writing the user's next turn.
 */
export const PLAIN_STOP = '\nUser:';

function plainRender(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
  let out = '';
  for (const m of messages) {
    if (m.role === 'system') out += `${m.content}\n\n`;
    else out += `${m.role[0].toUpperCase()}${m.role.slice(1)}: ${m.content}\n`;
  }
  return addGenerationPrompt ? out + 'Assistant:' : out;
}

/** Checks OpenAI-style messages: a non-empty list of {role, content}; content may be a string or a list of text parts. */
export function parseMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value)) throw new InvalidInputError(`messages must be a list of {role, content} objects, got ${JSON.stringify(value)?.slice(0, 60)}`);
  if (value.length === 0) throw new InvalidInputError('messages must not be empty');
  return value.map((m, i) => {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new InvalidInputError(`messages[${i}] must be an object with role and content`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || role === '') throw new InvalidInputError(`messages[${i}].role must be a non-empty string`);
    if (typeof content === 'string') return { role, content };
    if (content === null || content === undefined) return { role, content: '' };
    if (Array.isArray(content) && content.every((p) => p !== null && typeof p === 'object' && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string')) {
      return { role, content: content.map((p) => (p as { text: string }).text).join('') };
    }
    throw new InvalidInputError(`messages[${i}].content must be a string or a list of {type: "text", text} parts`);
  });
}

/**
 * What ChatFormat uses of a compiled template (@huggingface/jinja's Template). Declared here so dyadic's
 * published declarations do not import the renderer's, which do not type-check under NodeNext.
 */
export interface CompiledTemplate {
  render(context: Record<string, unknown>): string;
}

export class ChatFormat {
  private readonly template: CompiledTemplate | undefined;
  /** Token ids that end the assistant's turn: EOS and whichever END_OF_TURN_TOKENS the vocabulary has. */
  readonly stopTokens: ReadonlySet<number>;
  /** Text that ends the turn (PLAIN_STOP for the plain fallback; none for a template). */
  readonly stopStrings: readonly string[];

  /**
   * Use ChatFormat.create (it compiles the template). `source` is the Jinja text of the model's chat
   * template, `template` its compiled form; without them the plain fallback is used.
   */
  constructor(
    private readonly tokenizer: Tokenizer,
    readonly source?: string,
    template?: CompiledTemplate,
  ) {
    this.template = source ? template : undefined;
    if (source && !template) throw new InvalidInputError('ChatFormat: compile the template with ChatFormat.create');
    const stops = new Set([tokenizer.eos]);
    for (const text of END_OF_TURN_TOKENS) {
      const id = specialTokenId(tokenizer, text);
      if (id !== undefined) stops.add(id);
    }
    this.stopTokens = stops;
    this.stopStrings = this.template ? [] : [PLAIN_STOP];
  }

  /** `source`: the model's Jinja chat template; undefined or '' selects the plain fallback. */
  static async create(tokenizer: Tokenizer, source?: string): Promise<ChatFormat> {
    if (!source) return new ChatFormat(tokenizer);
    const { Template } = await import('@huggingface/jinja');
    let template: CompiledTemplate;
    try {
      template = new Template(source);
    } catch (e) {
      throw new InvalidInputError(`the chat template does not parse: ${(e as Error).message}`);
    }
    return new ChatFormat(tokenizer, source, template);
  }

  get hasTemplate(): boolean {
    return this.template !== undefined;
  }

  /** The prompt text for `messages`, ending with the assistant's turn opening when `addGenerationPrompt`. */
  render(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
    if (!this.template) return plainRender(messages, addGenerationPrompt);
    const t = this.tokenizer;
    try {
      return this.template.render({
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        bos_token: t.tokenText(t.bos),
        eos_token: t.tokenText(t.eos),
        add_generation_prompt: addGenerationPrompt,
      });
    } catch (e) {
      // Including the template's own raise_exception('...'), e.g. Gemma's "System role not supported".
      throw new InvalidInputError(`the chat template refused these messages: ${(e as Error).message}`);
    }
  }

  /**
   * Token ids of `messages` rendered: special tokens written by the template (e.g. "<|user|>") become
   * their own ids; BOS is prepended unless the template already wrote it.
   */
  encode(messages: readonly ChatMessage[], addGenerationPrompt = true): number[] {
    const ids = this.tokenizer.encode(this.render(messages, addGenerationPrompt), { bos: false });
    return ids[0] === this.tokenizer.bos ? ids : [this.tokenizer.bos, ...ids];
  }
}

/** The id of the single special token spelled `text`, if the vocabulary has one. */
function specialTokenId(t: Tokenizer, text: string): number | undefined {
  const ids = t.encode(text, { bos: false, prefixSpace: false });
  return ids.length === 1 && t.tokenText(ids[0]) === text ? ids[0] : undefined;
}
