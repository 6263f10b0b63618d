// node:http in front of a Request -> Response handler (./routes.ts): the body is read whole (requests
// are small JSON), the answer is written as its stream produces it, waiting for the socket to drain,
// and a client that disconnects cancels the answer's stream (which aborts its generation).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';

export type Handler = (request: Request) => Promise<Response>;

async function toRequest(req: IncomingMessage, signal: AbortSignal): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const method = req.method ?? 'GET';
  const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  const headers: Record<string, string> = {};
  if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
  return new Request(url, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks), signal });
}

async function send(response: Response, res: ServerResponse, signal: AbortSignal): Promise<void> {
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.writeHead(response.status);
  if (!response.body) return void res.end();
  res.flushHeaders();
  const reader = response.body.getReader();
  const cancel = () => void reader.cancel(signal.reason).catch(() => {});
  if (signal.aborted) return cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      if (signal.aborted) return;
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/** Serves `handler` over node:http; resolves once listening (port 0 picks a free one: read server.address()). */
export async function listen(handler: Handler, { port = 8080, host = '127.0.0.1' }: { port?: number; host?: string } = {}): Promise<Server> {
  const server = createServer((req, res) => {
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort(new Error('the client closed the connection'));
    });
    (async () => {
      const response = await handler(await toRequest(req, gone.signal));
      await send(response, res, gone.signal);
    })().catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `internal error: ${(e as Error)?.message ?? String(e)}`, type: 'server_error', param: null, code: null } }));
    });
  });
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}
