import { join } from 'node:path';

/**
 * The initSDK configuration of one core (docs/client-protocol.md#core-configuration). The core's own log goes
 * to its stdout, which the host forwards to pino; it has no file system to write logs to.
 */
export function buildSdkConfig(options: { openimApi: string; openimWs: string; dataDir: string; logLevel: string }, platformID: number): string {
  return JSON.stringify({
    platformID,
    apiAddr: options.openimApi,
    wsAddr: options.openimWs,
    dataDir: join(options.dataDir, 'sdk'),
    // Core levels: 0 panic … 6 verbose. Mirror the server's level coarsely.
    logLevel: CORE_LOG_LEVELS[options.logLevel] ?? 3,
    isLogStandardOutput: options.logLevel === 'debug' || options.logLevel === 'trace',
    logFilePath: '',
    systemType: 'js-sdk-server',
  });
}

const CORE_LOG_LEVELS: Readonly<Record<string, number>> = {
  silent: 0,
  fatal: 1,
  error: 2,
  warn: 3,
  info: 3,
  debug: 5,
  trace: 6,
};
