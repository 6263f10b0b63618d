// `dyadic serve`: the OpenAI-compatible routes (bindings/serve/routes.ts) over node:http, one engine,
// one line per request on stderr. `dyadic chat`: a conversation in the terminal on the same chat() API.
import { createInterface } from 'node:readline';
import { createChatEngine, type ChatEngine } from '../chat/engine.js';
import { chat } from '../chat/complete.js';
import type { ChatMessage } from '../chat/template.js';
import { openAIRoutes } from '../serve/routes.js';
import { listen } from '../serve/node.js';
import { type FlagSpec, type ParsedFlags, UsageError, parseFlags } from './args.js';
import { common, contextFor, generateFlags, requireModel, threadsFor } from './commands.js';
import type { EngineMode } from '../engines/engines.js';
import { readBytes } from '../entry/node-files.js';
import { downloadBar } from './progress.js';
import { loadModel, type LoadedModel } from '../model/load.js';

/** dyadic chat's sampling defaults (llama.cpp's chat defaults). */
const CHAT_TEMPERATURE = 0.8;
const CHAT_TOP_P = 0.95;

/** The flags serve and chat share: the model, its chat template and the engine. */
const engineFlags = {
  model: common.model,
  chatTemplate: { names: ['--chat-template-file'], kind: 'string', value: 'FILE', help: 'a Jinja chat template to use instead of the model file\'s', default: "the GGUF's tokenizer.chat_template, else a plain format" },
  ctx: common.ctx,
  mode: common.mode,
  threads: common.threads,
} satisfies Record<string, FlagSpec>;

export const serveFlags = {
  ...engineFlags,
  port: { names: ['--port'], kind: 'number', help: 'TCP port (0: any free port)', default: '8080' },
  host: { names: ['--host'], kind: 'string', value: 'HOST', help: 'address to listen on', default: '127.0.0.1' },
} satisfies Record<string, FlagSpec>;

export const chatFlags = {
  ...engineFlags,
  system: { names: ['--system'], kind: 'string', value: 'TEXT', help: 'a system message that starts the conversation' },
  maxTokens: { names: ['-n', '--n-predict'], kind: 'number', help: 'tokens per answer at most; -1 until the end of the turn', default: '-1' },
  temp: { ...generateFlags.temp, default: String(CHAT_TEMPERATURE) },
  topP: { ...generateFlags.topP, default: String(CHAT_TOP_P) },
  seed: { ...generateFlags.seed, default: 'random' },
} satisfies Record<string, FlagSpec>;

/** -m MODEL: a path or bundled name (requireModel), or an http(s) URL downloaded with a progress bar. */
async function modelFor(f: ParsedFlags): Promise<LoadedModel> {
  if (typeof f.model === 'string' && /^https?:\/\//.test(f.model)) {
    return loadModel({ url: f.model, onProgress: downloadBar(`downloading ${f.model.split('/').pop()}`) });
  }
  return requireModel(f);
}

async function engineFor(f: ParsedFlags): Promise<ChatEngine> {
  const model = await modelFor(f);
  if (!model.tokenizer) throw new UsageError(`${model.file} carries no vocabulary (serve and chat need a GGUF with its tokenizer)`);
  const chatTemplate = typeof f.chatTemplate === 'string' ? new TextDecoder().decode(readBytes(f.chatTemplate)) : undefined;
  return createChatEngine(model, {
    mode: typeof f.mode === 'string' ? (f.mode as EngineMode) : undefined, // createEngine checks the name
    maxPositions: contextFor(f, model.config, model.config.contextLength),
    threads: threadsFor(f),
    chatTemplate,
  });
}

export async function serveCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, serveFlags);
  const port = (f.port as number | undefined) ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${port} must be an integer in 0..65535`);
  const host = (f.host as string | undefined) ?? '127.0.0.1';
  const engine = await engineFor(f);
  const handler = openAIRoutes(engine, {
    onRequest: (r) =>
      process.stderr.write(`${r.route} ${r.status}${r.stream ? ' stream' : ''}${r.promptTokens !== undefined ? ` prompt=${r.promptTokens} completion=${r.completionTokens}` : ''}${r.finish ? ` finish=${r.finish}` : ''}\n`),
  });
  const server = await listen(handler, { port, host });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  process.stderr.write(
    `dyadic serve: ${engine.id} (mode ${engine.model.mode}, context ${engine.model.maxPositions}, ${engine.format.hasTemplate ? 'chat template from the model' : 'plain chat format'}) ` +
      `listening on http://${host.includes(':') ? `[${host}]` : host}:${bound}/v1\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export async function chatCommand(argv: string[]): Promise<void> {
  const f = parseFlags(argv, chatFlags);
  const engine = await engineFor(f);
  const n = (f.maxTokens as number | undefined) ?? -1;
  if (!(Number.isInteger(n) && n >= 1) && n !== -1) throw new UsageError(`-n ${n} must be a positive integer or -1`);
  const tty = process.stdin.isTTY === true;
  const messages: ChatMessage[] = typeof f.system === 'string' ? [{ role: 'system', content: f.system }] : [];
  const lines = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, prompt: '> ', terminal: tty });
  let answering: AbortController | undefined;
  lines.on('SIGINT', () => (answering ? answering.abort() : lines.close()));
  if (tty) process.stderr.write(`dyadic chat: ${engine.id} (mode ${engine.model.mode}); /reset forgets the conversation, /exit or Ctrl+D quits, Ctrl+C stops an answer\n`);
  if (tty) lines.prompt();
  let seed = f.seed as number | undefined;
  for await (const line of lines) {
    const text = line.trim();
    if (text === '/exit') break;
    if (text === '/reset') {
      messages.splice(typeof f.system === 'string' ? 1 : 0);
    } else if (text !== '') {
      messages.push({ role: 'user', content: text });
      answering = new AbortController();
      let reply = '';
      try {
        const stream = chat(engine, messages, {
          maxTokens: n === -1 ? undefined : n,
          temperature: (f.temp as number | undefined) ?? CHAT_TEMPERATURE,
          topP: (f.topP as number | undefined) ?? CHAT_TOP_P,
          seed,
          signal: answering.signal,
        });
        for await (const piece of stream) {
          reply += piece;
          process.stdout.write(piece);
        }
      } catch (e) {
        if (!answering.signal.aborted) throw e;
        process.stdout.write(' [stopped]');
      } finally {
        answering = undefined;
      }
      process.stdout.write('\n');
      messages.push({ role: 'assistant', content: reply });
      if (seed !== undefined) seed++; // a fixed seed stays reproducible over the turns without repeating
    }
    if (tty) lines.prompt();
  }
  lines.close();
}
