#!/usr/bin/env node
// `dyadic`: generate text, measure perplexity, or describe a model file. Errors in the input (a bad
// file, a bad flag, a token or prompt that does not fit) end with one line naming the problem and exit
// status 1 (2 for usage); anything else is a bug and keeps its stack trace.
import '../entry/node.js'; // registers where the wasm kernels come from (dist/wasm/*.wasm)
import { InvalidInputError, ModelFormatError } from '../formats/errors.js';
import { UsageError } from './args.js';
import { FileReadError } from './node-files.js';
import { evalCommand, generateCommand, infoCommand } from './commands.js';
import { quantizeCommand } from './quantize.js';
import { benchCommand } from './bench.js';
import { chatCommand, serveCommand } from './serve.js';

const USAGE = `usage:
  dyadic generate -m MODEL [-z TOKENIZER] [-p PROMPT] [-n N] [--temp T] [--top-p P] [--seed S] [-c CTX] [--mode M] [-t N|auto] [--json]
  dyadic eval -m MODEL [-z TOKENIZER] --text FILE [--stories N] [-c CTX] [--mode M] [-t N|auto] [--json]
  dyadic info -m MODEL [-c CTX] [--json]
  dyadic bench -m MODEL [-p 512] [-n 128] [-r 3] [--mode M] [-t N|auto] [--json]
  dyadic serve -m MODEL [--port 8080] [--host 127.0.0.1] [--chat-template-file F] [-c CTX] [--mode M] [-t N|auto]
  dyadic chat -m MODEL [--system TEXT] [-n N] [--temp T] [--top-p P] [--seed S] [--chat-template-file F] [-c CTX] [--mode M] [-t N|auto]
  dyadic quantize -m MODEL -o OUT --bits 8|7|6|4 [--act-bits 8|6|4] [--sparsity S] [--calib TEXT] [--calib-sequences N] [--json]
MODEL is a .gguf file, a llama2.c .bin checkpoint (tokenizer with -z tok*.bin), or a directory with
config.json + *.safetensors.`;

const commands: Record<string, (argv: string[]) => Promise<void>> = { generate: generateCommand, eval: evalCommand, info: infoCommand, quantize: quantizeCommand, bench: benchCommand, serve: serveCommand, chat: chatCommand };

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`dyadic: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  try {
    await command(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`dyadic ${name}: ${e.message}\n${USAGE}\n`);
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
