// The one source of seeds for randomized tests (every test that draws random data takes its seed here).
//
//   seeds(...fixed)  the fixed seeds (regression cases, always run) plus this run's fresh seed
//   freshSeed()      this run's fresh seed alone (tests that cannot loop over seeds)
//   withSeed(s, fn)  runs fn; a failure's message starts with the seed and how to replay it
//
// Put the seed in the test name as `seed ${seed}` (the sweep script finds failures by that text), or wrap
// the body in withSeed. Environment:
//   DYADIC_SEED=1234     replay: the fresh seed is 1234 (`DYADIC_SEED=1234 npx vitest run test/ops/norm.test.ts`)
//   DYADIC_SWEEP=1000    sweep: seeds() yields 1000 fresh seeds (drawn from DYADIC_SEED when set) after the
//                        fixed ones; set by `npm run sweep -- FILE --seeds 1000`, never in `npm test`.
import { mulberry32 } from '../../bindings/model/random.js';

function envSeed(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) >= 2 ** 32) throw new Error(`${name}=${v}: expected an integer in [0, 2^32)`);
  return Number(v);
}

/** This run's fresh seed: DYADIC_SEED when set, else new every run (one per test file; never 0, which
 * some generators cannot start from). */
export const FRESH_SEED: number = envSeed('DYADIC_SEED') ?? 1 + Math.floor(Math.random() * (2 ** 32 - 1));

/** How many fresh seeds seeds() yields (1 unless DYADIC_SWEEP asks for more). */
const SWEEP = envSeed('DYADIC_SWEEP') ?? 0;

function freshSeeds(): number[] {
  if (SWEEP <= 0) return [FRESH_SEED];
  const r = mulberry32(FRESH_SEED);
  return Array.from({ length: SWEEP }, () => Math.floor(r() * 2 ** 32));
}

/** The fixed seeds plus the fresh seed(s); name each test with `seed ${seed}`. */
export function seeds(...fixed: number[]): number[] {
  return [...fixed, ...freshSeeds()];
}

/** This run's fresh seed (DYADIC_SEED replays it); report it with withSeed or in the test name. */
export function freshSeed(): number {
  return FRESH_SEED;
}

/** The replay hint for a seed, for test names and messages. */
export function seedLabel(seed: number): string {
  return `seed ${seed} (replay: DYADIC_SEED=${seed})`;
}

/** Runs fn(seed); if it throws (or rejects), the error's message starts with the seed and its replay hint. */
export function withSeed<T>(seed: number, fn: (seed: number) => T): T {
  const tag = (e: unknown): never => {
    if (e instanceof Error) e.message = `[${seedLabel(seed)}] ${e.message}`;
    throw e;
  };
  try {
    const out = fn(seed);
    return (out instanceof Promise ? out.catch(tag) : out) as T;
  } catch (e) {
    return tag(e);
  }
}
