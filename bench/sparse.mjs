// Block-sparse vs dense integer matmul, one process, one thread, both builds:
//   npm run bench -- sparse [--json FILE] [--quick] [--bits 8|4|both] [--blocks 1x16,4x16] [--m 1,16,128]
//                           [--build simd|relaxed] [--rounds R]
//                           [--docs DIR]   (writes DIR/sparse-speedup.svg and the table in DIR/sparse.md)
//   npm run bench -- sparse --from FILE --docs DIR   (redraws the docs from an earlier --json FILE)
// For each (N, K) and M, the dense kernel (bindings/gemm, the real one) runs on the unpruned weights and
// the block-sparse kernels on the same weights pruned to each sparsity by block magnitude. Both go
// through the same fused epilogue (stage 1, 'rescale' mode) on buffers already in wasm memory, so the
// timing is the kernels alone. gops_effective counts dense work: 2*M*N*K / time, so it is comparable
// across sparsities; speedup_vs_dense = dense time / sparse time at the same shape, build and bits.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadRuntime, packWeights, pruneToBlockCsr, SparseLinear } from '../dist/entry/node.js';
import { measure, machineLine, printTable } from './lib/measure.mjs';
import { speedupSvg, speedupTable } from './lib/sparse-report.mjs';

const SPARSITIES = [0, 0.2, 0.3, 0.5, 0.7, 0.9];
const MS = [1, 16, 128];
const SHAPES = [[2048, 2048], [5632, 2048]];

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** Writes DIR/sparse-speedup.svg and the table between the markers of DIR/sparse.md. */
function writeDocs(dir, report) {
  const svg = speedupSvg(report.results, {
    build: 'relaxed', impls: ['sparse-w8', 'sparse-w4'].filter((i) => report.results.some((r) => r.impl === i)),
    title: `block-sparse speedup over the dense kernel, same weight width (relaxed build, one thread) - ${report.machine}`,
  });
  writeFileSync(`${dir}/sparse-speedup.svg`, svg);
  const md = readFileSync(`${dir}/sparse.md`, 'utf8');
  const begin = '<!-- speedup-table:begin -->';
  const end = '<!-- speedup-table:end -->';
  if (!md.includes(begin) || !md.includes(end)) throw new Error(`${dir}/sparse.md lacks the speedup-table markers`);
  const table = `Machine: ${report.machine}. Cells: speedup over dense at each block sparsity s.\n\n${speedupTable(report.results)}`;
  writeFileSync(`${dir}/sparse.md`, md.slice(0, md.indexOf(begin) + begin.length) + '\n' + table + '\n' + md.slice(md.indexOf(end)));
  console.log(`wrote ${dir}/sparse-speedup.svg and the table in ${dir}/sparse.md`);
}

