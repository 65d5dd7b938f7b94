/**
 * Operator HTTP API, only when `--admin-token` is set; every call needs
 * `Authorization: Bearer <admin token>`.
 *
 *   GET  /admin/sessions                      sessions with state, sockets, worker
 *   GET  /admin/workers                       workers with cores, memory, heartbeat age
 *   GET  /admin/memory                        PSS and RSS, page merging, the memory budget
 *   POST /admin/kick?userID=…[&platformID=…]  end a user's sessions (all platforms by default)
 *   POST /admin/workers/<id>/drain            move a worker's cores to fresh cores elsewhere
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { CorePool } from './pool/core-pool.ts';
import type { Hub } from './sessions/hub.ts';
import { sendJson } from './transport/http-reply.ts';
import type { MemoryReport } from './memory/memory-report.ts';

export interface AdminDeps {
  adminToken: string;
  hub: Hub;
  pool: CorePool;
  logger: Logger;
  /** Drops cached token verdicts of a kicked user, live session or not (all platforms when undefined). */
  forgetTokens?(userID: string, platformID: number | undefined): void;
  /** The process's memory report. */
  memory?(): Promise<MemoryReport>;
}

function authorized(req: IncomingMessage, adminToken: string): boolean {
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(adminToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, deps: AdminDeps): Promise<void> {
  if (!authorized(req, deps.adminToken)) {
    sendJson(res, 401, { error: 'admin API needs Authorization: Bearer <admin token>' });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://admin');
  const route = `${req.method} ${url.pathname}`;
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
    if (platformID !== undefined && !Number.isInteger(platformID)) {
      sendJson(res, 400, { error: `platformID must be an integer, got ${JSON.stringify(platformText)}` });
      return;
    }
    const targets = deps.hub.sessions().filter((s) => s.userID === userID && (platformID === undefined || s.platformID === platformID));
    // Before the sessions close: a socket arriving meanwhile must be verified afresh.
    deps.forgetTokens?.(userID, platformID);
    await Promise.all(targets.map((s) => s.kick('kicked by operator')));
    deps.logger.info({ userID, platformID, sessions: targets.length }, 'admin kick');
    sendJson(res, 200, { kicked: targets.length });
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
