// OpenAI-compatible routes on the web platform's Request/Response, shared by every host: `dyadic serve`
// (node:http adapted in ./node.ts) and the Worker example (workerd hands Requests over as they are).
//   GET  /v1/models              the one model
//   POST /v1/completions         {prompt, max_tokens, temperature, top_p, seed, stop, stream}
//   POST /v1/chat/completions    {messages, ...the same}
// Streamed answers are server-sent events (`data: {chunk}` ... `data: [DONE]`) as OpenAI sends them;
// the last chunk carries finish_reason and usage. Bad input is a 400 with OpenAI's error body
// {error: {message, type: "invalid_request_error", param, code}}; a client that goes away aborts its
// generation between two tokens. Requests wait for the engine in turn (ChatEngine's queue).
import { InvalidInputError } from '../formats/errors.js';
import { chat, complete, type CompletionOptions, type TextStream } from '../chat/complete.js';
import type { ChatEngine } from '../chat/engine.js';
import { parseMessages } from '../chat/template.js';

/** OpenAI's default for /v1/completions when max_tokens is not given. */
export const DEFAULT_COMPLETION_TOKENS = 16;

/** What a host reports about each finished request (for its log). */
export interface RequestRecord {
  readonly route: string;
  readonly status: number;
  readonly stream: boolean;
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** 'stop', 'length', 'aborted' (the client left) or 'error'. */
  readonly finish?: string;
}

export interface RoutesOptions {
  /** Called once per request when its answer is complete (or abandoned). */
  onRequest?: (record: RequestRecord) => void;
}

class BadRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
    readonly status = 400,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS' };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...CORS } });
}

function errorResponse(e: BadRequest): Response {
  return json(e.status, { error: { message: e.message, type: e.type, param: e.param, code: null } });
}

type Body = Record<string, unknown>;

function optionalNumber(body: Body, name: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BadRequest(`${name} must be a number, got ${JSON.stringify(v)}`, name);
  return v;
}

/** The sampling fields both routes share, checked with the field's OpenAI name in the message. */
function samplingOptions(body: Body, defaultMaxTokens: number): CompletionOptions {
  const max = optionalNumber(body, 'max_completion_tokens') ?? optionalNumber(body, 'max_tokens');
  const param = body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) throw new BadRequest(`${param} ${max} must be a positive integer`, param);
  const temperature = optionalNumber(body, 'temperature');
  if (temperature !== undefined && !(temperature >= 0 && temperature <= 2)) throw new BadRequest(`temperature ${temperature} must be in [0, 2]`, 'temperature');
  const topP = optionalNumber(body, 'top_p');
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw new BadRequest(`top_p ${topP} must be in (0, 1]`, 'top_p');
  const seed = optionalNumber(body, 'seed');
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new BadRequest(`seed ${seed} must be an integer`, 'seed');
  const n = optionalNumber(body, 'n');
  if (n !== undefined && n !== 1) throw new BadRequest(`n ${n} is not supported (one choice per request)`, 'n');
  let stop = body.stop ?? undefined;
  if (typeof stop === 'string') stop = [stop];
  if (stop !== undefined && !(Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string' && s !== ''))) {
    throw new BadRequest('stop must be a non-empty string or a list of up to 4 of them', 'stop');
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw new BadRequest('stream must be a boolean', 'stream');
  return { maxTokens: max ?? defaultMaxTokens, temperature, topP, seed, stop: stop as string[] | undefined };
}

const sse = (data: unknown) => new TextEncoder().encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);

function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

interface Route {
  readonly isChat: boolean;
  readonly name: string;
}

const usage = (s: TextStream) => ({ prompt_tokens: s.promptTokens, completion_tokens: s.completionTokens, total_tokens: s.promptTokens + s.completionTokens });

