/**
 * Command line + environment → ServerOptions.
 *
 * Errors are single lines meant for a terminal or a container log: they name the
 * flag (or environment variable) and what would have been accepted, because the
 * operator reading them usually cannot see this source.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultServerOptions, HELP_FLAG, SERVER_FLAGS, type FlagSpec, type ServerOptions } from './options.ts';
import { errorText } from '../shared/error-text.ts';

export type ParseServerArgsResult =
  /** `given`: the settings the command line or the environment set (the rest are defaults). */
  { ok: true; options: ServerOptions; given: ReadonlySet<keyof ServerOptions> } | { ok: false; exitCode: 2; message: string } | { help: string };

type ArgsOptions = NonNullable<ParseArgsConfig['options']>;
type ArgsToken = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

const PROGRAM = 'openim-jssdk-server';

const FLAG_KEYS = Object.keys(SERVER_FLAGS) as (keyof ServerOptions)[];

const ARGS_OPTIONS: ArgsOptions = {
  ...Object.fromEntries(FLAG_KEYS.map((key) => [SERVER_FLAGS[key].flag, { type: 'string' as const }])),
  [HELP_FLAG.flag]: { type: 'boolean', short: HELP_FLAG.short },
};

function fail(message: string): { ok: false; exitCode: 2; message: string } {
  return { ok: false, exitCode: 2, message };
}

/** A detached value that is really a (negative) number, not a forgotten value before the next flag. */
const NUMERIC_DASH_VALUE = /^-[0-9]/;

/**
 * Finds the first thing a strict parse would reject and says it in our words.
 * Node's own messages are multi-line and talk about "positional arguments" and
 * "ambiguous" values, which does not help someone who mistyped a flag.
 */
function describeFirstProblem(tokens: readonly ArgsToken[]): string | undefined {
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      return `unexpected argument ${JSON.stringify(token.value)} (all settings are --flags; see --help)`;
    }
    const config = ARGS_OPTIONS[token.name];
    if (config === undefined) return `unknown option ${token.rawName} (see --help)`;
    if (config.type === 'boolean') {
      if (token.value !== undefined) return `${token.rawName} takes no value`;
      continue;
    }
    if (token.value === undefined) return `${token.rawName} needs a value`;
    if (!token.inlineValue && token.value.startsWith('-') && !NUMERIC_DASH_VALUE.test(token.value)) {
      // Usually a forgotten value swallowing the next flag.
      return `${token.rawName} needs a value (got ${JSON.stringify(token.value)}; a value starting with "-" must be attached with "=")`;
    }
  }
  return undefined;
}

/**
 * Strict parseArgs calls "--port -1" ambiguous; attaching such values with "=" lets
 * them reach the range check, whose message says what is actually wrong.
 */
function attachNumericDashValues(argv: readonly string[], tokens: readonly ArgsToken[]): string[] {
  const out = [...argv];
  const drop = new Set<number>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.inlineValue !== false || token.value === undefined) continue;
    if (!NUMERIC_DASH_VALUE.test(token.value)) continue;
    out[token.index] = `${token.rawName}=${token.value}`;
    drop.add(token.index + 1);
  }
  return out.filter((_, i) => !drop.has(i));
}

function firstLine(err: unknown): string {
  const text = errorText(err);
  return text.split('\n', 1)[0] ?? text;
}

function applyFlag<K extends keyof ServerOptions>(options: ServerOptions, key: K, fromArgs: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const spec: FlagSpec<ServerOptions[K]> = SERVER_FLAGS[key];
  let text: string;
  let source: string;
  if (fromArgs !== undefined) {
    text = fromArgs;
    source = `--${spec.flag}`;
  } else {
    const fromEnv = env[spec.env];
    // `VAR=` in compose files and shells usually means "not set", not "set to nothing".
    if (fromEnv === undefined || fromEnv === '') return undefined;
    text = fromEnv;
    source = `${spec.env} (--${spec.flag})`;
  }
  const value = spec.parse(text);
  if (value === undefined) {
    const shown = spec.type === 'secret' ? '' : ` (got ${JSON.stringify(text)})`;
    return `${source} must be ${spec.expects}${shown}`;
  }
  options[key] = value;
  return undefined;
}

