// The model files the package ships in models/ (reachable as `dyadic/models/NAME.gguf` through `exports`),
// by name: `bundledModelUrl('stories260K')` for code, `dyadic generate -m stories260K` for the CLI.
// Node only: a bundler needs a literal specifier (`import url from 'dyadic/models/stories260K.gguf?url'`).
import { fileURLToPath } from 'node:url';

/** The models inside the package: Karpathy's 260K-parameter TinyStories model (llama2.c), as GGUF. */
export const BUNDLED_MODELS = ['stories260K'] as const;
export type BundledModel = (typeof BUNDLED_MODELS)[number];

/** True when `name` (with or without `.gguf`) is a model the package ships. */
export function isBundledModel(name: string): boolean {
  return (BUNDLED_MODELS as readonly string[]).includes(name.replace(/\.gguf$/, ''));
}

/** The file: URL of a bundled model (default stories260K); pass it to loadModelFromPath. */
export function bundledModelUrl(name: BundledModel = 'stories260K'): URL {
  if (typeof name !== 'string' || !isBundledModel(name)) {
    throw new RangeError(`dyadic: no bundled model "${String(name)}" (bundled: ${BUNDLED_MODELS.join(', ')})`);
  }
  // From dist/entry/ when built, from bindings/entry/ under a test runner: both two levels below the root.
  return new URL(`../../models/${name.replace(/\.gguf$/, '')}.gguf`, import.meta.url);
}

/** The file system path of a bundled model (default stories260K). */
export function bundledModelPath(name: BundledModel = 'stories260K'): string {
  return fileURLToPath(bundledModelUrl(name));
}
