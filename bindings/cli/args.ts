// llama.cpp-style command-line flags: short and long names, values as the next argument.
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** Names that set this flag, e.g. ['-m', '--model']. */
  readonly names: string[];
  readonly kind: 'string' | 'number' | 'boolean';
  /** The value's placeholder in help (e.g. FILE, N); defaults to the kind. */
  readonly value?: string;
  /** What the flag does, for `dyadic CMD --help`. */
  readonly help?: string;
  /** The default as help shows it, when there is one. */
  readonly default?: string;
  /** Shown as required in help (the command itself checks and names it). */
  readonly required?: boolean;
}

/** A `dyadic` command: its flags (parsed and described from the same table) and what it does. */
export interface CommandSpec {
  readonly summary: string;
  readonly flags: Record<string, FlagSpec>;
  /** Lines printed after the flags (modes, formats, examples). */
  readonly notes?: readonly string[];
  readonly run: (argv: string[]) => Promise<void>;
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
    if (!key) throw new UsageError(arg.startsWith('-') ? `unknown option ${name}` : `unexpected argument "${arg}" (flags take their value as the next argument)`);
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
