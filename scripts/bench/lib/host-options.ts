/**
 * What a bench host process (memory-host, density-host) runs: its configuration, and the
 * gateway options it implies. A module of its own because the hosts are entry points (they
 * start serving when loaded) and must not import each other.
 */
import { pino } from 'pino';
import { defaultServerOptions } from '../../../src/config/options.ts';
import type { StartOptions } from '../../../src/server.ts';

export interface HostConfig {
  apiUrl: string;
  wsUrl: string;
  dataDir: string;
  workers: number;
  coresPerWorker: number;
  hangThresholdMs: number;
}

const silent = pino({ level: 'silent' });

/** A bench host's gateway: the official core on loopback with the host's pool settings. */
export function hostServerOptions(config: HostConfig): StartOptions {
  return {
    ...defaultServerOptions(),
    host: '127.0.0.1',
    port: 0,
    core: 'official',
    workers: config.workers,
    coresPerWorker: config.coresPerWorker,
    openimApi: config.apiUrl,
    openimWs: config.wsUrl,
    dataDir: config.dataDir,
    logLevel: 'silent',
    logger: silent,
    hangThresholdMs: config.hangThresholdMs,
  };
}
