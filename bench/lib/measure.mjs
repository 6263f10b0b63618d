// Timing for every bench. tinybench rather than benchmark.js: it calls the closure it is given as is
// (benchmark.js decompiles test functions into strings, which loses closures over wasm instances and
// typed arrays), and it separates warm-up from measurement. Warm-up matters here: V8 runs new wasm in
// its baseline tier (Liftoff) first and only tiers up after enough calls.
import { Bench } from 'tinybench';
import os from 'node:os';

/**
 * DYADIC_BENCH_CLOCK=cpu times by the process's CPU time (user + system) instead of wall time: on a
 * machine shared with other jobs, wall time counts the time other processes held the core, CPU time
 * mostly not (it still counts a busy hyper-thread sibling's slowdown). Every peer in a bench is
 * measured with the same clock, so ratios stay like with like.
 */
export const CLOCK = process.env.DYADIC_BENCH_CLOCK === 'cpu' ? 'cpu' : 'wall';
export const now = CLOCK === 'cpu' ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();

/**
 * Runs `fn` until warm, then times it. Returns operations per second (1 / median seconds per call)
 * and the median itself. `workPerCall` scales the rate (for GOPS pass 2*M*N*K / 1e9).
 */
export async function measure(name, fn, { time = 300, warmupTime = 200, warmupIterations = 20 } = {}) {
  const bench = new Bench({ time, warmupTime, warmupIterations, iterations: 5, now });
  bench.add(name, fn);
  await bench.run();
  const task = bench.tasks[0];
  if (task.result?.state !== 'completed') throw task.result?.error ?? new Error(`bench ${name} did not complete`);
  const medianMs = task.result.latency.p50;
  return { name, medianMs, perSecond: 1000 / medianMs, samples: task.result.latency.samplesCount };
}

/** One line naming the machine, for the head of every bench's output. */
export function machineLine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown cpu'} x${cpus.length}, Node ${process.version}, ${os.platform()} ${os.arch()}, ${CLOCK} clock, load ${os.loadavg()[0].toFixed(2)}`;
}

/** Fixed-width table printer. */
export function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}
