// The bar of issue 16: the official `openai` npm client, unchanged, against a dyadic server (Node's
// `dyadic serve` or the Worker example in workerd). Expected answers come from the library in this
// process (chat()/complete() on the same file and mode), not from the server under test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';

export interface RunningServer {
  /** Base URL of the OpenAI routes, e.g. http://127.0.0.1:1234/v1 */
  readonly baseURL: string;
  /** What the server logged so far (one line per request), when the host gives access to it. */
  log?(): string;
  stop(): Promise<void>;
}

export interface Reference {
  readonly modelId: string;
  chat(messages: { role: 'user' | 'system' | 'assistant'; content: string }[], o: { maxTokens: number; temperature: number; seed: number; topP?: number }): Promise<{ text: string; promptTokens: number; completionTokens: number }>;
  complete(prompt: string, o: { maxTokens: number; temperature: number; seed: number; topP?: number }): Promise<{ text: string; promptTokens: number; completionTokens: number }>;
  /** A prompt longer than the server's context. */
  readonly tooLong: string;
}

async function waitFor(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function openAIClientSuite(name: string, start: () => Promise<RunningServer>, reference: () => Promise<Reference>): void {
  describe(`the openai client against ${name}`, () => {
    let server: RunningServer;
    let ref: Reference;
    let client: OpenAI;
    beforeAll(async () => {
      [server, ref] = await Promise.all([start(), reference()]);
      client = new OpenAI({ baseURL: server.baseURL, apiKey: 'not-needed', maxRetries: 0, timeout: 120_000 });
    });
    afterAll(async () => {
      await server?.stop();
    });

    const user = (content: string) => [{ role: 'user' as const, content }];

    it('lists the model', async () => {
      const models = [];
      for await (const m of client.models.list()) models.push(m);
      expect(models.map((m) => m.id)).toEqual([ref.modelId]);
    });

    it('completions, streamed and not, equal the library at temperature 0, with usage', async () => {
      const want = await ref.complete('Once upon a time', { maxTokens: 12, temperature: 0, seed: 1 });
      const plain = await client.completions.create({ model: ref.modelId, prompt: 'Once upon a time', max_tokens: 12, temperature: 0 });
      expect(plain.choices[0].text).toBe(want.text);
      expect(plain.usage).toEqual({ prompt_tokens: want.promptTokens, completion_tokens: want.completionTokens, total_tokens: want.promptTokens + want.completionTokens });
      const stream = await client.completions.create({ model: ref.modelId, prompt: 'Once upon a time', max_tokens: 12, temperature: 0, stream: true });
      let text = '';
      let chunks = 0;
      let finish: string | null = null;
      for await (const c of stream) {
        text += c.choices[0]?.text ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
        chunks++;
      }
      expect(text).toBe(plain.choices[0].text);
      expect(chunks).toBeGreaterThan(2);
      expect(finish).toBe(plain.choices[0].finish_reason);
    });

    it('chat completions, streamed and not, equal the library at temperature 0, with usage', async () => {
      const messages = [{ role: 'system' as const, content: 'Be brief.' }, ...user('Tell me a story.')];
      const want = await ref.chat(messages, { maxTokens: 16, temperature: 0, seed: 1 });
      const plain = await client.chat.completions.create({ model: ref.modelId, messages, max_tokens: 16, temperature: 0 });
      expect(plain.choices[0].message).toMatchObject({ role: 'assistant', content: want.text });
      expect(plain.usage).toMatchObject({ prompt_tokens: want.promptTokens, completion_tokens: want.completionTokens });
      const stream = await client.chat.completions.create({ model: ref.modelId, messages, max_tokens: 16, temperature: 0, stream: true });
      let text = '';
      let usage;
      for await (const c of stream) {
        text += c.choices[0]?.delta?.content ?? '';
        usage = c.usage ?? usage;
      }
      expect(text).toBe(plain.choices[0].message.content);
      expect(usage).toMatchObject({ prompt_tokens: want.promptTokens, completion_tokens: want.completionTokens });
    });

    it('four concurrent requests each equal the sequential answer', async () => {
      const requests = [
        { messages: user('Hello there'), seed: 11 },
        { messages: user('What is a cat?'), seed: 22 },
        { messages: user('Count to three'), seed: 33 },
        { messages: user('Hello there'), seed: 44 },
      ].map((r) => ({ model: ref.modelId, max_tokens: 20, temperature: 0.9, top_p: 0.95, ...r }));
      const sequential: (string | null)[] = [];
      for (const r of requests) sequential.push((await client.chat.completions.create(r)).choices[0].message.content);
      const concurrent = await Promise.all(requests.map(async (r, i) => {
        if (i % 2 === 0) return (await client.chat.completions.create(r)).choices[0].message.content;
        let text = '';
        for await (const c of await client.chat.completions.create({ ...r, stream: true })) text += c.choices[0]?.delta?.content ?? '';
        return text;
      }));
      expect(concurrent).toEqual(sequential);
      // And the library agrees with the first one.
      expect(sequential[0]).toBe((await ref.chat(requests[0].messages, { maxTokens: 20, temperature: 0.9, topP: 0.95, seed: 11 })).text);
      // Different seeds gave different samples (the comparison above is not between constant answers).
      expect(new Set(sequential).size).toBeGreaterThan(1);
    });

    it('a client that aborts mid-stream leaves the server healthy', async () => {
      const before = server.log?.() ?? '';
      const stream = await client.chat.completions.create({ model: ref.modelId, messages: user('Write a long story.'), max_tokens: 200, temperature: 0.9, seed: 5, stream: true });
      let chunks = 0;
      for await (const c of stream) {
        void c;
        if (++chunks === 3) {
          stream.controller.abort();
          break;
        }
      }
      if (server.log) {
        // The server stopped that generation early (the log line of the aborted request).
        await waitFor(() => /finish=aborted/.test(server.log!().slice(before.length)), 'the server to log the aborted request');
        const line = server.log().slice(before.length).split('\n').find((l) => l.includes('finish=aborted'))!;
        expect(Number(/completion=(\d+)/.exec(line)![1])).toBeLessThan(200);
      }
      const want = await ref.chat(user('Hi'), { maxTokens: 8, temperature: 0, seed: 1 });
      const after = await client.chat.completions.create({ model: ref.modelId, messages: user('Hi'), max_tokens: 8, temperature: 0 });
      expect(after.choices[0].message.content).toBe(want.text);
    });

    it('answers bad requests with 400 and an OpenAI error body, and keeps serving', async () => {
      const status = async (p: Promise<unknown>) => {
        const e = await p.then(() => undefined, (err) => err);
        expect(e).toBeInstanceOf(OpenAI.APIError);
        return e as InstanceType<typeof OpenAI.APIError>;
      };
      const negative = await status(client.chat.completions.create({ model: ref.modelId, messages: user('Hi'), max_tokens: -5 }));
      expect(negative.status).toBe(400);
      expect(negative.message).toMatch(/max_tokens -5/);
      expect(negative.type).toBe('invalid_request_error');
      const notList = await status(client.chat.completions.create({ model: ref.modelId, messages: 'not a list' as never }));
      expect(notList.status).toBe(400);
      expect(notList.message).toMatch(/messages must be a list/);
      const long = await status(client.completions.create({ model: ref.modelId, prompt: ref.tooLong, max_tokens: 4 }));
      expect(long.status).toBe(400);
      expect(long.message).toMatch(/context/);
      const raw = await fetch(`${server.baseURL}/chat/completions`, { method: 'POST', body: '{not json' });
      expect(raw.status).toBe(400);
      expect((await raw.json()).error.message).toMatch(/not valid JSON/);
      const want = await ref.complete('The end', { maxTokens: 6, temperature: 0, seed: 1 });
      const after = await client.completions.create({ model: ref.modelId, prompt: 'The end', max_tokens: 6, temperature: 0 });
      expect(after.choices[0].text).toBe(want.text);
    });
  });
}

/** A Reference from a ChatEngine in this process (the library's chat/complete). */
export function libraryReference(
  api: { chat: (e: never, m: never, o: never) => { text(): Promise<string>; promptTokens: number; completionTokens: number }; complete: (e: never, p: string, o: never) => { text(): Promise<string>; promptTokens: number; completionTokens: number } },
  engine: { id: string; model: { maxPositions: number } },
): Reference {
  const run = async (s: { text(): Promise<string>; promptTokens: number; completionTokens: number }) => {
    const text = await s.text();
    return { text, promptTokens: s.promptTokens, completionTokens: s.completionTokens };
  };
  return {
    modelId: engine.id,
    chat: (m, o) => run(api.chat(engine as never, m as never, o as never)),
    complete: (p, o) => run(api.complete(engine as never, p, o as never)),
    tooLong: 'word '.repeat(engine.model.maxPositions + 10),
  };
}
