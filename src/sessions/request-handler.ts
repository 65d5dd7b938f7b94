/**
 * One inbound frame → one response to the socket that sent it. Protocol decisions come
 * from the tables in src/protocol; this module only sequences them against the session.
 *
 * `handleFrame` is a barrier: whatever fails unexpectedly while a frame is handled (a bug in
 * a check, a reshape, a send) answers that request with 20007, is logged with its
 * operationID and counted, and the socket and every other session go on. Its promise never
 * rejects.
 */
import type { Logger } from 'pino';
import type { CorePool } from '../pool/core-pool.ts';
import type { GatewayMetrics } from '../metrics.ts';
import type { TokenVerifier } from '../auth/token-verifier.ts';
import type { ClientConn } from '../transport/client-conn.ts';
import { buildResponse, parseRequestFrame, type ClientRequest } from '../protocol/envelope.ts';
import { isProtocolError, protocolError, type ProtocolError } from '../protocol/error-codes.ts';
import { JsonBudget } from '../protocol/json-guard.ts';
import { REQUESTS } from '../protocol/requests/table.ts';
import { planRequest } from '../protocol/requests/plan.ts';
import { responseData } from '../protocol/requests/results.ts';
import type { CorePlan, SessionPlan } from '../protocol/requests/rules.ts';
import { downstreamOperationID } from '../protocol/operation-id.ts';
import { LIMITS } from '../limits.ts';
import { GatewayError } from './gateway-error.ts';
import type { Hub } from './hub.ts';
import type { UserSession } from './user-session.ts';

export interface RequestContext {
  pool: CorePool;
  hub: Hub;
  logger: Logger;
  metrics: GatewayMetrics;
  verifier: TokenVerifier;
}

type Outcome = { data: string } | ProtocolError;

/**
 * Core functions answered from the session's own state while it is not logged in
 * (the core itself would say "not logged in" or -1001, which clients misread).
 */
const ANSWERED_BEFORE_LOGIN: Readonly<Record<string, (session: UserSession, loggingIn: boolean) => string>> = {
  // 2 while this socket's Login is being checked, before the session itself has started it.
  getLoginStatus: (session, loggingIn) => String(loggingIn && session.loginStatus() === 1 ? 2 : session.loginStatus()),
};

/**
 * Each socket's Login from the moment it arrives (its token check comes before the session
 * starts logging in): requests the socket sends behind it wait for it, as they would for the
 * session's own login, instead of being refused as "not logged in". Settles, never rejects.
 */
const loginsInFlight = new WeakMap<ClientConn, Promise<unknown>>();

/** Server-answered requests whose answer differs while the socket is not logged in. */
const LOCAL_WHEN_LOGGED_OUT: Readonly<Record<string, string>> = {
  GetLoginUserID: '""',
};

/** The one answer a request gets: whoever answers first (normal path or barrier) wins. */
class Reply {
  #sent = false;
  constructor(
    readonly conn: ClientConn,
    readonly request: { readonly reqFuncName: string; readonly operationID: string },
  ) {}

  get sent(): boolean {
    return this.#sent;
  }

