// The CLI a user meets first: --help, help CMD, CMD --help (every flag with its default), --version,
// the bundled model by name from any directory, the integer engine by default, relaxed SIMD without a Node
// flag, and a file that is not a model named as such. Runs the built dist/cli/main.js in a child process
// (npm test builds first), without the test runner's --experimental-wasm-relaxed-simd.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evalFlags, generateFlags, infoFlags } from '../../bindings/cli/commands.js';
import { quantizeFlags } from '../../bindings/cli/quantize.js';
import { benchFlags } from '../../bindings/cli/bench.js';
import { chatFlags, serveFlags } from '../../bindings/cli/serve.js';
import type { FlagSpec } from '../../bindings/cli/args.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const main = join(repoRoot, 'dist/cli/main.js');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

function run(args: string[], cwd = repoRoot) {
  const r = spawnSync(process.execPath, [main, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('dyadic help', () => {
  it('--version prints the package version', () => {
    expect(run(['--version'])).toMatchObject({ code: 0, out: `${pkg.version}\n` });
  });

  it('--help lists every command, how to get their flags, and where the bundled model is', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['generate', 'eval', 'info', 'bench', 'serve', 'chat', 'quantize']) expect(r.out).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
    expect(r.out).toMatch(/help COMMAND/);
    expect(r.out).toMatch(/--version/);
    expect(r.out).toContain(join(repoRoot, 'models/stories260K.gguf'));
    expect(run([]).code).toBe(2); // no command is a usage error, with the same overview
  });

  const tables: [string, Record<string, FlagSpec>][] = [['generate', generateFlags], ['eval', evalFlags], ['info', infoFlags], ['bench', benchFlags], ['serve', serveFlags], ['chat', chatFlags], ['quantize', quantizeFlags]];
  for (const [name, flags] of tables) it(`help ${name} and ${name} --help describe every flag, with its default`, () => {
    const a = run(['help', name]);
    const b = run([name, '--help']);
    expect(a.code).toBe(0);
    expect(b).toEqual(a);
    for (const spec of Object.values(flags)) {
      const line = a.out.split('\n').findIndex((l) => l.startsWith(`  ${spec.names.join(', ')}`));
      expect(line, `${spec.names[0]} in help ${name}`).toBeGreaterThan(0);
      const text = a.out.split('\n').slice(line, line + 2).join(' ');
      expect(text, spec.names[0]).toMatch(/\S+\s{2,}\S/); // a description, not just the name
      if (spec.default !== undefined) expect(text).toContain(`(default: ${spec.default})`);
    }
  });

  it('generate --help describes --temp with its default and lists the modes', () => {
    const r = run(['generate', '--help']);
    expect(r.out).toMatch(/^  --temp T +sampling temperature; 0 is greedy \(argmax\) \(default: 1\.0\)$/m);
    expect(r.out).toMatch(/^modes: float32, w8a8, w7a8, w6a8, w6a6, w4a8, w4a4/m);
  });

  it('help of an unknown command and an unknown command are usage errors naming the commands', () => {
    expect(run(['help', 'frob'])).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command "frob" \(commands: generate, eval, info, bench, serve, chat, quantize/) });
    expect(run(['frob'])).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command "frob"/) });
  });

  it('a usage error prints the usage line and where the flags are described', () => {
    const r = run(['generate', '-m', 'stories260K', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^dyadic generate: unknown option --bogus\nusage: dyadic generate -m MODEL .*\n\(dyadic help generate describes every flag\)\n$/);
  });
});

describe('dyadic generate defaults', () => {
  it('-m stories260K runs the bundled model from any directory, integer engine w8a8 on the relaxed build, no Node flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dyadic-cwd-'));
    try {
      const r = run(['generate', '-m', 'stories260K', '-p', 'Once upon a time', '-n', '30', '--seed', '5'], dir);
      expect(r.code, r.err).toBe(0);
      expect(r.out.startsWith('Once upon a time')).toBe(true);
      expect(r.err).toMatch(/30 tokens, .*mode w8a8, backend wasm-relaxed, /);
      // The default is w8a8 itself: the same tokens as asking for it.
      const json = (mode: string[]) => JSON.parse(run(['generate', '-m', 'stories260K.gguf', '-n', '30', '--seed', '5', ...mode, '--json'], dir).out);
      expect(json([])).toEqual({ ...json(['--mode', 'w8a8']), tokensPerSecond: expect.any(Number) });
      expect(json(['--mode', 'float32']).mode).toBe('float32');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a llama.cpp-quantized GGUF runs mode native by default', () => {
    const r = run(['generate', '-m', join(repoRoot, 'test/fixtures/llamacpp/stories260K-Q8_0.gguf'), '-n', '8', '--seed', '2']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/8 tokens, .*mode native, /);
  });

  it('a file that is not a model is named as such, for any extension', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dyadic-notmodel-'));
    try {
      writeFileSync(join(dir, 'notes.txt'), 'Once upon a time there was a text file.\n');
      for (const file of [join(repoRoot, 'package.json'), join(dir, 'notes.txt')]) {
        const r = run(['generate', '-m', file]);
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/: not a model file: no GGUF magic, no safetensors header, no llama2\.c header \(\d+ bytes, starting [0-9a-f ]+\)\n$/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
