#!/usr/bin/env node
// `dyadic`: generate text, measure perplexity, describe or quantize a model file. Errors in the input (a
// bad file, a bad flag, a token or prompt that does not fit) end with one line naming the problem and exit
// status 1 (2 for usage); anything else is a bug and keeps its stack trace.
import '../entry/node.js'; // registers where the wasm kernels come from (dist/wasm/*.wasm)
import { readFileSync } from 'node:fs';
import { InvalidInputError, ModelFormatError } from '../formats/errors.js';
import { type CommandSpec, UsageError } from './args.js';
import { FileReadError } from '../entry/node-files.js';
import { evalCommand, evalFlags, generateCommand, generateFlags, infoCommand, infoFlags, modeNotes } from './commands.js';
import { quantizeCommand, quantizeFlags } from './quantize.js';
import { benchCommand, benchFlags } from './bench.js';
import { chatCommand, chatFlags, serveCommand, serveFlags } from './serve.js';
import { commandHelp, overviewHelp, usageLine } from './help.js';
import { enableRelaxedSimd } from './relaxed-simd.js';
import { BUNDLED_MODELS, bundledModelPath } from '../entry/bundled-models.js';

const commands: Record<string, CommandSpec> = {
  generate: { summary: 'sample text from a model, streamed to stdout (statistics on stderr)', flags: generateFlags, notes: modeNotes(), run: generateCommand },
  eval: { summary: 'mean negative log-likelihood and perplexity of a text file', flags: evalFlags, notes: modeNotes(), run: evalCommand },
  info: { summary: 'architecture, tensors, parameter count and memory of a model file', flags: infoFlags, run: infoCommand },
  bench: { summary: "prefill and decode speed, llama-bench's pp and tg tests", flags: benchFlags, notes: modeNotes(), run: benchCommand },
  serve: { summary: 'an OpenAI-compatible HTTP server (/v1/models, /v1/completions, /v1/chat/completions)', flags: serveFlags, notes: modeNotes(), run: serveCommand },
  chat: { summary: 'a conversation in the terminal (/reset forgets it, /exit quits)', flags: chatFlags, notes: modeNotes(), run: chatCommand },
  quantize: { summary: 'write an integer model once (GPTQ + smoothing below 8 bits)', flags: quantizeFlags, run: quantizeCommand },
};

function version(): string {
  // dist/cli/main.js (and bindings/cli/main.ts) sit two levels below the package root.
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const overviewNotes = [
  'MODEL is a .gguf file (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q6_K), a llama2.c .bin checkpoint',
  '(tokenizer with -z tok*.bin), a directory with config.json + *.safetensors, or a bundled model by name:',
  ...BUNDLED_MODELS.map((name) => `  ${name}  ${bundledModelPath(name)}`),
  '',
  'example: dyadic generate -m stories260K -p "Once upon a time" -n 100',
];

const HELP_FLAGS = new Set(['-h', '--help']);

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const out = (text: string) => process.stdout.write(text);
  if (name === '--version' || name === '-v' || name === 'version') {
    out(`${version()}\n`);
    return 0;
  }
  if (name === undefined || HELP_FLAGS.has(name) || (name === 'help' && rest.length === 0)) {
    out(overviewHelp(commands, overviewNotes));
    return name === undefined ? 2 : 0;
  }
  if (name === 'help') {
    const command = commands[rest[0]];
    if (!command) {
      process.stderr.write(`dyadic help: unknown command "${rest[0]}" (commands: ${Object.keys(commands).join(', ')})\n`);
      return 2;
    }
    out(commandHelp(rest[0], command));
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`dyadic: unknown command "${name}" (commands: ${Object.keys(commands).join(', ')}; dyadic --help describes them)\n`);
    return 2;
  }
  if (rest.some((a) => HELP_FLAGS.has(a))) {
    out(commandHelp(name, command));
    return 0;
  }
  enableRelaxedSimd();
  try {
    await command.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`dyadic ${name}: ${e.message}\nusage: ${usageLine(name, command)}\n(dyadic help ${name} describes every flag)\n`);
      return 2;
    }
    if (e instanceof ModelFormatError || e instanceof InvalidInputError || e instanceof FileReadError) {
      process.stderr.write(`dyadic ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