export async function main(args) {
  const docs = args.includes('--docs') ? args[args.indexOf('--docs') + 1] : undefined;
  if (args.includes('--from')) {
    const report = JSON.parse(readFileSync(args[args.indexOf('--from') + 1], 'utf8'));
    if (docs) writeDocs(docs, report);
    return report;
  }
  const quick = args.includes('--quick');
  const bitsArg = args.includes('--bits') ? args[args.indexOf('--bits') + 1] : '8';
  const bitsList = bitsArg === 'both' ? [8, 4] : [Number(bitsArg)];
  const blocks = args.includes('--blocks') ? args[args.indexOf('--blocks') + 1].split(',') : ['1x16', '4x16'];
  const shapes = quick ? [SHAPES[0]] : SHAPES;
  const Ms = args.includes('--m') ? args[args.indexOf('--m') + 1].split(',').map(Number) : MS;
  const builds = args.includes('--build') ? [args[args.indexOf('--build') + 1]] : ['simd', 'relaxed'];
  const timing = quick ? { time: 150, warmupTime: 100 } : { time: 200, warmupTime: 100 };
  const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : quick ? 1 : 5;
  console.log(`sparse vs dense | ${machineLine()}`);
  const results = [];
  for (const build of builds) {
    const rt = await loadRuntime({ build });
    for (const bits of bitsList) {
      for (const [N, K] of shapes) {
        const r = lcg(N * 31 + K + bits);
        const qmax = bits === 8 ? 127 : 7;
        const values = new Int8Array(N * K); // [N, K]
        for (let i = 0; i < values.length; i++) values[i] = Math.round((r() * 2 - 1) * qmax);
        const scales = Float64Array.from({ length: N }, () => 0.001 + 0.01 * r());
        const w = { rows: N, cols: K, bits, values, scales };
        const Mmax = Math.max(...Ms);
        const arena = rt.arena;
        const mark = arena.mark();
        // Shared activation, output and row buffers, sized for the largest M.
        const Kp = Math.ceil(K / 128) * 128;
        const aAt = arena.alloc(Mmax * Kp, 'bench activations'); // [Mmax][Kp] int8
        const zAt = arena.alloc(Mmax * 4, 'bench zero points'); // [Mmax] int32
        const corrAt = arena.alloc(Mmax * 4, 'bench row corrections'); // [Mmax] int32
        const outAt = arena.alloc(Mmax * N * 4 + 64, 'bench outputs'); // [Mmax][Np] int32
        const rangeAt = arena.alloc(Mmax * 8, 'bench row ranges'); // [Mmax] x 2 int32
        const dense = packWeights(rt, values, { N, K, bits, scale: scales });
        const layers = [];
        for (const block of blocks) {
          for (const sparsity of SPARSITIES) {
            const { csr, report } = pruneToBlockCsr(w, { block, sparsity, scope: 'row' });
            layers.push({ block, sparsity, layer: SparseLinear.load(rt, csr, `w${bits} ${block} s${sparsity}`), report });
          }
        }
        arena.ensure(arena.usedBytes + 2 * Mmax * Kp + 32 * Mmax + 1024);
        const a = arena.i8(aAt, Mmax * Kp);
        for (let i = 0; i < Mmax; i++) for (let k = 0; k < Kp; k++) a[i * Kp + k] = k < K ? Math.round((r() * 2 - 1) * 127) : 0;
        arena.i32(zAt, Mmax).fill(3);
        for (const M of Ms) {
          const denseArgs = [M, dense.Np, dense.Kp, aAt, Kp, dense.wAt, dense.wsumAt, dense.mantAt, dense.shift, zAt];
          const denseCall = bits === 8
            ? () => rt.call(dense.kernel, ...denseArgs, outAt, dense.Np, rangeAt)
            : () => rt.call(dense.kernel, ...denseArgs, corrAt, outAt, dense.Np, rangeAt);
          const ops = 2 * M * N * K;
          // Other processes share the 2 cores: alternate dense and sparse over `rounds` and keep each
          // one's fastest median, so a burst of outside load does not land on one side only.
          let denseMs = Infinity;
          const sparseMs = layers.map(() => Infinity);
          for (let round = 0; round < rounds; round++) {
            denseMs = Math.min(denseMs, (await measure(`dense w${bits}`, denseCall, timing)).medianMs);
            for (let j = 0; j < layers.length; j++) {
              const { block, sparsity, layer } = layers[j];
              const call = () => layer.run({ a: aAt, aStride: Kp, M, rowZero: zAt, out: outAt, outStride: N, rowRange: rangeAt, mode: 'rescale', shift: layer.shift });
              sparseMs[j] = Math.min(sparseMs[j], (await measure(`sparse w${bits} ${block} ${sparsity}`, call, timing)).medianMs);
            }
          }
          const denseGops = ops / denseMs / 1e6;
          results.push({ impl: `dense-w${bits}`, build, block: 'dense', sparsity: 0, M, N, K, gops_effective: +denseGops.toFixed(2), speedup_vs_dense: 1 });
          layers.forEach(({ block, sparsity }, j) => {
            results.push({
              impl: `sparse-w${bits}`, build, block, sparsity, M, N, K,
              gops_effective: +(ops / sparseMs[j] / 1e6).toFixed(2),
              speedup_vs_dense: +(denseMs / sparseMs[j]).toFixed(3),
            });
          });
          const rows = results.filter((x) => x.build === build && x.M === M && x.N === N && x.K === K && x.impl.endsWith(`w${bits}`));
          console.log(`\n${build} w${bits} M=${M} N=${N} K=${K}: dense ${denseGops.toFixed(1)} GOPS`);
          printTable(['impl', 'block', 'sparsity', 'GOPS eff', 'x dense'], rows.map((x) => [x.impl, x.block, x.sparsity, x.gops_effective, x.speedup_vs_dense]));
        }
        arena.release(mark);
      }
    }
  }
  const report = { machine: machineLine(), results };
  if (docs) writeDocs(docs, report);
  return report;
}
