// Test fixtures live in test/fixtures/ inside the repository (sources and licenses in its README):
// tests read nothing outside the repository.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const fixturesDir = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export const modelsDir = fixturesDir + 'models/';
export const dataDir = fixturesDir + 'data/';
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The TinyStories excerpt (first 64 validation stories, each followed by `\n<|endoftext|>\n`). */
export const devTextPath = dataDir + 'tinystories-valid-excerpt.txt';

/** A private copy as a plain Uint8Array (Buffer.slice would share memory, and tests patch bytes). */
export const readModelFile = (name: string): Uint8Array => new Uint8Array(readFileSync(modelsDir + name));
