/**
 * Command-line flags and start of the scripts (soak, fuzz, attack): `--name value` or `--name=value`, each
 * checked against its table entry so a typo stops the script with one line instead of
 * silently running with a default.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { errorText } from '../../src/shared/error-text.ts';

export interface IntFlag {
  readonly type: 'int';
  readonly default: number;
  readonly min: number;
  readonly max?: number;
  readonly help: string;
}

export interface ChoiceFlag<C extends string = string> {
  readonly type: 'choice';
  readonly default: C;
  readonly choices: readonly C[];
  readonly help: string;
}

export interface BoolFlag {
  readonly type: 'bool';
  readonly help: string;
}

export type FlagDef = IntFlag | ChoiceFlag | BoolFlag;

type FlagValue<D> = D extends IntFlag ? number : D extends ChoiceFlag<infer C> ? C : D extends BoolFlag ? boolean : never;

export type FlagValues<T extends Record<string, FlagDef>> = { -readonly [K in keyof T]: FlagValue<T[K]> };

export class FlagError extends Error {}

export function parseFlags<T extends Record<string, FlagDef>>(table: T, argv: readonly string[]): FlagValues<T> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [name, def] of Object.entries(table)) options[name] = { type: def.type === 'bool' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new FlagError(errorText(err));
  }
  const out: Record<string, number | string | boolean> = {};
  for (const [name, def] of Object.entries(table)) {
    const raw = values[name];
    if (def.type === 'bool') {
      out[name] = raw === true;
    } else if (def.type === 'int') {
      if (raw === undefined) {
        out[name] = def.default;
        continue;
      }
      const n = typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
      const max = def.max ?? Number.MAX_SAFE_INTEGER;
      if (!Number.isSafeInteger(n) || n < def.min || n > max) {
        throw new FlagError(`--${name} must be an integer from ${def.min} to ${max}, got ${JSON.stringify(raw)}`);
      }
      out[name] = n;
    } else {
      if (raw === undefined) {
        out[name] = def.default;
        continue;
      }
      if (typeof raw !== 'string' || !def.choices.includes(raw)) {
        throw new FlagError(`--${name} must be one of ${def.choices.join(', ')}, got ${JSON.stringify(raw)}`);
      }
      out[name] = raw;
    }
  }
  return out as FlagValues<T>;
}

export function flagHelp(usage: string, table: Record<string, FlagDef>): string {
  const rows = Object.entries(table).map(([name, def]) => {
    const dflt = def.type === 'bool' ? '' : ` (default ${String(def.default)})`;
    const what = def.type === 'choice' ? `${def.help}: ${def.choices.join(' | ')}` : def.help;
    return `  --${name.padEnd(16)} ${what}${dflt}`;
  });
  return [usage, '', ...rows].join('\n');
}

/**
 * The start of a script's main(): its flags, or the exit code to stop with — 2 after one
 * line naming a bad flag, 0 after `--help` (the table must define a `help` bool).
 */
export function scriptFlags<T extends Record<string, FlagDef> & { help: BoolFlag }>(script: string, table: T, argv: readonly string[]): FlagValues<T> | number {
  let flags: FlagValues<T>;
  try {
    flags = parseFlags(table, argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${script}: ${err.message}\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(`${flagHelp(`usage: npm run ${script} -- [flags]`, table)}\n`);
    return 0;
  }
  return flags;
}

/**
 * Runs `main` when the module at `moduleUrl` is the program itself (not imported by a test),
 * exiting with its code; a crash of the script prints its stack and exits 1.
 */
export function runIfMain(script: string, moduleUrl: string, main: () => Promise<number>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${script}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
