/**
 * The gateway's plain HTTP side: `/healthz`, `/metrics` and (with an admin token) `/admin/*`.
 * The WebSocket upgrade does not pass through here (see transport/admission.ts). Each route
 * runs behind a barrier: a fault answers 500, is logged and counted, and the process goes on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Cluster } from '../cluster/cluster.ts';
import { LIMITS } from '../limits.ts';
import type { MemoryReport } from '../memory/memory-report.ts';
import type { GatewayMetrics } from '../metrics.ts';
import type { CorePool } from '../pool/core-pool.ts';
import type { Hub } from '../sessions/hub.ts';
import type { GatewayState } from '../transport/admission.ts';
import { sendJson } from '../transport/http-reply.ts';
import type { PlaygroundSite } from '../playground/playground-site.ts';
import { handleAdmin } from './admin.ts';

export interface HttpRoutesDeps {
  logger: Logger;
  metrics: GatewayMetrics;
  hub: Hub;
  pool: CorePool;
  cluster: Cluster | undefined;
  /** Whether this node takes sockets now (what /healthz reports). */
  state: () => GatewayState;
  /** Enables /admin/* when set. */
  adminToken: string | undefined;
  /** Drops a user's cached token verdicts (operator kick), here and on the other nodes. */
  forgetTokens: (userID: string, platformID: number | undefined) => void;
  memory: () => Promise<MemoryReport>;
  /** The browser playground's page and routes, when served. */
  playgroundSite: PlaygroundSite | undefined;
}

export function createHttpServer(deps: HttpRoutesDeps): Server {
  const { logger, metrics } = deps;
  // A connection that trickles its handshake holds a socket without ever being verified:
  // cut it after a bounded time (Node checks these every `connectionsCheckingInterval`).
  const httpOptions = { headersTimeout: LIMITS.requestHeadMs, requestTimeout: LIMITS.httpRequestMs, connectionsCheckingInterval: 1000 };
  return createServer(httpOptions, (req, res) => {
    const fail = (where: 'http' | 'admin', err: unknown): void => {
      metrics.internalErrors.inc({ where });
      logger.error({ err, method: req.method, path: (req.url ?? '/').split('?')[0]?.slice(0, 200) }, 'internal error in an HTTP route');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error (logged)' });
      else res.destroy();
    };
    try {
      route(deps, req, res, fail);
    } catch (err) {
      fail('http', err);
    }
  });
}

function route(deps: HttpRoutesDeps, req: IncomingMessage, res: ServerResponse, failed: (where: 'http' | 'admin', err: unknown) => void): void {
  const { hub, cluster, metrics } = deps;
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz') {
    const status = deps.state();
    const clusterState = cluster === undefined ? {} : { cluster: { nodeId: cluster.nodeId ?? null, leased: cluster.leased } };
    sendJson(res, status === 'ready' ? 200 : 503, { status, sessions: hub.size, connections: hub.socketCount, ...clusterState });
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
  if (path?.startsWith('/admin/') && deps.adminToken) {
    handleAdmin(req, res, {
      adminToken: deps.adminToken,
      hub,
      pool: deps.pool,
      logger: deps.logger,
      forgetTokens: deps.forgetTokens,
      memory: deps.memory,
      ...(cluster === undefined ? {} : { cluster }),
    }).catch((err: unknown) => failed('admin', err));
    return;
  }
  if (deps.playgroundSite?.handles(req)) {
    deps.playgroundSite.serve(req, res).catch((err: unknown) => failed('http', err));
    return;
  }
  sendJson(res, 404, { error: `no such endpoint: ${req.method} ${path?.slice(0, 200)}` });
}
