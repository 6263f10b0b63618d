import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadRuntime, relaxedSimdSupported, resolveBuild } from '../bindings/entry/node.js';
import { findFloatUses } from './helpers/wasm-float-scan.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('build selection', () => {
  it('validates relaxed SIMD (Node 20: under the test flag) and picks the relaxed build for auto', async () => {
    expect(relaxedSimdSupported()).toBe(true);
    expect((await loadRuntime()).build).toBe('relaxed');
    expect((await loadRuntime({ build: 'simd' })).build).toBe('simd');
    expect((await loadRuntime({ build: 'relaxed' })).build).toBe('relaxed');
  });

  it(`Node 20 without the flag falls back to SIMD128 and refuses a forced relaxed build; Node >= 22 needs no flag (Node ${process.versions.node})`, () => {
    const script = `
      import { loadRuntime } from './dist/entry/node.js';
      const auto = await loadRuntime();
      let forced;
      try { await loadRuntime({ build: 'relaxed' }); forced = 'loaded'; } catch (e) { forced = e.message; }
      console.log(JSON.stringify({ auto: auto.build, forced }));`;
    const run = (flags: string[]) =>
      JSON.parse(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }));
    const plain = run([]);
    if (Number(process.versions.node.split('.')[0]) >= 22) {
      expect(plain).toEqual({ auto: 'relaxed', forced: 'loaded' }); // relaxed SIMD is on by default
      return;
    }
    expect(plain.auto).toBe('simd');
    expect(plain.forced).toMatch(/relaxed SIMD/);
    const flagged = run(['--experimental-wasm-relaxed-simd']);
    expect(flagged).toEqual({ auto: 'relaxed', forced: 'loaded' });
  });

  it('rejects an unknown build name', () => {
    expect(() => resolveBuild('avx' as never)).toThrow(/unknown build 'avx'/);
  });
});

describe('integer-only wasm (invariant 1)', () => {
  for (const build of ['simd', 'relaxed', 'simd-threads', 'relaxed-threads']) {
    it(`${build}.wasm has no f32/f64 type or instruction`, () => {
      const bytes = readFileSync(`${root}/dist/wasm/${build}.wasm`);
      expect(findFloatUses(bytes)).toEqual([]);
    });
  }

  it('the scanner finds floats when they are there (debug build of a float module)', () => {
    // (module (func (result f32) (f32.add (f32.const 1) (f32.const 2))))
    const floaty = new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 0x7d, 3, 2, 1, 0, 10, 15, 1, 13, 0, 0x43, 0, 0, 128, 63, 0x43, 0,
      0, 0, 64, 0x92, 0x0b,
    ]);
    expect(WebAssembly.validate(floaty)).toBe(true);
    const uses = findFloatUses(floaty).map((u) => u.what);
    expect(uses).toEqual(['float in a signature', 'opcode 0x43', 'opcode 0x43', 'opcode 0x92']);
  });
});

describe('arena', () => {
  it('hands out aligned, disjoint offsets, grows memory and refuses past its limit with the buffer named', async () => {
    const rt = await loadRuntime({ build: 'simd', memoryLimitBytes: 1 << 20 });
    const a = rt.arena.alloc(100, 'a');
    const b = rt.arena.alloc(300_000, 'b');
    expect(a % 64).toBe(0);
    expect(b % 64).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 100);
    expect(rt.arena.memory.buffer.byteLength).toBeGreaterThanOrEqual(b + 300_000);
    expect(() => rt.arena.alloc(2 << 20, 'the KV cache')).toThrow(/the KV cache needs 2097152 bytes.*limit of 1048576/);
  });
});
