// Integer attention (assembly/attention/attention.ts through runAttention): one call on 1 thread vs T threads (heads
// split), both builds, decode and prefill shapes of the 288-dim model and a 135M-like GQA model, in one
// process, interleaved rounds, best of each. Prints microseconds per call, the thread ratio, and the
// one-thread rate in attention MACs per ns (QK + P x V), the figure behind ATTENTION_WORK_PER_MAC.
//   npm run bench -- attention [--json FILE] [--threads T] [--rounds R] [--quick]
import { loadRuntime, availableThreads } from '../dist/entry/node.js';
import {
  attentionScratchBytes, attentionSplitScratchBytes, inverseSqrtHeadDim, runAttention,
} from '../dist/attention/attention.js';
import { machineLine, measure, printTable } from './lib/measure.mjs';

const SHAPES = [
  { name: '288-dim decode', rows: 1, nHeads: 6, nKvHeads: 6, headDim: 48, len: 64 },
  { name: '288-dim decode', rows: 1, nHeads: 6, nKvHeads: 6, headDim: 48, len: 128 },
  { name: '288-dim decode', rows: 1, nHeads: 6, nKvHeads: 6, headDim: 48, len: 256 },
  { name: '135M-like decode', rows: 1, nHeads: 9, nKvHeads: 3, headDim: 64, len: 256 },
  { name: '135M-like decode', rows: 1, nHeads: 9, nKvHeads: 3, headDim: 64, len: 1024 },
  { name: '288-dim prefill', rows: 64, nHeads: 6, nKvHeads: 6, headDim: 48, len: 64 },
];

const option = (args, name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);

function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/** Places one call's inputs (int8 q and cache, dyadic formats like the model's) in rt's arena; returns the call. */
function place(rt, s) {
  const a = rt.arena;
  const rand = lcg(17);
  const width = s.nHeads * s.headDim;
  const kvWidth = s.nKvHeads * s.headDim;
  const i8 = (n, what) => {
    const at = a.alloc(n + 16, what, 16);
    const v = new Int8Array(a.memory.buffer, at, n);
    for (let i = 0; i < n; i++) v[i] = Math.floor(rand() * 256) - 128;
    return at;
  };
  const i32 = (n, what, f) => {
    const at = a.alloc(4 * n + 16, what, 16);
    const v = new Int32Array(a.memory.buffer, at, n);
    for (let i = 0; i < n; i++) v[i] = f(i);
    return at;
  };
  const mant = () => 2 ** 14 + Math.floor(rand() * 2 ** 15); // quantize_row_i8's 15-16 bit mantissas
  const zero = () => Math.floor(rand() * 41) - 20;
  const c = inverseSqrtHeadDim(s.headDim);
  const call = {
    q: i8(s.rows * width, 'q'), rows: s.rows, qStride: width, // [rows, width]
    qM: i32(s.rows, 'qM', mant), qK: i32(s.rows, 'qK', () => 20), qZ: i32(s.rows, 'qZ', zero),
    pos: i32(s.rows, 'pos', (i) => s.len - s.rows + i), // [rows] a causal prefill's tail
    kc: i8(s.len * kvWidth, 'k cache'), vc: i8(s.len * kvWidth, 'v cache'), kvStride: kvWidth, // [len, kvWidth]
    kM: i32(s.len, 'kM', mant), kK: i32(s.len, 'kK', () => 21 + Math.floor(rand() * 3)), kZ: i32(s.len, 'kZ', zero),
    vM: i32(s.len, 'vM', mant), vK: i32(s.len, 'vK', () => 22 + Math.floor(rand() * 3)), vZ: i32(s.len, 'vZ', zero),
    nHeads: s.nHeads, nKvHeads: s.nKvHeads, headDim: s.headDim, cM: c.m, cK: c.k, maxLen: s.len,
    out: a.alloc(s.rows * width + 16, 'out', 16), outStride: width, // [rows, width]
    outM: i32(s.rows, 'outM', () => 0), outK: i32(s.rows, 'outK', () => 0), outZ: i32(s.rows, 'outZ', () => 0),
  };
  const scratch = a.alloc(attentionScratchBytes(s.len, s.nHeads, s.headDim), 'attention scratch', 16);
  const helpers = rt.pool?.helpers ?? 0;
  const split = helpers ? { at: a.alloc(attentionSplitScratchBytes(helpers, s.rows, s.len, s.nHeads, s.headDim), 'split scratch', 16), rows: s.rows } : undefined;
  return () => runAttention(rt, call, scratch, split);
}

export async function main(args) {
  const threads = Number(option(args, '--threads', Math.min(2, availableThreads())));
  const rounds = Number(option(args, '--rounds', 3));
  const quick = args.includes('--quick');
  console.log(`${machineLine()}; 1 thread vs ${threads} threads`);
  const results = [];
  for (const build of ['simd', 'relaxed']) {
    const one = await loadRuntime({ build, threads: 1 });
    const many = threads > 1 ? await loadRuntime({ build, threads }) : undefined;
    if (many?.pool) many.pool.minSplitWork = 0; // measure the split itself, whatever the threshold
    for (const s of quick ? SHAPES.filter((x) => x.len === 128 || x.rows > 1) : SHAPES) {
      const fns = [['1', place(one, s)], ...(many ? [['T', place(many, s)]] : [])];
      const best = Object.fromEntries(fns.map(([k]) => [k, 0]));
      for (let r = 0; r < rounds; r++) for (const [k, fn] of fns) best[k] = Math.max(best[k], (await measure(k, fn)).perSecond);
      const visible = Array.from({ length: s.rows }, (_, i) => s.len - s.rows + i + 1).reduce((x, y) => x + y);
      const macs = 2 * visible * s.nHeads * s.headDim;
      results.push({
        build, shape: `${s.name} rows=${s.rows} heads=${s.nHeads}/${s.nKvHeads}x${s.headDim} len=${s.len}`,
        usOne: 1e6 / best['1'], usMany: many ? 1e6 / best.T : NaN, macsPerNs: (macs * best['1']) / 1e9,
      });
    }
    many?.close();
  }
  printTable(
    ['build', 'call', 'us 1 thread', `us ${threads} threads`, 'ratio', 'MACs/ns (1 thread)'],
    results.map((r) => [r.build, r.shape, r.usOne.toFixed(1), r.usMany.toFixed(1), (r.usOne / r.usMany).toFixed(2), r.macsPerNs.toFixed(1)]),
  );
  return { machine: machineLine(), threads, results: results.map((r) => ({ ...r, ratio: r.usOne / r.usMany })) };
}
