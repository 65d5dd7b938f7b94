/**
 * Child process for the sessions bench (see lib/helper-process.ts): holds either the whole
 * gateway (`gateway`) or a bare CorePool with the same settings (`bare`), and reports its
 * own RSS, which covers the main thread and every core worker thread.
 *
 *   node memory-host.ts gateway|bare '<HostConfig JSON>'
 *
 * The sockets that log in, and the dev server they and the cores talk to, live in the
 * bench's process, so none of their memory is in these readings.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { CorePool } from '../../../src/pool/core-pool.ts';
import type { CoreHandle } from '../../../src/pool/worker/core-handle.ts';
import { startServer, type RunningServer } from '../../../src/server.ts';
import { buildSdkConfig } from '../../../src/sessions/sdk-config.ts';
import { procFigures } from '../../lib/proc-figures.ts';
import { serveRequests } from './helper-process.ts';
import { keptAlive } from './report.ts';
import { hostServerOptions, type HostConfig } from './host-options.ts';

export type { HostConfig };

export type HostRequest =
  /** Settles, collects garbage, reads RSS; `cores` is how many cores the pool should hold by then. */
  | { type: 'measure'; cores: number }
  /** Bare only: starts cores (each with initSDK) until the pool holds `cores`, then measures. */
  | { type: 'grow'; cores: number }
  | { type: 'close' };

export interface MemoryReading {
  rssBytes: number;
  /** Sum of the cores' linear memory, from the workers' heartbeats. */
  linearBytes: number;
  /** How much of every wasm memory in the process is resident (from smaps); undefined without /proc. */
  wasmResidentBytes: number | undefined;
  cores: number;
  /** Gateway only: sessions in state logged-in. */
  loggedIn: number | undefined;
  /** Longest any worker went without answering a heartbeat since the previous reading. */
  maxSilentMs: number;
  /** Workers replaced (declared hung, or died) since the host started. */
  workersReplaced: number;
}

export interface HostReply {
  /** Gateway only: where clients connect. */
  url: string | undefined;
  /** Absent after `close`. */
  reading: MemoryReading | undefined;
}

interface Host {
  handle(req: HostRequest): Promise<HostReply>;
}

const PLATFORM_ID = 5;
/** Long enough for a heartbeat (250 ms) to report every core and for sync stragglers to end. */
const SETTLE_MS = 1500;
const GROW_CONCURRENCY = 4;
const silent = pino({ level: 'silent' });

/** Node's gc() when started with --expose-gc (HelperProcess does); otherwise nothing. */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});

/**
 * Resident bytes of the process's wasm memories (the cores', plus a few tiny ones such as
 * Node's HTTP parser, which the bench's differences cancel); undefined without /proc.
 */
function wasmResidentBytes(): number | undefined {
  return procFigures('self').wasmResidentBytes;
}

/**
 * Heartbeat silences, sampled from outside: how close a worker came to being declared
 * hung while cores were starting and logging in.
 */
class SilenceWatch {
  #max = 0;
  replaced = 0;

  constructor(pool: CorePool) {
    setInterval(() => {
      for (const w of pool.workers()) this.#max = Math.max(this.#max, w.silentForMs);
    }, 50).unref();
    pool.on('workerReplaced', () => this.replaced++);
  }

  /** The longest silence since the last call. */
  take(): number {
    const max = this.#max;
    this.#max = 0;
    return max;
  }
}

async function read(pool: CorePool, watch: SilenceWatch, cores: number, loggedIn: () => number | undefined): Promise<MemoryReading> {
  // A heartbeat figure is at most one interval old; wait until every core is in it.
  const giveUp = performance.now() + 10_000;
  const heartbeatCores = (): number => pool.workers().reduce((n, w) => n + w.cores, 0);
  while (heartbeatCores() !== cores && performance.now() < giveUp) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  collect();
  await new Promise((r) => setTimeout(r, 100));
  return {
    rssBytes: process.memoryUsage().rss,
    linearBytes: pool.workers().reduce((n, w) => n + w.coreMemoryBytes, 0),
    wasmResidentBytes: wasmResidentBytes(),
    cores: heartbeatCores(),
    loggedIn: loggedIn(),
    maxSilentMs: watch.take(),
    workersReplaced: watch.replaced,
  };
}

async function startGatewayHost(config: HostConfig): Promise<Host> {
  const server: RunningServer = await startServer(hostServerOptions(config));
  const watch = new SilenceWatch(server.pool);
  const loggedIn = (): number => server.hub.sessions().filter((s) => s.state === 'logged-in').length;
  return {
    async handle(req) {
      switch (req.type) {
        case 'measure':
          return { url: server.url, reading: await read(server.pool, watch, req.cores, loggedIn) };
        case 'grow':
          throw new Error('the gateway host grows by logins, not by request');
        case 'close':
          await keptAlive(() => server.close());
          return { url: undefined, reading: undefined };
      }
    },
  };
}

async function startBareHost(config: HostConfig): Promise<Host> {
  const pool = await CorePool.start({
    core: 'official',
    workers: config.workers,
    coresPerWorker: config.coresPerWorker,
    logLevel: 'silent',
    logger: silent,
    dataDir: join(config.dataDir, 'users'),
    hangThresholdMs: config.hangThresholdMs,
  });
  const watch = new SilenceWatch(pool);
  // The gateway's initSDK configuration (server log level silent), so the cores match.
  const sdkConfig = buildSdkConfig({ openimApi: config.apiUrl, openimWs: config.wsUrl, dataDir: config.dataDir, logLevel: 'silent' }, PLATFORM_ID);
  const sessions: CoreHandle[] = [];
  let opSeq = 0;
  const startOne = async (i: number): Promise<void> => {
    const s = await pool.startCore({ userID: `bare${i}`, platformID: PLATFORM_ID });
    sessions.push(s);
    const init = await s.call('initSDK', `bare-${++opSeq}`, [sdkConfig]);
    if (!Array.isArray(init) || init[0] !== true) throw new Error(`initSDK on bare${i} answered ${JSON.stringify(init)}`);
  };
  const none = (): undefined => undefined;
  return {
    async handle(req) {
      switch (req.type) {
        case 'measure':
          return { url: undefined, reading: await read(pool, watch, req.cores, none) };
        case 'grow': {
          let next = sessions.length;
          const lane = async (): Promise<void> => {
            while (next < req.cores) await startOne(next++);
          };
          await Promise.all(Array.from({ length: GROW_CONCURRENCY }, lane));
          return { url: undefined, reading: await read(pool, watch, req.cores, none) };
        }
        case 'close':
          await keptAlive(() => pool.close());
          return { url: undefined, reading: undefined };
      }
    },
  };
}

const [role, configText] = process.argv.slice(2);
const config = JSON.parse(configText ?? '{}') as HostConfig;
// Listening before the host is up: a request sent meanwhile would otherwise be dropped.
const host =
  role === 'gateway' ? startGatewayHost(config) : role === 'bare' ? startBareHost(config) : Promise.reject(new Error(`memory-host: unknown role ${String(role)}`));
host.catch((err: unknown) => {
  process.stderr.write(`memory-host ${String(role)} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
serveRequests(async (body) => {
  const req = body as HostRequest;
  const reply = await (await host).handle(req);
  // After the reply is on its way: a closed host has nothing left to do.
  if (req.type === 'close') setTimeout(() => process.exit(0), 100);
  return reply;
});
