// The text API: chat() and complete() as async iterables of pieces. Expected tokens come from the
// engine driven directly (prefill + sampler, the library's generate path), not from the code under test.
import { beforeAll, describe, expect, it } from 'vitest';
import { chat, ChatEngine, complete, createChatEngine, createEngine, createSampler, generate, InvalidInputError, loadModel, type LoadedModel } from '../../dist/entry/node.js';
import { chatModelBytes } from '../helpers/chat-model.js';

let loaded: LoadedModel;
let engine: ChatEngine;
beforeAll(async () => {
  loaded = loadModel({ bytes: chatModelBytes(), file: 'chat-fixture.gguf' });
  engine = await createChatEngine(loaded, { mode: 'w8a8' });
});

/** What generate() (the CLI's path) continues `prompt` with, as text, greedy. */
async function reference(prompt: string, maxTokens: number): Promise<string> {
  const model = await createEngine('w8a8', loaded);
  const sampler = createSampler(model, { temperature: 0, seed: 1 });
  const tok = loaded.tokenizer!;
  const r = generate(model, tok, sampler, { prompt, maxTokens });
  return tok.decode(r.tokens, tok.encode(prompt).at(-1));
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const p of it) out.push(p);
  return out;
}

describe('complete() and chat()', () => {
  it('complete() streams the text generate() produces for the same prompt (greedy)', async () => {
    const s = complete(engine, 'The cat', { maxTokens: 12, temperature: 0 });
    const pieces = await collect(s);
    expect(pieces.length).toBeGreaterThan(1);
    const want = await reference('The cat', 12);
    expect(pieces.join('')).toBe(want);
    expect(s.promptTokens).toBe(loaded.tokenizer!.encode('The cat').length);
    expect(s.completionTokens).toBeLessThanOrEqual(12);
    expect(s.finishReason).toBe(s.completionTokens === 12 ? 'length' : 'stop');
  });

  it('the same seed gives the same text; concurrent streams on one engine do not mix', async () => {
    const options = { maxTokens: 16, temperature: 1, topP: 0.9, seed: 1234 };
    const alone = await complete(engine, 'Hello', options).text();
    const other = await complete(engine, 'Goodbye', { ...options, seed: 99 }).text();
    const [a, b, c] = await Promise.all([complete(engine, 'Hello', options).text(), complete(engine, 'Goodbye', { ...options, seed: 99 }).text(), complete(engine, 'Hello', options).text()]);
    expect([a, b, c]).toEqual([alone, other, alone]);
  });

  it('chat() renders the template, answers, and stops at the vocabulary\'s end-of-turn token', async () => {
    // The engine's model behind a wrapper that makes <|end|> (32007) the argmax of the 6th sampled
    // position, so the answer must be exactly the first 5 tokens greedy decoding gives.
    const END = 32007;
    const tok = loaded.tokenizer!;
    const prompt = '<|user|>\nHi<|end|>\n<|assistant|>\n';
    const inner = engine.model;
    let steps = 0;
    const force = (logits: Int32Array | Float32Array) => {
      if (++steps === 6) logits[END] = Math.max(...logits) + 1;
      return logits;
    };
    const wrapped = Object.create(inner, {
      prefill: { value: (t: number[], p: number) => force(inner.prefill(t, p)) },
      forward: { value: (t: number, p: number) => force(inner.forward(t, p)) },
    });
    const forced = new ChatEngine(wrapped, tok, engine.format, 'forced');
    const s = chat(forced, [{ role: 'user', content: 'Hi' }], { maxTokens: 40, temperature: 0 });
    const text = await s.text();
    expect(s.promptTokens).toBe(tok.encode(prompt).length);
    // The same prompt through generate(): its first 5 tokens.
    const model = await createEngine('w8a8', loaded);
    const r = generate(model, tok, createSampler(model, { temperature: 0, seed: 1 }), { prompt, maxTokens: 5 });
    expect(text).toBe(tok.decode(r.tokens, tok.encode(prompt).at(-1)));
    expect(s.completionTokens).toBe(5);
    expect(s.finishReason).toBe('stop');
  });

  it('stop strings are never emitted, even when split across tokens', async () => {
    const sampling = { maxTokens: 30, temperature: 1, topP: 0.95, seed: 7 };
    const full = await complete(engine, 'Once', sampling).text();
    expect(full.length).toBeGreaterThan(20);
    // Every cut point: a stop string made of the text's characters [i, i+3), which may straddle tokens.
    for (let i = 1; i + 3 <= full.length; i += 2) {
      const stop = full.slice(i, i + 3);
      const first = full.indexOf(stop);
      const s = complete(engine, 'Once', { ...sampling, stop: ['\u0000never', stop] });
      const pieces = await collect(s);
      expect(pieces.join(''), `stop ${JSON.stringify(stop)}`).toBe(full.slice(0, first));
      expect(s.finishReason).toBe('stop');
    }
  });

  it('an AbortSignal stops generation between tokens, and the engine serves the next request', async () => {
    const controller = new AbortController();
    const s = complete(engine, 'Once', { maxTokens: 200, temperature: 0, signal: controller.signal });
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const p of s) {
          got.push(p);
          if (got.length === 2) controller.abort();
        }
      })(),
    ).rejects.toThrow(/abort/i);
    expect(s.completionTokens).toBeLessThanOrEqual(3);
    // A request already aborted never takes the engine.
    await expect(complete(engine, 'Once', { signal: AbortSignal.abort() }).text()).rejects.toThrow(/abort/i);
    expect(await complete(engine, 'Once', { maxTokens: 5, temperature: 0 }).text()).toBe(await reference('Once', 5));
  });

  it('refuses bad options and a prompt that does not fit, when called', () => {
    expect(() => complete(engine, 'x', { maxTokens: -5 })).toThrow(InvalidInputError);
    expect(() => complete(engine, 'x', { maxTokens: -5 })).toThrow(/maxTokens -5/);
    expect(() => complete(engine, 'x', { temperature: -1 })).toThrow(/temperature -1/);
    expect(() => complete(engine, 'x', { topP: 2 })).toThrow(/topP 2/);
    expect(() => complete(engine, 'x', { stop: [''] })).toThrow(/stop/);
    expect(() => chat(engine, 'not a list' as never)).toThrow(/messages must be a list/);
    expect(() => complete(engine, 'word '.repeat(400))).toThrow(/context of 256 positions/);
  });
});
