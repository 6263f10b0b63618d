// `npm run worker` (examples/worker on workerd, at http://127.0.0.1:$PORT) under the official openai
// client: the same suite as `dyadic serve`, on the bundled stories260K.gguf (no chat template: the
// plain chat format), answers compared with the library in Node on the same model and mode.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chat, complete, createChatEngine } from '../../dist/entry/node.js';
import { freePort, stopProcess } from '../../examples/worker/local.mjs';
import { bundledModel } from './helpers/reference.js';
import { libraryReference, openAIClientSuite, type RunningServer } from '../helpers/openai-suite.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function startNpmRunWorker(): Promise<RunningServer> {
  const port: number = await freePort();
  const child = spawn('npm', ['run', '--silent', 'worker'], { cwd: root, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run worker did not start:\n${log}`)), 60_000);
    child.stdout.on('data', () => {
      if (log.includes(`http://127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`npm run worker exited with ${code}:\n${log}`)));
  });
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    // npm, node and workerd: the process group this test started.
    stop: () => stopProcess(child, (signal: string) => process.kill(-child.pid!, signal)),
  };
}

openAIClientSuite('npm run worker (examples/worker on workerd)', startNpmRunWorker, async () => {
  const engine = await createChatEngine(bundledModel(), { mode: 'w8a8', id: 'stories260K.gguf' });
  return libraryReference({ chat, complete } as never, engine);
});
