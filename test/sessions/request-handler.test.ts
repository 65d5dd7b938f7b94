import { describe, expect, it } from 'vitest';
import { handleFrame, MAX_IN_FLIGHT_PER_SOCKET, type RequestContext } from '../../src/sessions/request-handler.ts';
import { GatewayMetrics } from '../../src/metrics.ts';
import type { ClientConn } from '../../src/transport/client-conn.ts';
import type { UserSession } from '../../src/sessions/user-session.ts';
import type { ClientEnvelope } from '../../src/protocol/envelope.ts';
import { silentLogger } from '../helpers/cores.ts';

function fakes(call: (fn: string, op: string, args: unknown[]) => Promise<unknown>) {
  const sent: ClientEnvelope[] = [];
  const conn = {
    identity: { userID: 'alice', platformID: 5, token: 't', operationID: 'hs', remoteAddress: '' },
    inFlight: 0,
    send: (e: ClientEnvelope) => sent.push(e),
  } as unknown as ClientConn;
  const session = { call, isLoggedIn: () => true, loginStatus: () => 3 } as unknown as UserSession;
  const ctx = {
    pool: { coreFunctions: new Set(['getSelfUserInfo', 'getLoginStatus', 'createTextMessage']) },
    metrics: new GatewayMetrics({ connections: () => 0, sessionsByState: () => ({}), outboundBytesQueued: () => 0, coresPerWorker: () => [] }),
    logger: silentLogger,
  } as unknown as RequestContext;
  return { sent, conn, session, ctx };
}

const frame = (reqFuncName: string, operationID: string, data: unknown[] = []) =>
  JSON.stringify({ reqFuncName, operationID, userID: 'mallory', data: JSON.stringify(data) });

describe('request handler', () => {
  it('bounds the requests one socket may have unanswered', async () => {
    const { sent, conn, session, ctx } = fakes(() => new Promise(() => {}));
    for (let i = 0; i <= MAX_IN_FLIGHT_PER_SOCKET; i++) void handleFrame(ctx, conn, session, frame('GetSelfUserInfo', `op${i}`));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([expect.objectContaining({ operationID: `op${MAX_IN_FLIGHT_PER_SOCKET}`, errCode: 20005 })]);
  });

  it('calls the core with a generated operationID when the client sent an empty one', async () => {
    const seen: string[] = [];
    const { sent, conn, session, ctx } = fakes(async (_fn, op) => {
      seen.push(op);
      return ['{"clientMsgID":"x"}'];
    });
    await handleFrame(ctx, conn, session, frame('CreateTextMessage', '', ['hi']));
    expect(seen[0]).toMatch(/^gw-/);
    expect(sent[0]).toMatchObject({ errCode: 0, operationID: '', data: '{"clientMsgID":"x"}' });
  });

  it('never uses the userID of the request body', async () => {
    const calls: unknown[][] = [];
    const { sent, conn, session, ctx } = fakes(async (fn, _op, args) => {
      calls.push([fn, ...args]);
      return '{"userID":"alice"}';
    });
    await handleFrame(ctx, conn, session, frame('GetSelfUserInfo', 'op1'));
    expect(calls).toEqual([['getSelfUserInfo']]);
    await handleFrame(ctx, conn, session, frame('GetLoginUserID', 'op2'));
    expect(sent[1]).toMatchObject({ data: '"alice"' });
  });
});