  send(outcome: Outcome): void {
    if (this.#sent) return;
    this.#sent = true;
    this.conn.send(buildResponse(this.request, outcome));
  }
}

/** Handles one frame of `conn`. Never rejects. */
export async function handleFrame(ctx: RequestContext, conn: ClientConn, session: UserSession, text: string): Promise<void> {
  const started = performance.now();
  let reply: Reply | undefined;
  try {
    const budget = new JsonBudget();
    const request = parseRequestFrame(text, budget);
    reply = new Reply(conn, request);
    if (isProtocolError(request)) {
      reply.send(request);
      ctx.metrics.calls.inc({ function: 'invalid', outcome: String(request.errCode) });
      return;
    }
    if (conn.inFlight >= LIMITS.unansweredPerSocket) {
      const busy = protocolError('TooManyRequests', `more than ${LIMITS.unansweredPerSocket} requests of this socket are unanswered`);
      reply.send(busy);
      ctx.metrics.calls.inc({ function: 'throttled', outcome: String(busy.errCode) });
      return;
    }
    conn.inFlight++;
    try {
      await answer(ctx, reply, session, request, budget, started);
    } finally {
      conn.inFlight--;
    }
  } catch (err) {
    internalError(ctx, conn, reply, err);
  }
}

/** The barrier's answer: 20007 to the request (when it has not been answered), a log line, a count. */
function internalError(ctx: RequestContext, conn: ClientConn, reply: Reply | undefined, err: unknown): void {
  const { userID, platformID } = conn.identity;
  const reqFuncName = reply?.request.reqFuncName ?? '';
  const operationID = reply?.request.operationID ?? '';
  try {
    ctx.metrics.internalErrors.inc({ where: 'request' });
    ctx.logger.error({ userID, platformID, operationID, reqFuncName, err }, 'internal error while handling a request');
    const what = reqFuncName === '' ? 'this frame' : reqFuncName;
    reply?.send(protocolError('GatewayInternalError', `internal error of the gateway while handling ${what} (logged); the connection stays usable`));
  } catch {
    // Reporting failed too (e.g. the logger threw): the request stays unanswered, the process goes on.
  }
}

async function answer(ctx: RequestContext, reply: Reply, session: UserSession, request: ClientRequest, budget: JsonBudget, started: number): Promise<void> {
  const conn = reply.conn;
  const { userID, platformID } = conn.identity;
  const coreFunctions = ctx.pool.coreFunctions;
  const plan = planRequest(request.reqFuncName, request.data, { userID, platformID }, coreFunctions, budget);
  let outcome: Outcome;
  if (isProtocolError(plan)) {
    outcome = plan;
  } else if (plan.kind === 'local') {
    const loggedOut = LOCAL_WHEN_LOGGED_OUT[plan.reqFuncName];
    outcome = { data: loggedOut !== undefined && !session.isLoggedIn(conn) ? loggedOut : plan.data };
  } else if (plan.kind === 'session') {
    outcome = await runSessionPlan(ctx, reply, session, request, plan);
  } else {
    outcome = await runCorePlan(conn, session, request, plan);
  }
  reply.send(outcome);
  const known = Object.hasOwn(REQUESTS, request.reqFuncName) || (!isProtocolError(plan) && plan.kind === 'core' && plan.passThrough);
  const fn = known ? request.reqFuncName : 'unknown';
  ctx.metrics.calls.inc({ function: fn, outcome: 'data' in outcome ? 'ok' : String(outcome.errCode) });
  ctx.metrics.callSeconds.observe({ function: fn }, (performance.now() - started) / 1000);
  if (!('data' in outcome)) {
    ctx.logger.debug(
      { userID, platformID, operationID: request.operationID, reqFuncName: request.reqFuncName, errCode: outcome.errCode, detail: outcome.detail },
      outcome.errMsg,
    );
  }
}

async function runCorePlan(conn: ClientConn, session: UserSession, request: ClientRequest, plan: CorePlan): Promise<Outcome> {
  const local = ANSWERED_BEFORE_LOGIN[plan.fn];
  const loggingIn = loginsInFlight.get(conn);
  if (local && !session.isLoggedIn()) return { data: local(session, loggingIn !== undefined) };
  if (loggingIn) await loggingIn;
  try {
    // Empty (a failed sync call to the core) or not header-safe (the core's IM requests
    // would throw): the core gets one of ours.
    const operationID = downstreamOperationID(request.operationID);
    const [value, ...companions] = await Promise.all([
      session.call(plan.fn, operationID, plan.args),
      // A companion that fails only leaves its part of the answer empty.
      ...(plan.companions ?? []).map((c) => session.call(c.fn, operationID, c.args).catch(() => undefined)),
    ]);
    return responseData(plan, value, session.isLoggedIn(conn), companions);
  } catch (err) {
    return asOutcome(err);
  }
}

async function runSessionPlan(ctx: RequestContext, reply: Reply, session: UserSession, request: ClientRequest, plan: SessionPlan): Promise<Outcome> {
  const conn = reply.conn;
  if (plan.fn === 'logout') {
    // A Logout right behind this socket's Login logs out what that Login logged in.
    await loginsInFlight.get(conn);
    // Logout answers the caller itself: the answer must leave before the sockets close.
    let answered: Outcome = { data: '""' };
    await session.logout(conn, downstreamOperationID(request.operationID), (result) => {
      answered = result.errCode === 0 ? { data: '""' } : protocolErrorOf(result);
      reply.send(answered);
    });
    return answered;
  }
  if (plan.fn === 'setAppBackgroundStatus') {
    await loginsInFlight.get(conn);
    try {
      await session.setBackground(conn, plan.args[0] === true, downstreamOperationID(request.operationID));
      return { data: '""' };
    } catch (err) {
      return asOutcome(err);
    }
  }
  const attempt = login(ctx, conn, session, request, String(plan.args[1]));
  const settled = attempt.catch(() => undefined);
  loginsInFlight.set(conn, settled);
  try {
    return await attempt;
  } finally {
    if (loginsInFlight.get(conn) === settled) loginsInFlight.delete(conn);
  }
}

async function login(ctx: RequestContext, conn: ClientConn, session: UserSession, request: ClientRequest, token: string): Promise<Outcome> {
  // Every Login proves its token again (through the verdict cache, whose entries live at most
  // --token-cache-ttl): a socket that waited long before logging in, or a Login carrying
  // another token than the handshake, must not ride on an old verdict into a live session.
  const expect = { userID: conn.identity.userID, platformID: conn.identity.platformID };
  const verdict = await ctx.verifier.verify(token, expect, downstreamOperationID(request.operationID));
  if (!verdict.ok && verdict.status === 401) return protocolErrorOf(verdict);
  if (!verdict.ok) {
    // The detail names the IM server's address: for the operator's log, not the client.
    ctx.logger.warn({ ...expect, operationID: request.operationID, detail: verdict.errMsg }, 'token check unavailable at Login');
    const why = verdict.busy ? 'too many token checks are in progress' : 'the IM server is unavailable';
    return protocolErrorOf({ errCode: 10000, errMsg: `the token could not be checked: ${why}, retry later` });
  }
  try {
    await session.login(conn, downstreamOperationID(request.operationID), token);
    return { data: '""' };
  } catch (err) {
    return asOutcome(err);
  }
}

function protocolErrorOf(e: { errCode: number; errMsg: string; detail?: string | undefined }): ProtocolError {
  return e.detail === undefined ? { kind: 'error', errCode: e.errCode, errMsg: e.errMsg } : { kind: 'error', errCode: e.errCode, errMsg: e.errMsg, detail: e.detail };
}

function asOutcome(err: unknown): Outcome {
  if (err instanceof GatewayError) return protocolErrorOf(err);
  // Not one of ours: a bug on the way to or from the core. The barrier reports it.
  throw err;
}
