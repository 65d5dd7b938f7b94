/**
 * The gateway: starts the core pool, the session hub and the HTTP/WebSocket front door, and
 * stops them in order. `startServer` is the one public entry; the CLI only parses flags and
 * calls it. Each concern lives in its own module; this file only wires them and owns the
 * lifecycle (starting → ready → draining).
 */
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { ServerOptions } from './config/options.ts';
import { CorePool } from './pool/core-pool.ts';
import { Hub } from './sessions/hub.ts';
import { Admission, type GatewayState } from './transport/admission.ts';
import type { TokenVerifier } from './auth/token-verifier.ts';
import { createTokenVerifier } from './auth/create-verifier.ts';
import { tokenRevocation } from './auth/token-revocation.ts';
import { GatewayMetrics } from './metrics.ts';
import { eventTranslator } from './sessions/event-translator.ts';
import { buildSdkConfig } from './sessions/sdk-config.ts';
import { LIMITS } from './limits.ts';
import { InboundBudget } from './transport/inbound-budget.ts';
import { socketHandler } from './transport/socket-handler.ts';
import { startLiveness } from './transport/liveness.ts';
import { createHttpServer } from './http/routes.ts';
import type { MemoryMergeState } from './memory/memory-merge.ts';
import { memoryReport } from './memory/memory-report.ts';
import { memoryBudgetBytes, setUpMemoryMerge } from './memory/memory-setup.ts';
import { Cluster } from './cluster/cluster.ts';
import { localNodeOf } from './cluster/local-node.ts';
import type { PlaygroundSite } from './playground/playground-site.ts';

