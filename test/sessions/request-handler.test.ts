import { describe, expect, it } from 'vitest';
import { handleFrame, type RequestContext } from '../../src/sessions/request-handler.ts';
import { GatewayMetrics } from '../../src/metrics.ts';
import type { ClientConn } from '../../src/transport/client-conn.ts';
import type { UserSession } from '../../src/sessions/user-session.ts';
import type { ClientEnvelope } from '../../src/protocol/envelope.ts';
import { silentLogger } from '../helpers/cores.ts';

/** Pinned: README documents 1 024 unanswered requests per socket. */
const MAX_IN_FLIGHT_PER_SOCKET = 1024;

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
    metrics: new GatewayMetrics({
      connections: () => 0,
      sessionsByState: () => ({}),
      outboundBytesQueued: () => 0,
      inboundBytesHeld: () => 0,
      socketsPaused: () => 0,
      coresPerWorker: () => [],
    }),
    logger: silentLogger,
    verifier: { verify: () => Promise.resolve({ ok: true, expiresAt: Date.now() + 60_000 }) },
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
    const { sent, conn, session, ctx } = fakes((_fn, op) => {
      seen.push(op);
      return Promise.resolve(['{"clientMsgID":"x"}']);
    });
    await handleFrame(ctx, conn, session, frame('CreateTextMessage', '', ['hi']));
    expect(seen[0]).toMatch(/^gw-/);
    expect(sent[0]).toMatchObject({ errCode: 0, operationID: '', data: '{"clientMsgID":"x"}' });
  });

  it('never uses the userID of the request body', async () => {
    const calls: unknown[][] = [];
    const { sent, conn, session, ctx } = fakes((fn, _op, args) => {
      calls.push([fn, ...args]);
      return Promise.resolve('{"userID":"alice"}');
    });
    await handleFrame(ctx, conn, session, frame('GetSelfUserInfo', 'op1'));
    expect(calls).toEqual([['getSelfUserInfo']]);
    await handleFrame(ctx, conn, session, frame('GetLoginUserID', 'op2'));
    expect(sent[1]).toMatchObject({ data: '"alice"' });
  });

  it('makes the companion calls a reshape needs beside the main call; a failed one only empties its part', async () => {
    const called: string[] = [];
    const { sent, conn, session, ctx } = fakes((fn) => {
      called.push(fn);
      if (fn === 'getBlackList') return Promise.reject(new Error('core lost'));
      return Promise.resolve(JSON.stringify([{ ownerUserID: 'alice', userID: 'bob', nickname: 'Bob', faceURL: '', ex: '' }]));
    });
    (ctx.pool as unknown as { coreFunctions: Set<string> }).coreFunctions.add('getFriendList');
    await handleFrame(ctx, conn, session, frame('GetFriendList', 'op-f'));
    expect(called.sort()).toEqual(['getBlackList', 'getFriendList']);
    expect(sent[0]).toMatchObject({ errCode: 0, operationID: 'op-f' });
    expect(JSON.parse(sent[0]!.data)).toEqual([expect.objectContaining({ publicInfo: expect.objectContaining({ userID: 'bob' }), blackInfo: null })]);
  });

  it('hands SetAppBackgroundStatus to the session with the socket (background is per socket), not to the core', async () => {
    const { sent, conn, session, ctx } = fakes(() => Promise.reject(new Error('the core must not be called directly')));
    const asked: unknown[][] = [];
    (session as unknown as { setBackground: (...a: unknown[]) => Promise<void> }).setBackground = (...a) => {
      asked.push(a);
      return Promise.resolve();
    };
    await handleFrame(ctx, conn, session, frame('SetAppBackgroundStatus', 'op-bg', [true]));
    expect(asked).toEqual([[conn, true, 'op-bg']]);
    expect(sent[0]).toMatchObject({ event: 'SetAppBackgroundStatus', errCode: 0, data: '""' });
  });

  it('answers an unexpected fault with 20007, counts it, and keeps answering', async () => {
    let fail = true;
    const { sent, conn, session, ctx } = fakes(() => {
      if (fail) return Promise.reject(new TypeError('boom in a reshape'));
      return Promise.resolve('{"userID":"alice"}');
    });
    await handleFrame(ctx, conn, session, frame('GetSelfUserInfo', 'op1'));
    expect(sent[0]).toMatchObject({ event: 'GetSelfUserInfo', errCode: 20007, operationID: 'op1' });
    expect(sent[0]!.errMsg).toMatch(/internal error of the gateway while handling GetSelfUserInfo/);
    expect(sent[0]!.errMsg).not.toMatch(/boom/);
    expect((await ctx.metrics.internalErrors.get()).values).toEqual([expect.objectContaining({ labels: { where: 'request' }, value: 1 })]);
    expect(conn.inFlight).toBe(0);
    fail = false;
    await handleFrame(ctx, conn, session, frame('GetSelfUserInfo', 'op2'));
    expect(sent[1]).toMatchObject({ errCode: 0, operationID: 'op2' });
  });

  it('answers once even when the fault comes after the answer', async () => {
    const { sent, conn, session, ctx } = fakes(() => Promise.resolve('{"userID":"alice"}'));
    const calls = ctx.metrics.calls;
    (ctx.metrics as { calls: unknown }).calls = {
      inc: () => {
        throw new Error('metrics broke');
      },
    };
    await handleFrame(ctx, conn, session, frame('GetSelfUserInfo', 'op1'));
    (ctx.metrics as { calls: unknown }).calls = calls;
    expect(sent).toEqual([expect.objectContaining({ errCode: 0, operationID: 'op1' })]);
    expect((await ctx.metrics.internalErrors.get()).values[0]?.value).toBe(1);
  });

  it('refuses a request beyond the JSON limits with 20006 naming the limit, before any core call', async () => {
    const calls: string[] = [];
    const { sent, conn, session, ctx } = fakes((fn) => {
      calls.push(fn);
      return Promise.resolve('""');
    });
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    await handleFrame(ctx, conn, session, JSON.stringify({ reqFuncName: 'CreateTextMessage', operationID: 'op1', data: `[${deep}]` }));
    expect(sent[0]).toMatchObject({ event: 'CreateTextMessage', errCode: 20006, operationID: 'op1' });
    expect(sent[0]!.errMsg).toBe('CreateTextMessage: request data nests arrays and objects deeper than 100 levels');
    await handleFrame(ctx, conn, session, frame('GetUsersInfoWithCache', 'op2', [JSON.stringify(Array(10_001).fill('u'))]));
    expect(sent[1]).toMatchObject({ errCode: 20006 });
    expect(sent[1]!.errMsg).toBe('GetUsersInfoWithCache: argument 1 (userIDList) holds an array or object with more than 10000 entries');
    expect(calls).toEqual([]);
  });

  it('a request sent right behind a Login waits for it, token check included, instead of getting 10004', async () => {
    let loggedIn = false;
    const { sent, conn, ctx } = fakes(() => Promise.resolve('{"userID":"alice"}'));
    const session = {
      isLoggedIn: () => loggedIn,
      loginStatus: () => (loggedIn ? 3 : 1),
      login: () => {
        loggedIn = true;
        return Promise.resolve();
      },
      call: () => {
        if (!loggedIn) return Promise.reject(new Error('called before login'));
        return Promise.resolve('{"userID":"alice"}');
      },
    } as unknown as UserSession;
    let release!: () => void;
    ctx.verifier = { verify: () => new Promise((r) => (release = () => r({ ok: true, expiresAt: Date.now() + 60_000 }))) };
    const login = handleFrame(ctx, conn, session, frame('Login', 'l1', ['alice', 't']));
    const status = handleFrame(ctx, conn, session, frame('GetLoginStatus', 's1'));
    const self = handleFrame(ctx, conn, session, frame('GetSelfUserInfo', 'g1'));
    await status;
    expect(sent).toEqual([expect.objectContaining({ operationID: 's1', data: '2' })]);
    release();
    await Promise.all([login, self]);
    expect(sent.map((e) => [e.operationID, e.errCode])).toEqual([
      ['s1', 0],
      ['l1', 0],
      ['g1', 0],
    ]);
  });
});
