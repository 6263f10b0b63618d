// The README's examples, as a consumer meets them: `npm pack` this checkout, install the tarball into a
// fresh app, and run every labelled code block (`<!-- example: NAME -->` before the fence) exactly as
// written: the Node examples with node and type-checked strict + NodeNext without the DOM lib, the Vite
// page built by Vite and run in Chromium, the Worker run in workerd with the modules wrangler would
// bundle. Also the package's promises: no install script, `dyadic/models/*` reachable, `npx dyadic`.
// npm test builds first (the tarball is packed with --ignore-scripts from the built dist/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';
import { listFiles, startWorkerd, type WorkerdModule } from './helpers/workerd.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string };
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// The examples run as a user runs them: without the test runner's Node flags.
const env = { ...process.env, NODE_OPTIONS: '' };

/** The labelled code blocks of the README, by file name. */
function examples(): Map<string, { lang: string; code: string }> {
  const out = new Map<string, { lang: string; code: string }>();
  for (const m of readme.matchAll(/<!-- example: (\S+) -->\n```(\w+)\n([\s\S]*?)\n```/g)) out.set(m[1], { lang: m[2], code: m[3] + '\n' });
  return out;
}

let app: string;
let installLog: string;
const blocks = examples();

beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'dyadic-readme-'));
  execFileSync(npm, ['pack', '--ignore-scripts', '--pack-destination', app], { cwd: repo, stdio: 'pipe', env });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'readme-app', private: true, type: 'module' }));
  // --prefer-offline: dyadic's dependencies come from npm's cache when they are there (the checkout's own
  // npm install put them there), so the test does not need the network.
  const install = spawnSync(npm, ['install', `./${pkg.name}-${pkg.version}.tgz`, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, encoding: 'utf8', env });
  installLog = install.stdout + install.stderr;
  if (install.status !== 0) throw new Error(`npm install of the packed tarball failed:\n${installLog}`);
  for (const [name, { code }] of blocks) {
    mkdirSync(dirname(join(app, name)), { recursive: true });
    writeFileSync(join(app, name), code);
  }
}, 180_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('installs with no install script and no install-script warning', () => {
    expect(installLog).not.toMatch(/install.?scripts|allowScripts|prepare|postinstall/i);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/dyadic/package.json'), 'utf8')) as { scripts?: Record<string, string> };
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(installed.scripts?.[script], script).toBeUndefined();
    expect(existsSync(join(app, 'node_modules/dyadic/LICENSE'))).toBe(true);
  });

  it('each export condition has its own declarations; only the node one has the file-system helpers', () => {
    const root = join(app, 'node_modules/dyadic');
    const conditions = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: { '.': Record<string, { types: string; default: string }> } }).exports['.'];
    expect(Object.keys(conditions)).toEqual(expect.arrayContaining(['node', 'browser', 'workerd', 'default']));
    for (const [name, { types, default: js }] of Object.entries(conditions)) {
      expect(types, name).toBe(js.replace(/\.js$/, '.d.ts'));
      const declared = readFileSync(join(root, types), 'utf8');
      expect(declared, name).toContain("export * from '../index.js'");
      expect(/loadModelFromPath/.test(declared), name).toBe(name === 'node');
      expect(/bundledModelUrl/.test(declared), name).toBe(name === 'node');
    }
  });

  it('every sourceMappingURL points at a file that ships', () => {
    const root = join(app, 'node_modules/dyadic/dist');
    const dangling = listFiles(root, '.js').flatMap((file) => {
      const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(file, 'utf8'));
      return m && !existsSync(join(dirname(file), m[1])) ? [file] : [];
    });
    expect(dangling).toEqual([]);
  });

  it("import.meta.resolve('dyadic/models/stories260K.gguf') reaches the bundled model", () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('dyadic/models/stories260K.gguf'))"], { cwd: app, encoding: 'utf8', env });
    expect(r.stderr).toBe('');
    const url = new URL(r.stdout.trim());
    expect(readFileSync(url)).toEqual(readFileSync(join(repo, 'models/stories260K.gguf')));
  });

  it('npx dyadic --version prints the version; npx dyadic generate --help describes --temp with its default', () => {
    const npx = (...args: string[]) => spawnSync(npm, ['exec', '--no', '--', 'dyadic', ...args], { cwd: app, encoding: 'utf8', env });
    expect(npx('--version').stdout).toBe(`${pkg.version}\n`);
    expect(npx('generate', '--help').stdout).toMatch(/^ {2}--temp T +.*\(default: 1\.0\)$/m);
    const r = npx('generate', '-m', 'stories260K', '-n', '20', '--seed', '3');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/mode w8a8, backend wasm-relaxed/);
  });
});