async function answer(route: Route, engine: ChatEngine, body: Body, signal: AbortSignal, record: (r: Omit<RequestRecord, 'route'>) => void): Promise<Response> {
  const options = samplingOptions(body, route.isChat ? Infinity : DEFAULT_COMPLETION_TOKENS);
  const streamed = body.stream === true;
  const abort = new AbortController();
  const onAbort = () => abort.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  let stream: TextStream;
  try {
    if (route.isChat) {
      stream = chat(engine, parseMessages(body.messages), { ...options, signal: abort.signal });
    } else {
      let prompt = body.prompt ?? '';
      if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0];
      if (typeof prompt !== 'string') throw new BadRequest('prompt must be a string (or a list of one string)', 'prompt');
      stream = complete(engine, prompt, { ...options, signal: abort.signal });
    }
  } catch (e) {
    if (e instanceof InvalidInputError) throw new BadRequest(e.message, route.isChat && /messages/.test(e.message) ? 'messages' : null);
    throw e;
  }
  const id = randomId(route.isChat ? 'chatcmpl-' : 'cmpl-');
  const created = Math.floor(Date.now() / 1000);
  const head = { id, object: route.isChat ? 'chat.completion' : 'text_completion', created, model: engine.id };
  const done = (finish: string) => record({ status: 200, stream: streamed, promptTokens: stream.promptTokens, completionTokens: stream.completionTokens, finish });

  if (!streamed) {
    let text: string;
    try {
      text = await stream.text();
    } catch (e) {
      done(abort.signal.aborted ? 'aborted' : 'error');
      if (abort.signal.aborted) return json(499, { error: { message: 'the client closed the request', type: 'aborted', param: null, code: null } });
      throw e;
    }
    done(stream.finishReason ?? 'stop');
    const choice = route.isChat
      ? { index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: stream.finishReason }
      : { index: 0, text, logprobs: null, finish_reason: stream.finishReason };
    return json(200, { ...head, choices: [choice], usage: usage(stream) });
  }

  const chunkHead = { ...head, object: route.isChat ? 'chat.completion.chunk' : 'text_completion' };
  const chunk = (content: string | null, finish: string | null) =>
    route.isChat
      ? { ...chunkHead, choices: [{ index: 0, delta: content === null ? {} : { content }, logprobs: null, finish_reason: finish }] }
      : { ...chunkHead, choices: [{ index: 0, text: content ?? '', logprobs: null, finish_reason: finish }] };
  const pieces = stream[Symbol.asyncIterator]();
  let opened = false;
  let finished = false;
  const body$ = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!opened && route.isChat) {
        opened = true;
        controller.enqueue(sse({ ...chunkHead, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] }));
        return;
      }
      opened = true;
      try {
        const next = await pieces.next();
        if (!next.done) {
          controller.enqueue(sse(chunk(next.value, null)));
          return;
        }
        controller.enqueue(sse({ ...chunk(null, stream.finishReason), usage: usage(stream) }));
        controller.enqueue(sse('[DONE]'));
        finished = true;
        done(stream.finishReason ?? 'stop');
        controller.close();
      } catch (e) {
        finished = true;
        if (abort.signal.aborted) {
          done('aborted');
          controller.close();
          return;
        }
        done('error');
        controller.enqueue(sse({ error: { message: (e as Error).message ?? String(e), type: 'server_error', param: null, code: null } }));
        controller.close();
      }
    },
    cancel(reason) {
      // The client went away: stop generating before the next token.
      abort.abort(reason);
      if (!finished) {
        finished = true;
        // The pending piece (if any) rejects with the abort; the record is written once it has.
        void pieces.next().catch(() => {}).finally(() => done('aborted'));
      }
    },
  }, { highWaterMark: 0 });
  return new Response(body$, { status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...CORS } });
}

/**
 * The request handler of the OpenAI-compatible routes for one engine (or a function that makes it on
 * first use, as a Worker does). Any other path is a 404, a wrong method a 405, both in OpenAI's shape.
 */
export function openAIRoutes(engine: ChatEngine | (() => Promise<ChatEngine>), options: RoutesOptions = {}): (request: Request) => Promise<Response> {
  let ready: Promise<ChatEngine> | undefined;
  const getEngine = () => (ready ??= typeof engine === 'function' ? engine() : Promise.resolve(engine));
  const routes: Record<string, Route> = {
    '/v1/completions': { isChat: false, name: 'completions' },
    '/v1/chat/completions': { isChat: true, name: 'chat.completions' },
  };
  return async (request) => {
    const path = new URL(request.url).pathname.replace(/\/+$/, '');
    const record = (r: Omit<RequestRecord, 'route'>) => options.onRequest?.({ route: `${request.method} ${path}`, ...r });
    try {
      if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: CORS });
      if (path === '/v1/models') {
        if (request.method !== 'GET') throw new BadRequest(`use GET ${path}`, null, 405);
        const e = await getEngine();
        record({ status: 200, stream: false });
        return json(200, { object: 'list', data: [{ id: e.id, object: 'model', created: 0, owned_by: 'dyadic' }] });
      }
      const route = routes[path];
      if (!route) throw new BadRequest(`no route ${request.method} ${path} (GET /v1/models, POST /v1/completions, POST /v1/chat/completions)`, null, 404);
      if (request.method !== 'POST') throw new BadRequest(`use POST ${path}`, null, 405);
      let body: unknown;
      try {
        body = JSON.parse(await request.text());
      } catch {
        throw new BadRequest('the body is not valid JSON');
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('the body must be a JSON object');
      return await answer(route, await getEngine(), body as Body, request.signal, record);
    } catch (e) {
      if (e instanceof BadRequest) {
        record({ status: e.status, stream: false, finish: 'error' });
        return errorResponse(e);
      }
      record({ status: 500, stream: false, finish: 'error' });
      return errorResponse(new BadRequest(`internal error: ${(e as Error)?.message ?? String(e)}`, null, 500, 'server_error'));
    }
  };
}
