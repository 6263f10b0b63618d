// Headless Chromium for the end-to-end bench: a static server on loopback serving the repository root
// (dyadic's browser entry unbundled, wllama's ESM build from node_modules, the GGUF files), optionally
// cross-origin isolated (COOP/COEP, which wllama needs for its multi-thread build), and one fresh browser
// per run so the renderer's peak resident size (VmHWM) belongs to that run alone.
// Same approach as test/helpers/chromium.ts (Debian's /usr/bin/chromium via playwright-core, same flags);
// that file is TypeScript for vitest and not compiled into dist, so the few lines are restated here.
import { createServer } from 'node:http';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM_PATH = '/usr/bin/chromium';
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

// The page: dyadic through an import map (as an app without a bundler), wllama's ESM build, and the
// shared dyadic run (bench/lib/e2e-dyadic.mjs, the same code the Node side runs).
const PAGE = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="importmap">{ "imports": { "dyadic": "/dist/entry/browser.js" } }</script>
<script type="module">
import * as dyadic from 'dyadic';
import { runDyadic } from '/bench/lib/e2e-dyadic.mjs';
import { runWllama } from '/bench/lib/e2e-wllama-page.mjs';
window.e2e = {
  async dyadic(o) {
    const bytes = new Uint8Array(await (await fetch(o.url)).arrayBuffer());
    return runDyadic(dyadic, { ...o, bytes, file: o.url.split('/').pop() });
  },
  wllama: runWllama,
  isolated: () => self.crossOriginIsolated,
};
window.e2eReady = true;
</script>`;

/** Serves the repository root and the bench page on 127.0.0.1. */
export async function serveBench({ isolated }) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const headers = isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
    if (path === '/e2e.html') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size });
    createReadStream(file).pipe(res); // models are hundreds of MB: stream them
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(() => r())) };
}

function launch() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Descendant process ids of `pid` (this process: playwright starts Chromium as a child) whose command line has --type=renderer. */
function rendererPids(pid) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch { /* process ended */ }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      try {
        if (readFileSync(`/proc/${c}/cmdline`, 'utf8').includes('--type=renderer')) out.push(c);
      } catch { /* ended */ }
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Peak resident bytes (VmHWM) summed over the browser's renderer processes (the page and its workers). */
function rendererPeakBytes(browserPid) {
  let total = 0;
  for (const pid of rendererPids(browserPid)) {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch { /* ended */ }
  }
  return total;
}

/**
 * Runs `window.e2e[kind](options)` in a fresh headless Chromium on `server` and returns its result with
 * `rssBytes` (the renderer's peak resident size) and the browser version.
 */
export async function runInChromium(server, kind, options, { timeoutMs = 20 * 60_000 } = {}) {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const logs = [];
    page.on('console', (m) => { if (m.type() === 'error') logs.push(m.text()); });
    page.on('pageerror', (e) => logs.push(String(e)));
    page.setDefaultTimeout(timeoutMs);
    await page.goto(`${server.url}/e2e.html`);
    await page.waitForFunction(() => window.e2eReady === true);
    let result;
    try {
      result = await page.evaluate(([k, o]) => window.e2e[k](o), [kind, options]);
    } catch (e) {
      throw new Error(`${kind} in Chromium failed: ${e.message}${logs.length ? `\n${logs.slice(-5).join('\n')}` : ''}`);
    }
    const isolated = await page.evaluate(() => window.e2e.isolated());
    return { ...result, rssBytes: rendererPeakBytes(process.pid), browserVersion: browser.version(), isolated };
  } finally {
    await browser.close();
  }
}
