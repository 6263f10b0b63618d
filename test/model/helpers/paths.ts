// Shared test files live in ../shared beside the repository (read-only).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const modelsDir = fileURLToPath(new URL('../../../../shared/models/', import.meta.url));
export const dataDir = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A private copy as a plain Uint8Array (Buffer.slice would share memory, and tests patch bytes). */
export const readModelFile = (name: string): Uint8Array => new Uint8Array(readFileSync(modelsDir + name));
