/**
 * The gateway: HTTP (health, metrics, admin) and the WebSocket front door, wired to the
 * core pool. `startServer` is the one public entry; the CLI only parses flags and calls it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerOptions } from './config/options.ts';
import { CorePool } from './pool/core-pool.ts';
import { Hub } from './sessions/hub.ts';
import { ClientConn } from './transport/client-conn.ts';
import { CLOSE_CODES } from './transport/close-codes.ts';
import { sendJson } from './transport/http-reply.ts';
import { Admission } from './transport/admission.ts';
import type { TokenVerifier } from './auth/token-verifier.ts';
import { createTokenVerifier } from './auth/create-verifier.ts';
import { GatewayMetrics } from './metrics.ts';
import { handleFrame, type RequestContext } from './sessions/request-handler.ts';
import { eventTranslator } from './sessions/event-translator.ts';
import { handleAdmin } from './admin.ts';
import { buildSdkConfig } from './sessions/sdk-config.ts';

/** Frames above this close the socket with 1009 (ws enforces it while reading). */
export const MAX_FRAME_BYTES = 10 * 2 ** 20;
export const MAX_BUFFERED_BYTES = 8 * 2 ** 20;
export const PING_INTERVAL_MS = 25_000;
export const SILENCE_LIMIT_MS = 60_000;

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
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly pool: CorePool;
  readonly hub: Hub;
  readonly metrics: GatewayMetrics;
  /** Graceful stop: 503 on /healthz, refuse new sockets, log every core out, close 1001. */
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: options.logLevel });
  let state: 'starting' | 'ready' | 'draining' = 'starting';
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
  });
  const conns = new Set<ClientConn>();
  const verifier = options.verifier ?? createTokenVerifier(options, logger);
  /** Logout, kick or a kicked/expired core event: the next socket is verified afresh. */
  const forgetTokens = (tokens: readonly string[], userID: string, platformID?: number): void => {
    for (const token of tokens) if (platformID !== undefined) verifier.forget?.(token, { userID, platformID });
    verifier.forgetUser?.(userID, platformID);
  };

  const hub = new Hub({
    pool,
    logger,
    sdkConfig: (platformID) => buildSdkConfig(options, platformID),
    translateEvent: eventTranslator(options.newMessageEvents),
    gracePeriodMs: options.gracePeriodSeconds * 1000,
    onTokensRevoked: forgetTokens,
  });

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

  const ctx: RequestContext = { pool, hub, logger, metrics, verifier };

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: false });

  const http: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      sendJson(res, state === 'ready' ? 200 : 503, { status: state, sessions: hub.size, connections: conns.size });
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
      void handleAdmin(req, res, { adminToken: options.adminToken, hub, pool, logger, forgetTokens: (userID, platformID) => forgetTokens([], userID, platformID) });
      return;
    }
    sendJson(res, 404, { error: `no such endpoint: ${req.method} ${path}` });
  });

  const admission: Admission = new Admission({
    logger,
    metrics,
    verifier,
    wss,
    state: () => state,
    connectionsOf: (userID, platformID) => hub.connectionsOf(userID, platformID),
    maxConnsPerUser: options.maxConnsPerUser,
    onConnection,
  });
  http.on('upgrade', admission.handleUpgrade);

  function onConnection(ws: WebSocket, identity: ClientConn['identity'], transport: Duplex): void {
    const conn = new ClientConn(
      ws,
      identity,
      {
        maxBufferedBytes: MAX_BUFFERED_BYTES,
        onServerClose: (code) => metrics.disconnects.inc({ code: String(code) }),
      },
      transport,
    );
    conns.add(conn);
    const session = hub.attach(conn);
    const log = logger.child({ userID: identity.userID, platformID: identity.platformID, conn: conn.id });
    log.debug({ remoteAddress: identity.remoteAddress }, 'client connected');
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      conn.noteInbound(isBinary);
      void handleFrame(ctx, conn, session, data.toString('utf8'));
    });
    ws.on('error', (err) => log.debug({ err: err.message }, 'client socket error'));
    ws.on('close', (code) => {
      conns.delete(conn);
      log.debug({ code }, 'client disconnected');
      session.detach(conn);
    });
  }

  const pingInterval = options.pingIntervalMs ?? PING_INTERVAL_MS;
  const silenceLimit = options.silenceLimitMs ?? SILENCE_LIMIT_MS;
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
  state = 'ready';
  logger.info({ host: options.host, port, core: pool.build.kind, workers: options.workers }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    url: `ws://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    port,
    pool,
    hub,
    metrics,
    close() {
      closing ??= (async () => {
        state = 'draining';
        clearInterval(liveness);
        logger.info({ sessions: hub.size, connections: conns.size }, 'draining');
        await hub.shutdown();
        for (const c of conns) c.close(CLOSE_CODES.goingAway.code, CLOSE_CODES.goingAway.reason);
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