describe('README examples', () => {
  it('labels every JavaScript, HTML and TOML block (so each one runs here)', () => {
    const fenced = [...readme.matchAll(/(<!-- example: \S+ -->\n)?```(js|javascript|ts|typescript|html|toml)\n/g)];
    expect(fenced.length).toBeGreaterThan(0);
    expect(fenced.filter((m) => !m[1]).map((m) => m.index)).toEqual([]);
    expect([...blocks.keys()]).toEqual(expect.arrayContaining(['story.mjs', 'vite/index.html', 'vite/main.js', 'worker/src/index.js', 'worker/wrangler.toml']));
  });

  it('the first JavaScript example under "Install" is the Node one, with npm install dyadic before it', () => {
    const install = readme.indexOf('## Install');
    expect(install).toBeGreaterThan(0);
    expect(readme.indexOf('npm install dyadic', install)).toBeGreaterThan(install);
    expect(readme.indexOf('```js', install)).toBe(readme.indexOf('<!-- example: story.mjs -->', install) + '<!-- example: story.mjs -->\n'.length);
  });

  const nodeExamples = [...blocks.keys()].filter((name) => name.endsWith('.mjs'));
  it.each(nodeExamples)('%s runs with node and prints text', (name) => {
    const r = spawnSync(process.execPath, [name], { cwd: app, encoding: 'utf8', env, timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(10);
    // The matmul example's comment states the exact product (worked by hand: a [2, 4] times w [3, 4] transposed).
    if (name === 'matmul.mjs') expect(r.stdout.split('\n')[0]).toBe('[ -100, 240, -20, -498, 829, -127 ]');
    if (name === 'story.mjs') {
      expect(r.stdout.startsWith('Once upon a time')).toBe(true);
      expect(r.stdout.length).toBeGreaterThan(100);
    }
  });

  it('the Node examples type-check as TypeScript: strict, NodeNext, lib ES2022 without DOM, skipLibCheck off', () => {
    const dir = join(app, 'typecheck');
    mkdirSync(dir);
    for (const name of nodeExamples) writeFileSync(join(dir, name.replace(/\.mjs$/, '.mts')), blocks.get(name)!.code);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'], strict: true, skipLibCheck: false, noEmit: true },
        include: ['*.mts'],
      }),
    );
    mkdirSync(join(app, 'node_modules/@types'), { recursive: true });
    symlinkSync(join(repo, 'node_modules/@types/node'), join(app, 'node_modules/@types/node'), 'dir');
    const r = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: app, encoding: 'utf8', env });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!chromiumAvailable() && !process.env.CI)('the Vite page builds and tells a story in Chromium', async () => {
    const { build, preview } = await import('vite');
    const root = join(app, 'vite');
    await build({ root, configFile: false, logLevel: 'silent', build: { outDir: join(root, 'dist') } });
    const assets = readdirSync(join(root, 'dist/assets'));
    expect(assets.some((a) => /^stories260K-.*\.gguf$/.test(a))).toBe(true);
    expect(assets.filter((a) => a.endsWith('.wasm')).length).toBeGreaterThanOrEqual(2);
    const server = await preview({ root, configFile: false, logLevel: 'silent', build: { outDir: join(root, 'dist') }, preview: { host: '127.0.0.1', port: 0 } });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && errors.push(`${r.status()} ${r.url()}`));
      await page.goto(server.resolvedUrls!.local[0]);
      await page.waitForFunction(() => (document.querySelector('#story')?.textContent ?? '').length > 200, null, { timeout: 60_000 });
      expect((await page.textContent('#story'))!.startsWith('Once upon a time')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    }
  });

  it('the Worker answers with a story in workerd, its imports resolved as wrangler bundles them', async () => {
    const dir = join(app, 'worker');
    const toml = blocks.get('worker/wrangler.toml')!.code;
    expect(toml).toMatch(/^main = "src\/index\.js"$/m);
    expect(toml).toMatch(/type = "Data"\nglobs = \["\*\*\/\*\.gguf"\]/);
    const pkgDir = join(app, 'node_modules/dyadic');
    const entry = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports: { '.': { workerd: { default: string } } } }).exports['.'].workerd.default;
    // What wrangler's bundler does: 'dyadic' through the workerd condition, the package's .wasm files as
    // compiled modules, the .gguf import as a data module (the rule above).
    // (workerd resolves a bare import against the importer's directory, so the Worker sits at the root.)
    writeFileSync(join(dir, 'dyadic-entry.js'), `export * from './node_modules/dyadic/${entry.replace(/^\.\//, '')}';\n`);
    const modules: WorkerdModule[] = [
      { name: 'worker.js', kind: 'esModule', file: join(dir, 'src/index.js') },
      { name: 'dyadic', kind: 'esModule', file: join(dir, 'dyadic-entry.js') },
      { name: 'dyadic/models/stories260K.gguf', kind: 'data', file: join(pkgDir, 'models/stories260K.gguf') },
      ...listFiles(join(pkgDir, 'dist'), '.js').map((file): WorkerdModule => ({ name: 'node_modules/dyadic/' + file.slice(pkgDir.length + 1), kind: 'esModule', file })),
      ...listFiles(join(pkgDir, 'dist/wasm'), '.wasm').map((file): WorkerdModule => ({ name: 'node_modules/dyadic/' + file.slice(pkgDir.length + 1), kind: 'wasm', file })),
    ];
    const worker = await startWorkerd(dir, modules);
    try {
      const response = await fetch(`${worker.url}/?prompt=${encodeURIComponent('Lily and Tom')}`);
      const text = await response.text();
      expect(response.status, text + worker.output()).toBe(200);
      expect(text.startsWith('Lily and Tom')).toBe(true);
      expect(text.length).toBeGreaterThan(60);
    } finally {
      await worker.stop();
    }
  });
});
