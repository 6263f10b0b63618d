// `dyadic --help`, `dyadic help CMD` and `dyadic CMD --help`, written from the same flag tables the
// commands parse with, so every flag shows with its default.
import type { CommandSpec, FlagSpec } from './args.js';

const WIDTH = 28;

function flagLabel(spec: FlagSpec): string {
  const names = spec.names.join(', ');
  return spec.kind === 'boolean' ? names : `${names} ${spec.value ?? (spec.kind === 'number' ? 'N' : 'VALUE')}`;
}

function usageFlag(spec: FlagSpec): string {
  const name = spec.names[0];
  const flag = spec.kind === 'boolean' ? name : `${name} ${spec.value ?? (spec.kind === 'number' ? 'N' : 'VALUE')}`;
  return spec.required ? flag : `[${flag}]`;
}

export function usageLine(name: string, command: CommandSpec): string {
  const flags = Object.values(command.flags);
  return `dyadic ${name} ${[...flags.filter((f) => f.required), ...flags.filter((f) => !f.required)].map(usageFlag).join(' ')}`;
}

/** The help of one command: summary, usage, every flag with its default, then its notes. */
export function commandHelp(name: string, command: CommandSpec): string {
  const lines = [`dyadic ${name}: ${command.summary}`, '', `usage: ${usageLine(name, command)}`, '', 'flags:'];
  for (const spec of Object.values(command.flags)) {
    const label = flagLabel(spec);
    const extra = spec.required ? ' (required)' : spec.default !== undefined ? ` (default: ${spec.default})` : '';
    const text = (spec.help ?? '') + extra;
    lines.push(label.length + 4 <= WIDTH ? `  ${label.padEnd(WIDTH - 2)}${text}` : `  ${label}\n${' '.repeat(WIDTH)}${text}`);
  }
  lines.push(`  ${'-h, --help'.padEnd(WIDTH - 2)}this help`);
  if (command.notes?.length) lines.push('', ...command.notes);
  return lines.join('\n') + '\n';
}

/** `dyadic --help`: the commands, how to get a command's flags, and the lines every command shares. */
export function overviewHelp(commands: Record<string, CommandSpec>, notes: readonly string[]): string {
  const names = Object.keys(commands);
  const width = Math.max('help COMMAND'.length, ...names.map((n) => n.length)) + 2;
  return [
    'dyadic: integer-only quantized LLaMA models on WebAssembly SIMD',
    '',
    'usage: dyadic COMMAND [flags]',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}${commands[n].summary}`),
    '',
    `  ${'help COMMAND'.padEnd(width)}every flag of COMMAND with its default (also: dyadic COMMAND --help)`,
    `  ${'--version'.padEnd(width)}the version of dyadic`,
    '',
    ...notes,
  ].join('\n') + '\n';
}
