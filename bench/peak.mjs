// The SIMD128 ceiling of the W8A8 tile and how close the kernels get: `npm run bench -- peak [--rounds R]`.
// peak = gemm_peak_2x4 (assembly/gemm/peak.ts): the 2x4 tile's dot_i16x8_s + add on registers only, no
// loads; then dyadic's W8A8 matmul (the whole DI-MatMul, copies included) at N = K = 2048 for several M,
// as GOPS (2 ops per MAC) and as a fraction of the peak. One thread, one process, interleaved rounds,
// best of R (the machine is shared: the 1-minute load average is printed at the start and the end;
// DYADIC_BENCH_CLOCK=cpu times by CPU time, bench/lib/measure.mjs).
import os from 'node:os';
import { loadRuntime, packWeights, matmul } from '../dist/entry/node.js';
import { machineLine, printTable, now } from './lib/measure.mjs';

const PEAK_STEPS = 2_000_000; // x 64 MACs per call
const N = 2048, K = 2048;

function bestOf(rounds, fns) {
  const best = fns.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((f, i) => {
      const t0 = now();
      const work = f.run();
      best[i] = Math.max(best[i], work / ((now() - t0) / 1000) / 1e9);
    });
  }
  return best;
}

export async function main(args) {
  const at = args.indexOf('--rounds');
  const rounds = at >= 0 ? Number(args[at + 1]) : 9;
  const load0 = os.loadavg()[0];
  console.log(`peak | ${machineLine()} | one thread | GOPS = 2 x MACs / s | best of ${rounds}`);
  const results = [];
  for (const build of ['simd', 'relaxed']) {
    const rt = await loadRuntime({ build });
    const operands = rt.arena.alloc(96, 'peak loop operands', 16);
    rt.arena.u8(operands, 96).forEach((_, i, b) => (b[i] = (i * 37) & 0x7f));
    const peak = { name: 'register-only 2x4 dot_i16x8 tile', run: () => (rt.exports.gemm_peak_2x4(PEAK_STEPS, operands), 128 * PEAK_STEPS) };
    for (let i = 0; i < 50; i++) rt.exports.gemm_peak_2x4(1000, operands); // tier up (V8 starts in Liftoff)
    let s = 7;
    const r = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
    const w = Int8Array.from({ length: N * K }, () => Math.floor(r() * 256) - 128);
    const packed = packWeights(rt, w, { N, K, bits: 8 });
    const gemms = [1, 4, 16, 128].map((M) => {
      const a = Int8Array.from({ length: M * K }, () => Math.floor(r() * 256) - 128);
      const opts = { M, zero: new Int32Array(M).fill(3), scaleM: new Int32Array(M).fill(12345), scaleK: new Int32Array(M).fill(20) };
      for (let i = 0; i < 5; i++) matmul(rt, packed, a, opts);
      const reps = Math.max(1, Math.round(32 / M));
      return { name: `W8A8 matmul M=${M}`, M, run: () => { for (let i = 0; i < reps; i++) matmul(rt, packed, a, opts); return 2 * M * N * K * reps; } };
    });
    const gops = bestOf(rounds, [peak, ...gemms]);
    results.push({ build, what: 'peak', gops: +gops[0].toFixed(2) });
    gemms.forEach((g, i) => results.push({ build, what: 'w8a8', M: g.M, N, K, gops: +gops[i + 1].toFixed(2), of_peak: +(gops[i + 1] / gops[0]).toFixed(3) }));
  }
  const load1 = os.loadavg()[0];
  printTable(['build', 'what', 'M', 'GOPS', 'of peak'], results.map((x) => [x.build, x.what, x.M ?? '-', x.gops.toFixed(1), x.of_peak?.toFixed(2) ?? '1.00']));
  console.log(`load average (1 min): ${load0.toFixed(2)} at the start, ${load1.toFixed(2)} at the end`);
  return { machine: machineLine(), load: [load0, load1], results };
}
