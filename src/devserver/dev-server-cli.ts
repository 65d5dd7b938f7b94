/**
 * The dev server's two commands, for `src/cli.ts` to dispatch to:
 *
 *   openim-jssdk-server dev-server [--host 127.0.0.1] [--api-port 10002] [--ws-port 10001] [--secret …]
 *   openim-jssdk-server token --user alice [--platform 5] [--api http://127.0.0.1:10002] [--secret …]
 *
 * `token` talks to a running dev server (or a real OpenIM server with the same secret)
 * through the ordinary API: admin token, register the user if new, user token.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../shared/logger.ts';
import { DEFAULT_API_PORT, DEFAULT_SECRET, DEFAULT_WS_PORT, startDevServer, type DevServer } from './dev-server.ts';
import { issueUserToken } from './token-client.ts';
import { join } from 'node:path';
import { errorText } from '../shared/error-text.ts';

/** Where uploads go inside a data directory (the gateway's, when the dev server is embedded). */
export const OBJECTS_SUBDIR = 'dev-server-objects';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); injectable for tests. */
  readonly untilStopped: () => Promise<string>;
}

const PROGRAM = 'openim-jssdk-server';

const DEV_SERVER_HELP = `Usage: ${PROGRAM} dev-server [options]

Runs an in-memory OpenIM server for development and tests. Nothing persists.

  --host <addr>       listen address (default 127.0.0.1)
  --api-port <port>   HTTP API port (default ${DEFAULT_API_PORT}; 0 = any free port)
  --ws-port <port>    WebSocket gateway port (default ${DEFAULT_WS_PORT}; 0 = any free port)
  --secret <secret>   token secret and admin secret (default ${DEFAULT_SECRET})
  --data-dir <dir>    uploaded files go to <dir>/${OBJECTS_SUBDIR}, emptied at start and
                      at stop (default: a temporary directory)
  --log-level <lvl>   pino level (default info)
`;

const TOKEN_HELP = `Usage: ${PROGRAM} token --user <userID> [options]

Prints a user token from a running OpenIM (dev) server, registering the user first if needed.

  --user <userID>     letters, digits and _ only
  --platform <id>     platform ID, 1-9 or 11 (default 5, web)
  --api <url>         the server's HTTP API (default http://127.0.0.1:${DEFAULT_API_PORT})
  --secret <secret>   the server's secret (default ${DEFAULT_SECRET})
  --admin <userID>    admin account (default imAdmin)
`;

function defaultIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    untilStopped: () =>
      new Promise((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      }),
  };
}

class UsageError extends Error {}

const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function port(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text) || Number(text) > 65_535) throw new UsageError(`--${flag} must be a port number 0-65535 (got ${JSON.stringify(text)})`);
  return Number(text);
}

/** A command's parsed flags: `--help`, and each string flag's value (undefined when not given). */
interface Flags {
  help: boolean;
  str: (name: string) => string | undefined;
}

function parse(argv: readonly string[], names: readonly string[]): Flags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const name of names) options[name] = { type: 'string' };
  let values: Readonly<Record<string, string | boolean | undefined>>;
  try {
    // Without `multiple`, every value is a string or a boolean.
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err));
  }
  return {
    help: values['help'] === true,
    str: (name) => {
      const v = values[name];
      return typeof v === 'string' ? v : undefined;
    },
  };
}

/** The banner shown when the dev server starts, alone or embedded in the gateway. */
export function devServerBanner(server: Pick<DevServer, 'apiUrl' | 'wsUrl'>, options: { embedded: boolean; secret?: string }): string {
  const secretFlag = options.secret !== undefined && options.secret !== DEFAULT_SECRET ? ` --secret <secret>` : '';
  const lines = [
    options.embedded
      ? 'EMBEDDED OPENIM DEV SERVER — for trying things out and tests only, NOT FOR PRODUCTION'
      : 'OPENIM DEV SERVER — for development and tests only, NOT FOR PRODUCTION',
    'In memory: users, messages and groups are gone when the process stops.',
    `  API:     ${server.apiUrl}`,
    `  Gateway: ${server.wsUrl}`,
    'Get a token for a user (registers the user if new):',
    `  ${PROGRAM} token --user alice --api ${server.apiUrl}${secretFlag}`,
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const rule = '='.repeat(width);
  return `${rule}\n${lines.join('\n')}\n${rule}\n`;
}

async function devServerCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { help, str } = parse(argv, ['host', 'api-port', 'ws-port', 'secret', 'log-level', 'data-dir']);
  if (help) {
    io.stdout(DEV_SERVER_HELP);
    return 0;
  }
  const secret = str('secret') ?? DEFAULT_SECRET;
  if (secret === '') throw new UsageError('--secret must not be empty');
  const apiPort = port('api-port', str('api-port'), DEFAULT_API_PORT);
  const wsPort = port('ws-port', str('ws-port'), DEFAULT_WS_PORT);
  const level = str('log-level') ?? 'info';
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const logger = createLogger({ level, format: 'auto' });
  const dataDir = str('data-dir');
  if (dataDir === '') throw new UsageError('--data-dir must not be empty');
  let server: DevServer;
  try {
    server = await startDevServer({
      host: str('host') ?? '127.0.0.1',
      apiPort,
      wsPort,
      secret,
      logger,
      ...(dataDir !== undefined && { objects: { dir: join(dataDir, OBJECTS_SUBDIR) } }),
    });
  } catch (err) {
    io.stderr(`${PROGRAM} dev-server: cannot start: ${errorText(err)}\n`);
    return 1;
  }
  io.stderr(devServerBanner(server, { embedded: false, secret }));
  const signal = await io.untilStopped();
  logger.info({ signal }, 'dev server stopping');
  await server.close();
  return 0;
}

async function tokenCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { help, str } = parse(argv, ['user', 'platform', 'api', 'secret', 'admin']);
  if (help) {
    io.stdout(TOKEN_HELP);
    return 0;
  }
  const user = str('user');
  if (user === undefined || user === '') throw new UsageError('--user is required');
  if (!/^[\p{L}\p{Nd}_]+$/u.test(user)) throw new UsageError('--user may hold letters, digits and _ only');
  const platformText = str('platform') ?? '5';
  if (!/^[0-9]+$/.test(platformText) || ![1, 2, 3, 4, 5, 6, 7, 8, 9, 11].includes(Number(platformText))) {
    throw new UsageError(`--platform must be an OpenIM platform ID other than 10 (got ${JSON.stringify(platformText)})`);
  }
  const api = str('api') ?? `http://127.0.0.1:${DEFAULT_API_PORT}`;
  try {
    const token = await issueUserToken(api, {
      userID: user,
      platformID: Number(platformText),
      secret: str('secret') ?? DEFAULT_SECRET,
      adminUserID: str('admin') ?? 'imAdmin',
    });
    io.stdout(`${token}\n`);
    return 0;
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    io.stderr(`${PROGRAM} token: ${errorText(err)}${cause}\n`);
    return 1;
  }
}

/**
 * @param argv the arguments after the program name, starting with the command
 *   (`dev-server` or `token`).
 * @returns the process exit code (2 for usage errors).
 */
export async function runDevServerCli(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'dev-server') return await devServerCommand(rest, io);
    if (command === 'token') return await tokenCommand(rest, io);
    throw new UsageError(`unknown command ${JSON.stringify(command ?? '')} (expected dev-server or token)`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`${PROGRAM} ${command ?? ''}: ${err.message}\n`);
    return 2;
  }
}
