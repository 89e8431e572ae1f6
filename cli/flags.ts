// Command-line flags for every sluice command, on node:util's parseArgs in strict
// mode: an unknown flag, a missing value or a stray argument is a UsageError, which
// the CLI reports with the command's usage and exit code 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<O extends Options>(argv: string[], options: O, usage: string, maxPositionals = 0) {
  // A value that starts with a dash and a digit (`--from -1h`, `--value -3`) is the
  // flag's value, not a flag: parseArgs would refuse it as ambiguous.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i]!)?.[1];
    if (name && options[name]?.type === 'string' && /^-\d/.test(argv[i + 1] ?? '')) args.push(`--${name}=${argv[++i]}`);
    else args.push(argv[i]!);
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`, usage);
  }
  return parsed as { values: Record<string, string | boolean | string[] | undefined> & { help?: boolean }; positionals: string[] };
}

/** A flag that must parse as an integer in [min, max]. */
export function intFlag(value: string | boolean | string[] | undefined, name: string, usage: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(value)}"`, usage);
  return n;
}
