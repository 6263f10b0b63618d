// Where benches find their input files. Defaults are the small fixtures inside the repository
// (test/fixtures/, sources and licenses in its README); point elsewhere with
//   DYADIC_MODELS=/dir/with/models   (stories260K.gguf, llama-2-tiny-random.gguf, ggml-vocab-llama-spm.gguf, ...)
//   DYADIC_TEXT=/path/to/stories.txt  (stories separated by "\n<|endoftext|>\n")
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

/** The folder models are read from: DYADIC_MODELS, else test/fixtures/models/. */
export const modelsDir = resolve(process.env.DYADIC_MODELS || join(fixtures, 'models'));

/** The path of model file `name`, with an error saying how to point the bench at it when it is missing. */
export function modelPath(name) {
  const p = join(modelsDir, name);
  if (!existsSync(p)) throw new Error(`${name} not found in ${modelsDir}: set DYADIC_MODELS to a folder holding it`);
  return p;
}

/** The evaluation text: DYADIC_TEXT, else the TinyStories excerpt in test/fixtures/data/. */
export function textPath() {
  const p = resolve(process.env.DYADIC_TEXT || join(fixtures, 'data', 'tinystories-valid-excerpt.txt'));
  if (!existsSync(p)) throw new Error(`${p} not found: set DYADIC_TEXT to a stories file ("\\n<|endoftext|>\\n" between stories)`);
  return p;
}