/**
 * @param argv the arguments after the script name (`process.argv.slice(2)`).
 * @param env usually `process.env`; values set on the command line win over it.
 */
export function parseServerArgs(argv: string[], env: NodeJS.ProcessEnv): ParseServerArgsResult {
  const lenient = parseArgs({ args: argv, options: ARGS_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  // Asking for help must work even next to a mistake: that is when people ask.
  if (lenient.tokens.some((t) => t.kind === 'option' && t.name === HELP_FLAG.flag)) return { help: helpText() };

  const problem = describeFirstProblem(lenient.tokens);
  if (problem !== undefined) return fail(problem);

  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    const args = attachNumericDashValues(argv, lenient.tokens);
    values = parseArgs({ args, options: ARGS_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    // Only reachable if Node rejects something describeFirstProblem does not know about.
    return fail(firstLine(err));
  }

  const options = defaultServerOptions();
  const given = new Set<keyof ServerOptions>();
  for (const key of FLAG_KEYS) {
    const raw = values[SERVER_FLAGS[key].flag];
    const fromArgs = typeof raw === 'string' ? raw : undefined;
    const error = applyFlag(options, key, fromArgs, env);
    if (error !== undefined) return fail(error);
    const fromEnv = env[SERVER_FLAGS[key].env];
    if (fromArgs !== undefined || (fromEnv !== undefined && fromEnv !== '')) given.add(key);
  }

  if (options.hangThresholdMs <= options.heartbeatIntervalMs) {
    return fail(
      `--${SERVER_FLAGS.hangThresholdMs.flag} (${options.hangThresholdMs}) must be longer than --${SERVER_FLAGS.heartbeatIntervalMs.flag} (${options.heartbeatIntervalMs})`,
    );
  }
  if (options.auth === 'jwt' && options.jwtSecret === undefined) {
    return fail(`--auth jwt needs --jwt-secret (or ${SERVER_FLAGS.jwtSecret.env})`);
  }
  const api = SERVER_FLAGS.openimApi;
  const ws = SERVER_FLAGS.openimWs;
  if (options.openimApi !== undefined && options.openimWs === undefined) {
    return fail(`--${ws.flag} (or ${ws.env}) is required when --${api.flag} is given`);
  }
  if (options.openimWs !== undefined && options.openimApi === undefined) {
    return fail(`--${api.flag} (or ${api.env}) is required when --${ws.flag} is given`);
  }
  if (options.core === 'test' && env['NODE_ENV'] === 'production') {
    return fail(`--${SERVER_FLAGS.core.flag} test is refused when NODE_ENV=production: its Debug* functions let any client hang or crash a core`);
  }
  return { ok: true, options, given };
}

function describeDefault(spec: FlagSpec<unknown>): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  return String(spec.default);
}

export function helpText(): string {
  const lines = [
    `Usage: ${PROGRAM} [options]`,
    '',
    'Serves OpenIM JS SDK clients over WebSocket, running one OpenIM SDK core per user.',
    'Every option can also be given as the environment variable shown; the command line wins.',
    '',
    'Options:',
  ];
  for (const key of FLAG_KEYS) {
    const spec: FlagSpec<unknown> = SERVER_FLAGS[key];
    lines.push(`  --${spec.flag} ${spec.metavar}`);
    lines.push(`      ${spec.help}`);
    // A choice's values are already in the metavar.
    const allowed = spec.type === 'choice' ? '' : `Must be ${spec.expects}. `;
    lines.push(`      ${allowed}Default: ${describeDefault(spec)}. Env: ${spec.env}`);
  }
  lines.push(`  -${HELP_FLAG.short}, --${HELP_FLAG.flag}`);
  lines.push(`      ${HELP_FLAG.help}`);
  return lines.join('\n') + '\n';
}
