// Runs a Worker inside Cloudflare's real runtime on a loopback port: the harness is
// examples/worker/local.mjs (also what `npm run worker` runs), typed here for the tests.
// @ts-expect-error: a plain JavaScript module without declarations
import * as local from '../../examples/worker/local.mjs';

export interface RunningWorker {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

export const workerdBinary: () => string = local.workerdBinary;
export const workerdEntry: () => string = local.workerdEntry;
/** Every file under `dir` whose name ends with `suffix`. */
export const listFiles: (dir: string, suffix: string) => string[] = local.listFiles;

/** One module of a workerd Worker: its name (what imports resolve to) and the file it is read from. */
export interface WorkerdModule {
  name: string;
  kind: 'esModule' | 'wasm' | 'data';
  file: string;
}

/** Starts workerd with these modules (the first is the Worker's main module), its config written into `dir`. */
export function startWorkerd(dir: string, modules: WorkerdModule[], options: { port?: number } = {}): Promise<RunningWorker> {
  return local.startWorkerd(dir, modules, options);
}

/**
 * Starts workerd serving `workerSource` (an ES module whose `import ... from 'dyadic'` is rewritten to the
 * package's workerd entry) on 127.0.0.1. Extra files (for example a model) can be added as data modules.
 */
export function startWorker(workerSource: string, dataModules: Record<string, string> = {}, options: { port?: number } = {}): Promise<RunningWorker> {
  return local.startWorker(workerSource, dataModules, options);
}
