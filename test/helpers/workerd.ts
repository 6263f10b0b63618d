// Runs a Worker inside Cloudflare's real runtime (the `workerd` npm package, whose binary ships inside)
// on a loopback port, with the dyadic package imported through its `workerd` export condition exactly as a
// bundler would resolve it: every dist/ module and both .wasm builds become workerd modules.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

export function workerdBinary(): string {
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
export function workerdEntry(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const condition: string | { default: string } = pkg.exports['.'].workerd;
  const entry = typeof condition === 'string' ? condition : condition.default;
  return entry.replace(/^\.\//, '');
}

function listFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, suffix));
    else if (e.name.endsWith(suffix)) out.push(p);
  }
  return out;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningWorker {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

/**
 * Starts workerd serving `workerSource` (an ES module whose `import ... from 'dyadic'` is rewritten to the
 * package's workerd entry) on 127.0.0.1. Extra files (for example a model) can be added as data modules.
 */
export async function startWorker(workerSource: string, dataModules: Record<string, string> = {}): Promise<RunningWorker> {
  const dir = mkdtempSync(join(tmpdir(), 'dyadic-workerd-'));
  const entry = workerdEntry();
  writeFileSync(join(dir, 'worker.js'), workerSource.replaceAll(`from 'dyadic'`, `from './${entry}'`));
  const modules = [`(name = "worker.js", esModule = embed "worker.js")`];
  for (const file of listFiles(join(root, 'dist'), '.js')) {
    modules.push(`(name = "${relative(root, file)}", esModule = embed "${relative(dir, file)}")`);
  }
  for (const file of listFiles(join(root, 'dist/wasm'), '.wasm')) {
    modules.push(`(name = "${relative(root, file)}", wasm = embed "${relative(dir, file)}")`);
  }
  for (const [name, file] of Object.entries(dataModules)) modules.push(`(name = "${name}", data = embed "${relative(dir, file)}")`);
  const port = await freePort();
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
  const child: ChildProcess = spawn(workerdBinary(), ['serve', join(dir, 'config.capnp'), '--verbose'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
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
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
