/**
 * Operator HTTP API, only when `--admin-token` is set; every call needs
 * `Authorization: Bearer <admin token>`.
 *
 *   GET  /admin/sessions                      sessions with state, sockets, worker
 *   GET  /admin/workers                       workers with cores, memory, heartbeat age
 *   GET  /admin/memory                        PSS and RSS, page merging, the memory budget
 *   POST /admin/kick?userID=…[&platformID=…]  end a user's sessions (all platforms by default)
 *   POST /admin/workers/<id>/drain            move a worker's cores to fresh cores elsewhere
 *   GET  /admin/nodes                         (several nodes) the live nodes
 *
 * With several nodes, sessions and kick cover the whole cluster from any node: the answer
 * says which nodes answered (one that did not within a few seconds is listed as such).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { CorePool } from '../pool/core-pool.ts';
import type { Hub } from '../sessions/hub.ts';
import { ClusterQueryError, type Cluster } from '../cluster/cluster.ts';
import { sendJson } from '../transport/http-reply.ts';
import type { MemoryReport } from '../memory/memory-report.ts';
import { AUTH_LIMITS } from '../auth/auth-limits.ts';
import { isPlatformID, MAX_PLATFORM_ID, MIN_PLATFORM_ID } from '../auth/platforms.ts';

export interface AdminDeps {
  adminToken: string;
  hub: Hub;
  pool: CorePool;
  logger: Logger;
  /** Drops cached token verdicts of a kicked user, live session or not (all platforms when undefined). */
  forgetTokens?(this: void, userID: string, platformID: number | undefined): void;
  /** The process's memory report. */
  memory?(): Promise<MemoryReport>;
  /** Several nodes: sessions and kick are answered cluster-wide. */
  cluster?: Pick<Cluster, 'listSessions' | 'kick' | 'nodeId' | 'liveNodes'>;
}

function authorized(req: IncomingMessage, adminToken: string): boolean {
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(adminToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, deps: AdminDeps): Promise<void> {
  try {
    await route(req, res, deps);
  } catch (err) {
    // Not a bug of ours: Redis is unreachable (or too many cluster queries at once).
    if (!(err instanceof ClusterQueryError)) throw err;
    deps.logger.warn({ err: err.message }, 'admin query across the cluster failed');
    sendJson(res, 503, { error: `cluster query failed: ${err.message}` });
  }
}

async function route(req: IncomingMessage, res: ServerResponse, deps: AdminDeps): Promise<void> {
  if (!authorized(req, deps.adminToken)) {
    sendJson(res, 401, { error: 'admin API needs Authorization: Bearer <admin token>' });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://admin');
  const route = `${req.method} ${url.pathname}`;
  if (route === 'GET /admin/sessions' && deps.cluster) {
    sendJson(res, 200, await deps.cluster.listSessions());
    return;
  }
  if (route === 'GET /admin/nodes' && deps.cluster) {
    sendJson(res, 200, { self: deps.cluster.nodeId, nodes: await deps.cluster.liveNodes() });
    return;
  }
  if (route === 'GET /admin/sessions') {
    sendJson(res, 200, {
      sessions: deps.hub.sessions().map((s) => ({
        userID: s.userID,
        platformID: s.platformID,
        state: s.state,
        connections: s.connections,
        workerId: s.workerId ?? null,
      })),
    });
    return;
  }
  if (route === 'GET /admin/workers') {
    sendJson(res, 200, { workers: deps.pool.workers(), build: { ...deps.pool.build, functions: deps.pool.build.functions.length } });
    return;
  }
  if (route === 'GET /admin/memory' && deps.memory) {
    sendJson(res, 200, await deps.memory());
    return;
  }
  if (route === 'POST /admin/kick') {
    const userID = url.searchParams.get('userID');
    const platformText = url.searchParams.get('platformID');
    if (!userID) {
      sendJson(res, 400, { error: 'kick needs ?userID=' });
      return;
    }
    const platformID = platformText === null ? undefined : Number(platformText);
    if (platformID !== undefined && !isPlatformID(platformID)) {
      sendJson(res, 400, { error: `platformID must be one of ${MIN_PLATFORM_ID}–${MAX_PLATFORM_ID}, got ${JSON.stringify(platformText?.slice(0, 40))}` });
      return;
    }
    // No session can have a longer userID (the handshake refuses it); other nodes would drop the request.
    if (Buffer.byteLength(userID, 'utf8') > AUTH_LIMITS.userIDBytes) {
      sendJson(res, 400, { error: `userID is longer than ${AUTH_LIMITS.userIDBytes} bytes, the longest userID OpenIM stores` });
      return;
    }
    if (deps.cluster) {
      const result = await deps.cluster.kick(userID, platformID);
      deps.logger.info({ userID, platformID, sessions: result.kicked, nodes: result.nodes.length, unreachable: result.unreachable }, 'admin kick (cluster)');
      // Kicked here, but the other nodes could not be asked: the operator must know.
      sendJson(res, result.unreachable === undefined ? 200 : 503, result);
      return;
    }
    const kicked = await deps.hub.kick(userID, platformID, deps.forgetTokens);
    deps.logger.info({ userID, platformID, sessions: kicked }, 'admin kick');
    sendJson(res, 200, { kicked });
    return;
  }
  const drain = /^POST \/admin\/workers\/(\d+)\/drain$/.exec(route);
  if (drain) {
    const workerId = Number(drain[1]);
    const ok = deps.pool.restartWorker(workerId, 'drained by operator');
    deps.logger.info({ workerId, ok }, 'admin drain');
    sendJson(res, ok ? 200 : 404, ok ? { drained: workerId } : { error: `no worker ${workerId}` });
    return;
  }
  sendJson(res, 404, { error: `no such admin endpoint: ${route}` });
}