export interface StartOptions extends ServerOptions {
  /** Required here: resolving the embedded dev server is the CLI's job. */
  openimApi: string;
  openimWs: string;
  logger?: Logger;
  /** Replaces the verifier chosen by `auth` (tests). */
  verifier?: TokenVerifier;
  /** Liveness timings (tests shorten them). */
  pingIntervalMs?: number;
  silenceLimitMs?: number;
  /** The browser playground's page and routes, when the CLI decided to serve them. */
  playgroundSite?: PlaygroundSite;
  /** Unshared core memories, as before they were shared (benches measure the difference). */
  coreMemoryShared?: boolean;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly pool: CorePool;
  readonly hub: Hub;
  readonly metrics: GatewayMetrics;
  /** Whether the process's pages are merged, and why not. */
  readonly memoryMerge: MemoryMergeState;
  /** With `redis`: this node's membership of the cluster. */
  readonly cluster: Cluster | undefined;
  /** Graceful stop: 503 on /healthz, refuse new sockets, log every core out, close 1001. */
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: options.logLevel });
  let state: 'starting' | 'ready' | 'draining' = 'starting';
  const memoryMerge = setUpMemoryMerge(options.memoryMerge, logger);
  const pool = await CorePool.start({
    core: options.core,
    workers: options.workers,
    coresPerWorker: options.coresPerWorker,
    coreMemoryLimitMiB: options.coreMemoryLimitMiB,
    coreGcPercent: options.coreGcPercent,
    coreMemoryShared: options.coreMemoryShared,
    logLevel: options.logLevel,
    dataDir: join(options.dataDir, 'users'),
    logger,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    hangThresholdMs: options.hangThresholdMs,
    memoryBudgetBytes: memoryBudgetBytes(options.memoryBudgetMiB),
  });
  const inbound = new InboundBudget({ perSocketBytes: LIMITS.inboundBytesPerSocket, perSessionBytes: LIMITS.inboundBytesPerSession });
  const verifier = options.verifier ?? createTokenVerifier(options, logger);
  // Several nodes: one object holds this node's part in the cluster (see src/cluster/cluster.ts).
  const cluster =
    options.redis === undefined
      ? undefined
      : new Cluster({
          redisUrl: options.redis,
          prefix: options.redisPrefix,
          leaseTtlMs: options.leaseTtlMs,
          logger,
          onInternalError: () => metrics.internalErrors.inc({ where: 'cluster' }),
        });
  const revocation = tokenRevocation(verifier, cluster);

  const hub = new Hub({
    pool,
    logger,
    sdkConfig: (platformID) => buildSdkConfig(options, platformID),
    translateEvent: eventTranslator(options.newMessageEvents),
    gracePeriodMs: options.gracePeriodSeconds * 1000,
    onInternalError: (where) => metrics.internalErrors.inc({ where }),
    onTokensRevoked: revocation.revoke,
    ...(cluster === undefined ? {} : { ownership: cluster.ownership }),
  });

  const memory = (): ReturnType<typeof memoryReport> => memoryReport(memoryMerge, pool.memoryAdmission, pool.coreCount);
  const metrics: GatewayMetrics = new GatewayMetrics({
    connections: () => hub.socketCount,
    sessionsByState: () => {
      const counts: Record<string, number> = {};
      for (const s of hub.sessions()) counts[s.state] = (counts[s.state] ?? 0) + 1;
      return counts;
    },
    outboundBytesQueued: () => {
      let n = 0;
      for (const c of hub.sockets()) n += c.bufferedBytes;
      return n;
    },
    inboundBytesHeld: () => inbound.bytes,
    memory,
    socketsPaused: () => inbound.pausedSockets,
    coresPerWorker: () =>
      pool.workers().map((w) => ({
        workerId: w.id,
        cores: w.cores,
        coreMemoryBytes: w.coreMemoryBytes,
        heapUsedBytes: w.heapUsedBytes,
        coreHeldValues: w.coreHeldValues,
      })),
    handshakesPending: () => admission.pending,
    tokenCacheEntries: () => verifier.cachedVerdicts ?? 0,
  });
  pool.on('coreLost', (lost) => metrics.coreExits.inc({ reason: lost.reason }));
  pool.on('workerReplaced', (w) => metrics.workerRestarts.inc({ reason: w.reason }));
  pool.on('workerOverloaded', () => metrics.workerOverloads.inc());

  /** A node that cannot count on its cluster lease takes no one in (nginx then tries another node). */
  const admissionState = (): GatewayState => (state === 'ready' && cluster !== undefined && !cluster.leased ? 'unleased' : state);

  const http = createHttpServer({
    logger,
    metrics,
    hub,
    pool,
    cluster,
    state: admissionState,
    adminToken: options.adminToken,
    forgetTokens: (userID, platformID) => revocation.revoke([], userID, platformID),
    memory,
    playgroundSite: options.playgroundSite,
  });
  const admission: Admission = new Admission({
    logger,
    metrics,
    verifier,
    wss: new WebSocketServer({ noServer: true, maxPayload: LIMITS.frameBytes, clientTracking: false }),
    state: admissionState,
    connectionsOf: (userID, platformID) => hub.connectionsOf(userID, platformID),
    maxConnsPerUser: options.maxConnsPerUser,
    onConnection: socketHandler({ logger, metrics, hub, inbound, requests: { pool, hub, logger, metrics, verifier } }),
  });
  http.on('upgrade', admission.handleUpgrade);

  const stopLiveness = startLiveness(hub.sockets(), {
    pingIntervalMs: options.pingIntervalMs ?? LIMITS.pingIntervalMs,
    silenceLimitMs: options.silenceLimitMs ?? LIMITS.silenceMs,
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  if (cluster !== undefined) {
    try {
      await cluster.start(options.nodeId ?? `${hostname()}:${port}`, localNodeOf(hub, revocation.forgetUserLocally), metrics.registry);
    } catch (err) {
      stopLiveness();
      await pool.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      throw err;
    }
  }
  state = 'ready';
  logger.info({ host: options.host, port, core: pool.build.kind, workers: options.workers, nodeId: cluster?.nodeId }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    url: `ws://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    port,
    pool,
    hub,
    metrics,
    memoryMerge,
    cluster,
    close() {
      closing ??= (async () => {
        state = 'draining';
        stopLiveness();
        logger.info({ sessions: hub.size, connections: hub.socketCount }, 'draining');
        await hub.shutdown();
        // Every user was let go by its session above; the lease goes now rather than expiring.
        await cluster?.stop();
        await pool.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        logger.info('stopped');
      })();
      return closing;
    },
  };
}
