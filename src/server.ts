/**
 * The gateway: HTTP (health, metrics, admin) and the WebSocket front door, wired to the
 * core pool. `startServer` is the one public entry; the CLI only parses flags and calls it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerOptions } from './config/options.ts';
import { CorePool } from './pool/core-pool.ts';
import { Hub, sessionKey } from './sessions/hub.ts';
import { ClientConn } from './transport/client-conn.ts';
import { CLOSE_CODES } from './transport/close-codes.ts';
import { sendJson } from './transport/http-reply.ts';
import { Admission, type GatewayState } from './transport/admission.ts';
import type { TokenVerifier } from './auth/token-verifier.ts';
import { createTokenVerifier } from './auth/create-verifier.ts';
import { GatewayMetrics } from './metrics.ts';
import { handleFrame, type RequestContext } from './sessions/request-handler.ts';
import { eventTranslator } from './sessions/event-translator.ts';
import { handleAdmin } from './admin.ts';
import { buildSdkConfig } from './sessions/sdk-config.ts';
import { LIMITS } from './limits.ts';
import { InboundBudget } from './transport/inbound-budget.ts';
import { applyMemoryMerge, type MemoryMergeState } from './memory/memory-merge.ts';
import { availableMemoryBytes } from './memory/process-memory.ts';
import { memoryReport } from './memory/memory-report.ts';

/** Share of the machine's (or cgroup's) memory the cores may fill when --memory-budget is 0. */
const DEFAULT_MEMORY_BUDGET_SHARE = 0.75;

