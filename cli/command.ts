/**
 * The CLI's one abstraction: a command declares its flags once (type, description, default)
 * and an action that receives the parsed values. Parsing, --help, --json and the mapping of
 * errors to exit codes happen here, so commands only translate flags into library calls.
 */
import { parseArgs } from 'node:util';
import { InputError, LiquidkanError } from '../shared/errors.js';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly default?: string | boolean;
  readonly required?: boolean;
  /** Shown in help, e.g. 'N' or 'DIR'. */
  readonly value?: string;
  readonly multiple?: boolean;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  readonly flags: FlagValues;
  readonly positionals: readonly string[];
  readonly json: boolean;
  /** Print a line for people (suppressed with --json). */
  readonly info: (line: string) => void;
  readonly stdout: (text: string) => void;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Subcommands (e.g. `library show`); a command has either run or subcommands. */
  readonly subcommands?: readonly Command[];
  readonly run?: (ctx: CommandContext) => Promise<void> | void;
}

/** A command known by name and summary until it runs (its module is imported then). */
export interface LazyCommand {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const JSON_FLAG: FlagSpec = { type: 'boolean', description: 'print machine-readable JSON on stdout' };

export function helpText(cmd: Command, prefix: string): string {
  const lines = [`${prefix} ${cmd.name} — ${cmd.summary}`, '', `usage: ${prefix} ${cmd.usage}`];
  if (cmd.subcommands?.length) {
    lines.push('', 'subcommands:');
    for (const s of cmd.subcommands) lines.push(`  ${s.name.padEnd(12)} ${s.summary}`);
  }
  const flags = Object.entries(cmd.flags);
  if (flags.length) {
    lines.push('', 'options:');
    for (const [name, f] of flags) {
      const left = `--${name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`;
      const extra = f.required ? ' (required)' : f.default !== undefined ? ` (default: ${f.default})` : '';
      lines.push(`  ${left.padEnd(26)} ${f.description}${extra}`);
    }
  }
  lines.push(`  ${'--help'.padEnd(26)} show this help`);
  return lines.join('\n');
}

export function parseFlags(
  cmd: Command,
  argv: readonly string[],
): { flags: FlagValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, f] of Object.entries(cmd.flags)) {
    options[name] = f.multiple ? { type: f.type, multiple: true } : { type: f.type };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new InputError((err as Error).message, { cause: err });
  }
  const flags: FlagValues = { ...(parsed.values as FlagValues) };
  for (const [name, f] of Object.entries(cmd.flags)) {
    if (flags[name] === undefined && f.default !== undefined) flags[name] = f.default;
    if (f.required && flags[name] === undefined) throw new InputError(`--${name} is required`);
  }
  return { flags, positionals: parsed.positionals };
}

/** Flag readers that name the flag in their errors. */
export function intFlag(flags: FlagValues, name: string, min = 0): number {
  const raw = flags[name];
  // Decimal digits only: Number() would also take '0x10', '1e3', '4.0' and ''.
  const v = typeof raw === 'string' && /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new InputError(`--${name} must be an integer ≥ ${min}, got '${raw ?? ''}'`);
  }
  return v;
}

/** A TCP port: decimal digits, `min` (0: let the OS choose) to 65535. */
export function portFlag(flags: FlagValues, name: string, min = 0): number {
  const v = intFlag(flags, name, min);
  if (v > 65535) throw new InputError(`--${name} must be a port, ${min} to 65535, got ${v}`);
  return v;
}

export function numberFlag(flags: FlagValues, name: string): number {
  const raw = flags[name];
  const v = typeof raw === 'string' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(v)) throw new InputError(`--${name} must be a finite number, got '${raw ?? ''}'`);
  return v;
}

export function stringFlag(flags: FlagValues, name: string): string {
  const raw = flags[name];
  if (typeof raw !== 'string' || raw === '') throw new InputError(`--${name} needs a value`);
  return raw;
}

export function optionalString(flags: FlagValues, name: string): string | undefined {
  const raw = flags[name];
  return typeof raw === 'string' && raw !== '' ? raw : undefined;
}

export function choiceFlag<T extends string>(flags: FlagValues, name: string, choices: readonly T[]): T {
  const raw = stringFlag(flags, name);
  if (!(choices as readonly string[]).includes(raw)) {
    throw new InputError(`--${name} must be one of ${choices.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

/** Exit code for an error: 2 for bad input of any kind, 1 for everything else. */
export function exitCodeFor(err: unknown): number {
  return err instanceof LiquidkanError ? 2 : 1;
}
