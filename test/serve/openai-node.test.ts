// `dyadic serve` (the real CLI, node:http, a random port on 127.0.0.1) under the official openai client,
// on the chat fixture (random weights, the Phi-3 vocabulary and its chat template).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chat, complete, createChatEngine, loadModelFromPath } from '../../dist/entry/node.js';
import { writeChatModel } from '../helpers/chat-model.js';
import { stopProcess } from '../../examples/worker/local.mjs';
import { libraryReference, openAIClientSuite, type RunningServer } from '../helpers/openai-suite.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const modelPath = writeChatModel();

async function startServe(): Promise<RunningServer> {
  const child = spawn(process.execPath, [cli, 'serve', '-m', modelPath, '--port', '0', '--host', '127.0.0.1', '--mode', 'w8a8'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  child.stdout.on('data', (d) => (log += d));
  const baseURL = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dyadic serve did not start:\n${log}`)), 60_000);
    child.stderr.on('data', () => {
      const m = /listening on (http:\/\/\S+\/v1)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`dyadic serve exited with ${code}:\n${log}`)));
  });
  return {
    baseURL,
    log: () => log,
    stop: () => stopProcess(child),
  };
}

openAIClientSuite('dyadic serve (Node)', startServe, async () => {
  const engine = await createChatEngine(loadModelFromPath(modelPath), { mode: 'w8a8', id: 'chat-fixture.gguf' });
  return libraryReference({ chat, complete } as never, engine);
});