/** The budget in bytes: the flag's MiB, or a share of what the machine allows; undefined where unknown. */
function memoryBudgetBytes(flagMiB: number): number | undefined {
  if (flagMiB > 0) return flagMiB * 2 ** 20;
  const available = availableMemoryBytes();
  return available === undefined ? undefined : Math.floor(available * DEFAULT_MEMORY_BUDGET_SHARE);
}
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
  const memoryMerge = applyMemoryMerge(options.memoryMerge);
  if (memoryMerge.problem !== undefined) {
    if (options.memoryMerge === 'on') throw new Error(`--memory-merge on cannot take effect: ${memoryMerge.problem}`);
    if (options.memoryMerge === 'auto') logger.warn({ optedIn: memoryMerge.optedIn, ksmdRunning: memoryMerge.ksmdRunning }, `page merging off: ${memoryMerge.problem}`);
  } else {
    logger.info('page merging on: identical memory pages of the cores are shared (KSM)');
  }
  const pool = await CorePool.start({
    core: options.core,
    workers: options.workers,
    coresPerWorker: options.coresPerWorker,
    coreMemoryLimitMiB: options.coreMemoryLimitMiB,
    coreGcPercent: options.coreGcPercent,
    logLevel: options.logLevel,
    dataDir: join(options.dataDir, 'users'),
    logger,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    hangThresholdMs: options.hangThresholdMs,
    memoryBudgetBytes: memoryBudgetBytes(options.memoryBudgetMiB),
  });
  const conns = new Set<ClientConn>();
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
  const forgetLocally = (userID: string, platformID: number | undefined): void => verifier.forgetUser?.(userID, platformID);
  /** Logout, kick or a kicked/expired core event: the next socket is verified afresh, on every node. */
  const forgetTokens = (tokens: readonly string[], userID: string, platformID?: number): void => {
    for (const token of tokens) if (platformID !== undefined) verifier.forget?.(token, { userID, platformID });
    forgetLocally(userID, platformID);
    cluster?.forgetTokens(userID, platformID);
  };

  const hub = new Hub({
    pool,
    logger,
    sdkConfig: (platformID) => buildSdkConfig(options, platformID),
    translateEvent: eventTranslator(options.newMessageEvents),
    gracePeriodMs: options.gracePeriodSeconds * 1000,
    onInternalError: (where) => metrics.internalErrors.inc({ where }),
    onTokensRevoked: forgetTokens,
    ...(cluster === undefined ? {} : { ownership: cluster.ownership }),
  });

  const memory = (): ReturnType<typeof memoryReport> => memoryReport(memoryMerge, pool.memoryAdmission, pool.sessionCount);
  const metrics: GatewayMetrics = new GatewayMetrics({
    connections: () => conns.size,
    sessionsByState: () => {
      const counts: Record<string, number> = {};
      for (const s of hub.sessions()) counts[s.state] = (counts[s.state] ?? 0) + 1;
      return counts;
    },
    outboundBytesQueued: () => {
      let n = 0;
      for (const c of conns) n += c.bufferedBytes;
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
  pool.on('sessionLost', (lost) => metrics.coreExits.inc({ reason: lost.reason }));
  pool.on('workerReplaced', (w) => metrics.workerRestarts.inc({ reason: w.reason }));
  pool.on('workerOverloaded', () => metrics.workerOverloads.inc());

  const ctx: RequestContext = { pool, hub, logger, metrics, verifier };

  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.frameBytes, clientTracking: false });

  // A connection that trickles its handshake holds a socket without ever being verified:
  // cut it after a bounded time (Node checks these every `connectionsCheckingInterval`).
  const httpOptions = { headersTimeout: LIMITS.requestHeadMs, requestTimeout: LIMITS.httpRequestMs, connectionsCheckingInterval: 1000 };
  const http: Server = createServer(httpOptions, (req, res) => {
    // Barrier: a fault in a route answers 500 and is counted; the process goes on.
    const fail = (where: 'http' | 'admin', err: unknown): void => {
      metrics.internalErrors.inc({ where });
      logger.error({ err, method: req.method, path: (req.url ?? '/').split('?')[0]?.slice(0, 200) }, 'internal error in an HTTP route');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error (logged)' });
      else res.destroy();
    };
    try {
      routeHttp(req, res, fail);
    } catch (err) {
      fail('http', err);
    }
  });

  function routeHttp(req: IncomingMessage, res: ServerResponse, failed: (where: 'http' | 'admin', err: unknown) => void): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const status = admissionState();
      const clusterState = cluster === undefined ? {} : { cluster: { nodeId: cluster.nodeId ?? null, leased: cluster.leased } };
      sendJson(res, status === 'ready' ? 200 : 503, { status, sessions: hub.size, connections: conns.size, ...clusterState });
      return;
    }
    if (path === '/metrics' && req.method === 'GET') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
          res.end(text);
        },
        (err: unknown) => sendJson(res, 500, { error: String(err) }),
      );
      return;
    }
    if (path?.startsWith('/admin/') && options.adminToken) {
      handleAdmin(req, res, {
        adminToken: options.adminToken,
        hub,
        pool,
        logger,
        forgetTokens: (userID, platformID) => forgetTokens([], userID, platformID),
        memory,
        ...(cluster === undefined ? {} : { cluster }),
      }).catch((err: unknown) => failed('admin', err));
      return;
    }
    if (options.playgroundSite?.handles(req)) {
      options.playgroundSite.serve(req, res).catch((err: unknown) => failed('http', err));
      return;
    }
    sendJson(res, 404, { error: `no such endpoint: ${req.method} ${path?.slice(0, 200)}` });
  }

  /** A node that cannot count on its cluster lease takes no one in (nginx then tries another node). */
  function admissionState(): GatewayState {
    return state === 'ready' && cluster !== undefined && !cluster.leased ? 'unleased' : state;
  }

  const admission: Admission = new Admission({
    logger,
    metrics,
    verifier,
    wss,
    state: admissionState,
    connectionsOf: (userID, platformID) => hub.connectionsOf(userID, platformID),
    maxConnsPerUser: options.maxConnsPerUser,
    onConnection,
  });
  http.on('upgrade', admission.handleUpgrade);

  function onConnection(ws: WebSocket, identity: ClientConn['identity'], transport: Duplex): void {
    const log = logger.child({ userID: identity.userID, platformID: identity.platformID });
    const conn = new ClientConn(
      ws,
      identity,
      {
        outboundBacklogBytes: LIMITS.outboundBacklogBytes,
        slowConsumerMs: LIMITS.slowConsumerMs,
        outboundBacklogHardBytes: LIMITS.outboundBacklogHardBytes,
        onServerClose: (code, backlogBytes) => {
          metrics.disconnects.inc({ code: String(code) });
          if (code === CLOSE_CODES.slowConsumer.code) log.info({ conn: conn.id, backlogBytes }, 'slow consumer closed');
        },
        onSendError: (err) => {
          metrics.internalErrors.inc({ where: 'send' });
          log.error({ conn: conn.id, err }, 'internal error while writing to a client socket');
        },
      },
      transport,
    );
    conns.add(conn);
    const session = hub.attach(conn);
    const key = sessionKey(identity.userID, identity.platformID);
    log.debug({ conn: conn.id, remoteAddress: identity.remoteAddress }, 'client connected');
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const bytes = data.length;
      try {
        conn.noteInbound(isBinary);
        inbound.take(conn, key, bytes);
        // handleFrame never rejects; its bytes are held until it has answered.
        handleFrame(ctx, conn, session, data.toString('utf8'))
          .then(() => inbound.release(conn, key, bytes))
          .catch((err: unknown) => {
            metrics.internalErrors.inc({ where: 'frame' });
            log.error({ conn: conn.id, err }, 'internal error after answering a frame');
          });
      } catch (err) {
        metrics.internalErrors.inc({ where: 'frame' });
        log.error({ conn: conn.id, err }, 'internal error while receiving a frame');
      }
    });
    ws.on('error', (err) => log.debug({ conn: conn.id, err: err.message }, 'client socket error'));
    ws.on('close', (code) => {
      conns.delete(conn);
      inbound.forget(conn, key);
      log.debug({ conn: conn.id, code }, 'client disconnected');
      session.detach(conn);
    });
  }

  const pingInterval = options.pingIntervalMs ?? LIMITS.pingIntervalMs;
  const silenceLimit = options.silenceLimitMs ?? LIMITS.silenceMs;
  const liveness = setInterval(() => {
    for (const c of conns) {
      if (c.silentForMs > silenceLimit) c.close(CLOSE_CODES.dead.code, CLOSE_CODES.dead.reason);
      else c.ping();
    }
  }, pingInterval);
  liveness.unref();

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
      await cluster.start(options.nodeId ?? `${hostname()}:${port}`, localNodeOf(hub, forgetLocally), metrics.registry);
    } catch (err) {
      clearInterval(liveness);
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
        clearInterval(liveness);
        logger.info({ sessions: hub.size, connections: conns.size }, 'draining');
        await hub.shutdown();
        for (const c of conns) c.close(CLOSE_CODES.goingAway.code, CLOSE_CODES.goingAway.reason);
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
