/**
 * One inbound frame → one response to the socket that sent it. Protocol decisions come
 * from the tables in src/protocol; this module only sequences them against the session.
 */
import type { Logger } from 'pino';
import type { CorePool } from '../pool/core-pool.ts';
import type { GatewayMetrics } from '../metrics.ts';
import type { TokenVerifier } from '../auth/token-verifier.ts';
import type { ClientConn } from '../transport/client-conn.ts';
import { buildResponse, parseRequestFrame, type ClientRequest } from '../protocol/envelope.ts';
import { isProtocolError, protocolError, type ProtocolError } from '../protocol/error-codes.ts';
import { REQUESTS, planRequest, responseData, type CorePlan, type SessionPlan } from '../protocol/requests.ts';
import { downstreamOperationID } from '../protocol/operation-id.ts';
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
const ANSWERED_BEFORE_LOGIN: Readonly<Record<string, (session: UserSession) => string>> = {
  getLoginStatus: (session) => String(session.loginStatus()),
};

/** Server-answered requests whose answer differs while the socket is not logged in (§6.2). */
const LOCAL_WHEN_LOGGED_OUT: Readonly<Record<string, string>> = {
  GetLoginUserID: '""',
};

/**
 * Requests one socket may have unanswered. Bursts far beyond what apps do at start-up are
 * fine; an unbounded flood would only queue memory behind a single core.
 */
export const MAX_IN_FLIGHT_PER_SOCKET = 1024;

export async function handleFrame(ctx: RequestContext, conn: ClientConn, session: UserSession, text: string): Promise<void> {
  const started = performance.now();
  const request = parseRequestFrame(text);
  if (isProtocolError(request)) {
    conn.send(buildResponse(request, request));
    ctx.metrics.calls.inc({ function: 'invalid', outcome: String(request.errCode) });
    return;
  }
  if (conn.inFlight >= MAX_IN_FLIGHT_PER_SOCKET) {
    const busy = protocolError('TooManyRequests', `more than ${MAX_IN_FLIGHT_PER_SOCKET} requests of this socket are unanswered`);
    conn.send(buildResponse(request, busy));
    ctx.metrics.calls.inc({ function: 'throttled', outcome: String(busy.errCode) });
    return;
  }
  conn.inFlight++;
  try {
    await answer(ctx, conn, session, request, started);
  } finally {
    conn.inFlight--;
  }
}

async function answer(ctx: RequestContext, conn: ClientConn, session: UserSession, request: ClientRequest, started: number): Promise<void> {
  const { userID, platformID } = conn.identity;
  const coreFunctions = ctx.pool.coreFunctions;
  const plan = planRequest(request.reqFuncName, request.data, { userID, platformID }, coreFunctions);
  let outcome: Outcome;
  if (isProtocolError(plan)) {
    outcome = plan;
  } else if (plan.kind === 'local') {
    const loggedOut = LOCAL_WHEN_LOGGED_OUT[plan.reqFuncName];
    outcome = { data: loggedOut !== undefined && !session.isLoggedIn(conn) ? loggedOut : plan.data };
  } else if (plan.kind === 'session') {
    outcome = await runSessionPlan(ctx, conn, session, request, plan);
    if (outcome === LOGOUT_ANSWERED) return;
  } else {
    outcome = await runCorePlan(conn, session, request, plan);
  }
  conn.send(buildResponse(request, outcome));
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
  if (local && !session.isLoggedIn()) return { data: local(session) };
  try {
    // Empty (a failed sync call to the core) or not header-safe (the core's IM requests
    // would throw): the core gets one of ours.
    const value = await session.call(plan.fn, downstreamOperationID(request.operationID), plan.args);
    return responseData(plan, value, session.isLoggedIn(conn));
  } catch (err) {
    return asOutcome(err);
  }
}

/** Marker: logout answered the caller itself (it must answer before closing the sockets). */
const LOGOUT_ANSWERED: Outcome = { data: '' };

async function runSessionPlan(
  ctx: RequestContext,
  conn: ClientConn,
  session: UserSession,
  request: ClientRequest,
  plan: SessionPlan,
): Promise<Outcome> {
  if (plan.fn === 'logout') {
    await session.logout(conn, downstreamOperationID(request.operationID), (result) => {
      const outcome = result.errCode === 0 ? { data: '""' } : protocolErrorOf(result);
      conn.send(buildResponse(request, outcome));
    });
    return LOGOUT_ANSWERED;
  }
  const token = String(plan.args[1]);
  if (token !== conn.identity.token) {
    // A Login may carry another token than the handshake proved: check it the same way.
    const expect = { userID: conn.identity.userID, platformID: conn.identity.platformID };
    const verdict = await ctx.verifier.verify(token, expect, downstreamOperationID(request.operationID));
    if (!verdict.ok && verdict.status === 401) return protocolErrorOf(verdict);
    if (!verdict.ok) {
      // The detail names the IM server's address: for the operator's log, not the client.
      ctx.logger.warn({ ...expect, operationID: request.operationID, detail: verdict.errMsg }, 'token check unavailable at Login');
      return protocolErrorOf({ errCode: 10000, errMsg: 'the token could not be checked: the IM server is unavailable, retry later' });
    }
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
  return protocolError('SdkInternalError', `internal error: ${err instanceof Error ? err.message : String(err)}`);
}
