#!/usr/bin/env node
/**
 * `openim-jssdk-server [options]`: parse flags, start the gateway, stop it cleanly on
 * SIGTERM/SIGINT. All behaviour lives in startServer(); this file only talks to the shell.
 */
import { parseServerArgs } from './config/parse-args.ts';
import { SERVER_FLAGS } from './config/options.ts';
import { startServer, type RunningServer } from './server.ts';
import { installProcessGuard } from './process-guard.ts';
import { join } from 'node:path';
import type { DevServer } from './devserver/dev-server.ts';
import { claimDataDir, createTemporaryDataDir } from './config/data-dir.ts';
import { errorText } from './shared/error-text.ts';
import { createLogger } from './shared/logger.ts';
import { playgroundSiteFor, playgroundUrl } from './playground/playground-site.ts';

/**
 * Subcommands that are not the gateway itself. The dev server is a product of its own: its
 * modules are imported only when one of these runs or the gateway embeds it, never by a
 * gateway that serves a real IM server.
 */
const DEV_SERVER_COMMANDS: ReadonlySet<string> = new Set(['dev-server', 'token']);

/** SIGTERM to exit: healthz 503, sockets closed 1001, cores logged out, DBs closed. */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(argv: string[]): Promise<number> {
  if (argv[0] !== undefined && DEV_SERVER_COMMANDS.has(argv[0])) {
    const { runDevServerCli } = await import('./devserver/dev-server-cli.ts');
    return runDevServerCli(argv);
  }
  const parsed = parseServerArgs(argv, process.env);
  if ('help' in parsed) {
    process.stdout.write(`${parsed.help}\n`);
    return 0;
  }
  if (!parsed.ok) {
    process.stderr.write(`openim-jssdk-server: ${parsed.message}\n`);
    return parsed.exitCode;
  }
  const options = parsed.options;
  const stopSignal = firstStopSignal();
  const logger = createLogger({ level: options.logLevel, format: options.logFormat });
  const embedded = options.openimApi === undefined || options.openimWs === undefined;
  if (embedded && process.env.NODE_ENV === 'production') {
    process.stderr.write(
      `openim-jssdk-server: --${SERVER_FLAGS.openimApi.flag} and --${SERVER_FLAGS.openimWs.flag} are required in production ` +
        `(the IM server's API and gateway addresses, e.g. http://openim:10002 and ws://openim:10001)\n`,
    );
    return 2;
  }
  // The embedded dev server mints tokens for anyone: it gets a directory of its own (fresh
  // per run unless one is named), and never one that served a real IM server.
  let dataDir: string;
  if (embedded && !parsed.given.has('dataDir')) {
    const temporary = createTemporaryDataDir();
    process.once('exit', () => temporary.remove());
    dataDir = temporary.dir;
  } else {
    const claim = claimDataDir(options.dataDir, embedded ? 'dev-server' : 'openim');
    if (!claim.ok) {
      process.stderr.write(`openim-jssdk-server: ${claim.message}\n`);
      return 2;
    }
    dataDir = claim.dir;
  }
  logger.info({ dataDir, kind: embedded ? 'dev-server' : 'openim' }, 'data directory');
  let devServer: DevServer | undefined;
  if (embedded) {
    // A newcomer with nothing else running gets a working gateway: an in-memory IM server
    // on loopback, announced loudly so nobody mistakes it for production.
    const { OBJECTS_SUBDIR, devServerBanner } = await import('./devserver/dev-server-cli.ts');
    const { startDevServer } = await import('./devserver/dev-server.ts');
    try {
      devServer = await startDevServer({ logger: logger.child({ component: 'dev-server' }), objects: { dir: join(dataDir, OBJECTS_SUBDIR) } });
    } catch (err) {
      process.stderr.write(`openim-jssdk-server: cannot start the embedded dev server: ${errorText(err)}\n`);
      return 1;
    }
    process.stderr.write(devServerBanner(devServer, { embedded: true }));
  }
  const openimApi = options.openimApi ?? devServer!.apiUrl;
  const openimWs = options.openimWs ?? devServer!.wsUrl;
  let server: RunningServer;
  try {
    const playgroundSite = playgroundSiteFor(options.playground, { devServer, openimApi, logger });
    server = await startServer({ ...options, openimApi, openimWs, dataDir, logger, ...(playgroundSite && { playgroundSite }) });
    if (playgroundSite) logger.info({ url: playgroundUrl(options.host, server.port) }, 'playground: open this address in a browser');
  } catch (err) {
    // Start-up problems (a bad core file, a port in use) are one line for the operator.
    const message = errorText(err);
    process.stderr.write(`openim-jssdk-server: cannot start: ${message}\n`);
    await devServer?.close();
    return 1;
  }
  // `--core test` is refused by name; any other build with the same hooks (a path to the test
  // core, a fork with debug functions) is refused by what it registers.
  const debugHooks = server.pool.build.functions.filter((fn) => /^debug[A-Z]/.test(fn));
  if (process.env.NODE_ENV === 'production' && debugHooks.length > 0) {
    process.stderr.write(
      `openim-jssdk-server: --${SERVER_FLAGS.core.flag} ${options.core} is refused when NODE_ENV=production: it registers debug hooks ` +
        `(${debugHooks.join(', ')}) that let any client hang or crash a core\n`,
    );
    await server.close();
    await devServer?.close();
    return 2;
  }
  // From here on one request's bug must not end every user's session (see process-guard.ts).
  installProcessGuard(logger, () => server.metrics.internalErrors.inc({ where: 'process' }));
  const signal = await stopSignal;
  logger.info({ signal }, 'shutting down');
  return new Promise<number>((resolve) => {
    const deadline = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting anyway');
      resolve(1);
    }, SHUTDOWN_DEADLINE_MS);
    server
      .close()
      .then(() => devServer?.close())
      .then(
        () => {
          clearTimeout(deadline);
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
  });
}

/**
 * The first SIGTERM or SIGINT. Listened for from the start: one that arrives while the server
 * is still starting stops it cleanly once it has started, instead of killing it half-way.
 */
function firstStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Pino and worker threads flush on their own; force the exit only if something lingers.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: unknown) => {
    process.stderr.write(`openim-jssdk-server: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
