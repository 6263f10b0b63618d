// Runs a Worker inside Cloudflare's real runtime (the `workerd` npm package, whose binary ships inside)
// on a loopback port, with the dyadic package imported through its `workerd` export condition exactly as a
// bundler would resolve it: every dist/ module and the .wasm builds become workerd modules, and the
// chat template renderer (@huggingface/jinja) is added under its package name.
//
// As a command (`npm run worker`): serves examples/worker/src/index.js with the bundled stories260K.gguf on
// http://127.0.0.1:${PORT:-8787} (POST /generate and the OpenAI routes under /v1) until Ctrl+C.
// The repository's tests import startWorker() from here (test/helpers/workerd.ts).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

export function workerdBinary() {
  const candidates = [`@cloudflare/workerd-${process.platform}-${process.arch === 'x64' ? '64' : process.arch}/bin/workerd`, 'workerd/bin/workerd'];
  for (const c of candidates) {
    try {
      const path = require.resolve(c);
      if (existsSync(path)) return path;
    } catch {
      // try the next one
    }
  }
  throw new Error('workerd binary not found: is the workerd npm package installed?');
}

/** The module the package's `workerd` export condition points at, relative to the package root. */
export function workerdEntry() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const condition = pkg.exports['.'].workerd; // a path, or {types, default}
  const entry = typeof condition === 'string' ? condition : condition.default;
  return entry.replace(/^\.\//, '');
}

/** Every file under `dir` whose name ends with `suffix`. */
export function listFiles(dir, suffix) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, suffix));
    else if (e.name.endsWith(suffix)) out.push(p);
  }
  return out;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts workerd serving `workerSource` (an ES module whose `import ... from 'dyadic'` is rewritten to the
 * package's workerd entry) on 127.0.0.1:`port` (a free one by default). Extra files (for example a model)
 * are added as data modules. Returns { url, output(), stop() }.
 */
export async function startWorker(workerSource, dataModules = {}, { port } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'dyadic-workerd-'));
  const entry = workerdEntry();
  writeFileSync(join(dir, 'worker.js'), workerSource.replaceAll(`from 'dyadic'`, `from './${entry}'`));
  const modules = [{ name: 'worker.js', kind: 'esModule', file: join(dir, 'worker.js') }];
  for (const file of listFiles(join(root, 'dist'), '.js')) modules.push({ name: relative(root, file), kind: 'esModule', file });
  for (const file of listFiles(join(root, 'dist/wasm'), '.wasm')) modules.push({ name: relative(root, file), kind: 'wasm', file });
  // Bare imports of the package's dependencies resolve by module name, as a bundler would inline them.
  const jinja = require.resolve('@huggingface/jinja').replace(/index\.cjs$/, 'index.js');
  modules.push({ name: '@huggingface/jinja', kind: 'esModule', file: jinja });
  for (const [name, file] of Object.entries(dataModules)) modules.push({ name, kind: 'data', file });
  return startWorkerd(dir, modules, { port });
}

/**
 * Starts workerd on 127.0.0.1:`port` (a free one by default) with `modules`, each { name, kind:
 * 'esModule' | 'wasm' | 'data', file }, the first the Worker's main module; its config goes into `dir`.
 * A bare import resolves to the module of that name in the importer's directory.
 */
export async function startWorkerd(dir, list, { port } = {}) {
  const modules = list.map((m) => `(name = "${m.name}", ${m.kind} = embed "${relative(dir, m.file)}")`);
  port ??= await freePort();
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    ${modules.join(',\n    ')}
  ],
  compatibilityDate = "2025-06-01",
  compatibilityFlags = ["nodejs_compat"],
);
`;
  writeFileSync(join(dir, 'config.capnp'), config);
  let log = '';
  const child = spawn(workerdBinary(), ['serve', join(dir, 'config.capnp'), '--verbose'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}:\n${log}`);
    try {
      await fetch(`${url}/__ready`);
      break;
    } catch {
      if (Date.now() - started > 20_000) {
        child.kill('SIGKILL');
        throw new Error(`workerd did not listen on ${url} within 20 s:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    output: () => log,
    stop: () => stopProcess(child),
  };
}

/** Ends a child process this module's caller started: SIGTERM, then SIGKILL after 3 s. `signal` sends a signal (default child.kill). */
export function stopProcess(child, signal = (s) => child.kill(s)) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    signal('SIGTERM');
    setTimeout(() => {
      try {
        signal('SIGKILL');
      } catch {
        // already gone
      }
    }, 3000).unref();
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const source = readFileSync(new URL('./src/index.js', import.meta.url), 'utf8');
  const port = Number(process.env.PORT ?? 8787);
  const worker = await startWorker(source, { 'stories260K.gguf': join(root, 'models/stories260K.gguf') }, { port });
  let shown = 0;
  const echo = setInterval(() => {
    const out = worker.output();
    process.stderr.write(out.slice(shown));
    shown = out.length;
  }, 200);
  process.stdout.write(`dyadic worker example on workerd: ${worker.url} (POST /generate, GET /v1/models, POST /v1/completions, POST /v1/chat/completions)\n`);
  const stop = async () => {
    clearInterval(echo);
    await worker.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
