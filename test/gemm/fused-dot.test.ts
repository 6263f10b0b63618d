// The fused relaxed dot (i32x4.relaxed_dot_i8x16_i7x16_add_s) is used only where it is exact in both of
// the engine's tiers (bindings/gemm/fused-dot.ts). Checked three ways:
//  - the verdict logic on simulated engines (right, a Liftoff-like miscompile, a wrong optimizing tier);
//  - the real engine with each V8 tier forced in a child process (--liftoff-only, --no-liftoff): on
//    Node 20 the baseline tier's miscompile must be caught, and the default verdict must agree with both;
//  - the fused kernels against the scalar reference: the exact GEMM suites (single- and multi-threaded)
//    run again in a child vitest whose engine only has the optimizing tier, where the probe passes and
//    packWeights picks the *_fdot kernels (DYADIC_FUSED_DOT=exact skips the speed check, which on V8 11
//    rejects them; checked by the last test, which only runs in that child).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { relaxedSimdFlags } from '../../bench/tools/node-flags.mjs';
import { existsSync } from 'node:fs';
import { judgeFusedDot, probeExpected, PROBE_HOT_STEPS } from '../../bindings/gemm/fused-dot.js';
import { loadRuntime } from '../../bindings/entry/node.js';
import { packWeights } from '../../bindings/gemm/pack.js';
import { kernelFor } from '../../bindings/gemm/pack.js';
import { repoRoot } from '../model/helpers/paths.js';

const IN_CHILD = process.env.DYADIC_FUSED_DOT_CHILD === '1';
const nodeMajor = Number(process.versions.node.split('.')[0]);

/** What a correct engine returns, and what Node 20's Liftoff returns (twice the dot, acc dropped). */
const right = (steps: number) => probeExpected(steps);
const liftoffBug = () => probeExpected(1).map((v, i) => 2 * (v - probeExpected(0)[i])); // every step: acc = 2 * dot

describe.skipIf(IN_CHILD)('fused-dot probe verdict', () => {
  it('an engine right in both tiers is exact', () => {
    const v = judgeFusedDot(right);
    expect(v).toMatchObject({ exact: true, firstExact: true, hotWrong: 0 });
    expect(v.hotCalls).toBeGreaterThanOrEqual(200);
  });

  it('a baseline-tier miscompile (the first calls wrong, hot calls right after tier-up) is caught', () => {
    let calls = 0;
    const v = judgeFusedDot((steps) => (calls++ < 50 ? liftoffBug() : right(steps)));
    expect(v.exact).toBe(false);
    expect(v.firstExact).toBe(false);
  });

  it('an optimizing-tier miscompile (the first calls right, wrong once hot) is caught', () => {
    let calls = 0;
    const v = judgeFusedDot((steps) => (calls++ < 150 ? right(steps) : liftoffBug()));
    expect(v).toMatchObject({ exact: false, firstExact: true });
    expect(v.hotWrong).toBeGreaterThan(0);
  });

  it('the expected values are the definition (acc + sum of four products per lane)', () => {
    expect(Array.from(probeExpected(1))).toEqual([10 + (-2 + 5 - 128 * 127 + 127 * 127), -20 + (27 - 56 + 700 - 600), 30 + (0 + 4 + 6 + 6), (1 << 20) - 4 * 128 * 127]);
    expect(probeExpected(PROBE_HOT_STEPS)[3]).toBe((1 << 20) - PROBE_HOT_STEPS * 4 * 128 * 127);
  });
});

const dist = repoRoot + 'dist/';
const verdictIn = (...v8Flags: string[]) => {
  const script = `const { loadRuntime } = await import(${JSON.stringify(dist + 'entry/node.js')});
    const { fusedDotChoice } = await import(${JSON.stringify(dist + 'gemm/fused-dot.js')});
    console.log(JSON.stringify(fusedDotChoice(await loadRuntime({ build: 'relaxed' }))));`;
  const r = spawnSync(process.execPath, [...relaxedSimdFlags(), ...v8Flags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`node ${v8Flags.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { exact: boolean; firstExact: boolean; hotWrong: number; use: boolean; speedRatio?: number };
};

describe.skipIf(IN_CHILD)('the probe on this engine, each tier forced', () => {
  it('dist/ is built (npm test builds first)', () => expect(existsSync(dist + 'gemm/fused-dot.js')).toBe(true));

  it(`baseline only, optimizing only and both agree; Node 20's Liftoff miscompile is caught (Node ${process.versions.node})`, () => {
    const baseline = verdictIn('--liftoff-only');
    const optimizing = verdictIn('--no-liftoff');
    const both = verdictIn();
    expect(both.exact).toBe(baseline.exact && optimizing.exact);
    for (const v of [baseline, optimizing, both]) if (!v.exact) expect(v.use).toBe(false);
    if (optimizing.exact) expect(optimizing.speedRatio).toBeGreaterThan(0);
    if (nodeMajor === 20) {
      expect(baseline).toMatchObject({ exact: false, firstExact: false });
      expect(both).toMatchObject({ exact: false, firstExact: false });
      expect(optimizing.exact).toBe(true);
    }
  });

  it('the exact GEMM suites pass on the fused kernels (child vitest, optimizing tier only)', () => {
    const r = spawnSync(process.execPath, [
      repoRoot + 'node_modules/vitest/vitest.mjs', 'run', 'test/gemm/matmul.test.ts', 'test/threads/threaded-gemm.test.ts', 'test/gemm/fused-dot.test.ts',
      ...relaxedSimdFlags().map((f) => `--execArgv=${f}`), '--execArgv=--no-liftoff',
    ], { cwd: repoRoot, encoding: 'utf8', timeout: 600_000, env: { ...process.env, DYADIC_FUSED_DOT_CHILD: '1', DYADIC_FUSED_DOT: 'exact' } });
    const tail = (r.stdout + r.stderr).split('\n').slice(-40).join('\n');
    expect(r.status, tail).toBe(0);
    expect(r.stdout).toMatch(/fused kernels selected: gemm_w4a8_2x4c32_fdot gemm_w6a8_4x4c64_fdot gemm_w7a8_4x4c128_fdot/);
  }, 600_000);
});

describe.runIf(IN_CHILD)('in the optimizing-tier child', () => {
  it('the probe passes and packWeights picks the fused kernels on the relaxed build only', async () => {
    const relaxed = await loadRuntime({ build: 'relaxed' });
    const simd = await loadRuntime({ build: 'simd' });
    const picked = ([4, 6, 7] as const).map((bits) => packWeights(relaxed, new Int8Array(4 * 16), { N: 4, K: 16, bits }).kernel);
    expect(picked).toEqual([4, 6, 7].map((bits) => kernelFor(bits as 4 | 6 | 7, true)));
    for (const bits of [8, 4, 6, 7] as const) expect(packWeights(simd, new Int8Array(4 * 16), { N: 4, K: 16, bits }).kernel).toBe(kernelFor(bits));
    expect(packWeights(relaxed, new Int8Array(4 * 16), { N: 4, K: 16, bits: 8 }).kernel).toBe(kernelFor(8));
    console.log(`fused kernels selected: ${picked.join(' ')}`);
  });
});
