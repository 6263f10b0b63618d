// llama.cpp-style command-line flags: short and long names, values as the next argument.
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** Names that set this flag, e.g. ['-m', '--model']. */
  readonly names: string[];
  readonly kind: 'string' | 'number' | 'boolean';
}

export type ParsedFlags = Record<string, string | number | boolean | undefined>;

/** Parses `argv` against `specs` (keyed by the property name to fill). Throws UsageError naming the flag. */
export function parseFlags(argv: string[], specs: Record<string, FlagSpec>): ParsedFlags {
  const byName = new Map<string, string>();
  for (const [key, spec] of Object.entries(specs)) for (const n of spec.names) byName.set(n, key);
  const out: ParsedFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = byName.get(name);
    if (!key) throw new UsageError(`unknown option ${name}`);
    const spec = specs[key];
    if (spec.kind === 'boolean') {
      out[key] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    if (spec.kind === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${name} needs a number, got "${value}"`);
      out[key] = n;
    } else out[key] = value;
  }
  return out;
}
