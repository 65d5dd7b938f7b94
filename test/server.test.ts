import { describe, expect, it } from 'vitest';
import { handshakeStatus, startGateway, type TestClient, tokenFor, useGatewayFixture } from './helpers/gateway.ts';
import { sleep, until } from './helpers/cores.ts';

/** The JSON body of a refused handshake. */
interface Refusal {
  errCode: number;
  errMsg: string;
}

const fx = useGatewayFixture();
const { gateway, client } = fx;

describe('handshake', () => {
  it.each([
    { label: 'no parameters', query: '', status: 400 },
    { label: 'missing token', query: 'sendID=alice&platformID=5', status: 400 },
    { label: 'empty sendID', query: `sendID=&token=${tokenFor('alice')}&platformID=5`, status: 400 },
    { label: 'non-numeric platformID', query: `sendID=alice&token=${tokenFor('alice')}&platformID=web`, status: 400 },
    { label: 'unknown platformID', query: `sendID=alice&token=${tokenFor('alice', 99)}&platformID=99`, status: 400 },
    { label: 'token of another user', query: `sendID=alice&token=${tokenFor('bob')}&platformID=5`, status: 401 },
    { label: 'token of another platform', query: `sendID=alice&token=${tokenFor('alice', 1)}&platformID=5`, status: 401 },
    { label: 'malformed token', query: 'sendID=alice&token=garbage&platformID=5', status: 401 },
    {
      label: 'non-ASCII operationID (kept for the client, not sent to the IM server)',
      query: `sendID=alice&token=${tokenFor('alice')}&platformID=5&operationID=%E4%BD%A0%0A`,
      status: 101,
    },
    { label: 'valid', query: `sendID=alice&token=${tokenFor('alice')}&platformID=5&operationID=x`, status: 101 },
  ])('$label → $status', async ({ query, status }) => {
    const gw = await gateway();
    const result = await handshakeStatus(gw, query);
    expect(result.status).toBe(status);
    if (status === 401) expect(JSON.parse(result.body)).toMatchObject({ errCode: expect.any(Number), errMsg: expect.any(String) });
    if (status === 400) expect((JSON.parse(result.body) as Refusal).errMsg).toMatch(/sendID|token|platformID/);
  });

  it('an expired or kicked token is 401 carrying the IM errCode', async () => {
    const gw = await gateway();
    fx.im.tokens.set('expired-token', { errCode: 1501 });
    fx.im.tokens.set('kicked-token', { errCode: 1506 });
    const expired = await handshakeStatus(gw, 'sendID=alice&token=expired-token&platformID=5');
    expect(expired.status).toBe(401);
    expect((JSON.parse(expired.body) as Refusal).errCode).toBe(1501);
    const kicked = await handshakeStatus(gw, 'sendID=alice&token=kicked-token&platformID=5');
    expect((JSON.parse(kicked.body) as Refusal).errCode).toBe(1506);
  });

  it('an unreachable IM API is 503, never 401', async () => {
    const gw = await gateway({ openimApi: 'http://127.0.0.1:1' });
    const r = await handshakeStatus(gw, `sendID=alice&token=${tokenFor('alice')}&platformID=5`);
    expect(r.status).toBe(503);
    // The client learns to retry; the IM server's internal address stays in our log.
    expect(r.body).not.toContain('127.0.0.1');
    expect((JSON.parse(r.body) as Refusal).errMsg).toMatch(/retry/);
  });

  it('caches a verified token: a second socket makes no IM call', async () => {
    const gw = await gateway();
    await client(gw, 'carol');
    const calls = fx.im.calls;
    await client(gw, 'carol');
    expect(fx.im.calls).toBe(calls);
  });

  it('refuses the 11th socket of one user+platform with 429, not other platforms', async () => {
    const gw = await gateway({ maxConnsPerUser: 10 });
    for (let i = 0; i < 10; i++) await client(gw, 'dave');
    const r = await handshakeStatus(gw, `sendID=dave&token=${tokenFor('dave')}&platformID=5`);
    expect(r.status).toBe(429);
    await client(gw, 'dave', 1);
  });
});

describe('requests', () => {
  it('logs in, answers GetSelfUserInfo for the handshake user only, and ignores the body userID', async () => {
    const gw = await gateway();
    const c = await client(gw, 'alice');
    expect(await c.login('alice')).toMatchObject({ event: 'Login', errCode: 0 });
    const me = await c.request('GetSelfUserInfo');
    expect(me.errCode).toBe(0);
    expect(JSON.parse(me.data)).toMatchObject({ userID: 'alice' });
    expect(JSON.parse((await c.request('GetLoginUserID')).data)).toBe('alice');
    expect((await c.request('GetLoginStatus')).data).toBe('3');
  });

  it('refuses a Login for another userID without touching any core', async () => {
    const gw = await gateway();
    const c = await client(gw, 'alice');
    const r = await c.login('bob', tokenFor('bob'));
    expect(r).toMatchObject({ event: 'Login', errCode: 10002 });
    expect(r.errMsg).toMatch(/bob|alice|sendID|handshake/);
    expect(gw.pool.coreCount).toBe(0);
  });

  it('answers requests before login with 10004, and bad frames with a clear error, keeping the socket', async () => {
    const gw = await gateway();
    const c = await client(gw, 'alice');
    expect(await c.request('GetSelfUserInfo')).toMatchObject({ errCode: 10004, event: 'GetSelfUserInfo' });
    c.sendRaw('{not json');
    await until(() => c.events.some((e) => e.errCode === 20000));
    expect(await c.request('NoSuchFunction')).toMatchObject({ errCode: 20002 });
    await c.login('alice');
    expect(await c.request('CreateTextMessage', [42])).toMatchObject({ errCode: 10002 });
    expect(JSON.parse((await c.request('CreateTextMessage', ['hi'])).data)).toMatchObject({ textElem: { content: 'hi' } });
  });

  it('answers binary frames with binary frames', async () => {
    const gw = await gateway();
    const c = await client(gw, 'alice');
    const reply = new Promise<boolean>((resolve) => c.ws.once('message', (_d, isBinary) => resolve(isBinary)));
    c.sendRaw(Buffer.from(JSON.stringify({ reqFuncName: 'GetLoginStatus', operationID: 'b1', data: '[]' })), true);
    expect(await reply).toBe(true);
  });

  it('passes unknown names to functions the core registered (DebugEcho)', async () => {
    const gw = await gateway();
    const c = await client(gw, 'alice');
    await c.login('alice');
    expect(await c.request('DebugEcho', ['x'])).toMatchObject({ errCode: 0, data: '"x"' });
  });
});

describe('sessions', () => {
  it('concurrent Logins from several sockets share one core and one outcome', async () => {
    const gw = await gateway();
    const sockets = await Promise.all([0, 1, 2].map(() => client(gw, 'erin')));
    const answers = await Promise.all(sockets.map((s) => s.login('erin')));
    expect(answers.map((a) => a.errCode)).toEqual([0, 0, 0]);
    expect(gw.pool.coreCount).toBe(1);
    // Events go to every logged-in socket.
    await sockets[0]!.request('DebugEmit', ['OnConversationChanged', '[1]']);
    await Promise.all(sockets.map((s) => s.event('OnConversationChanged')));
    // Repeat Login on a logged-in session answers at once.
    expect((await sockets[1]!.login('erin')).errCode).toBe(0);
  });

  it('new messages reach every socket as OnRecvNewMessages (batch mode)', async () => {
    const gw = await gateway();
    const [a, b] = await Promise.all([client(gw, 'frank'), client(gw, 'frank')]);
    await a.login('frank');
    await b.login('frank');
    const msg = JSON.parse((await a.request('CreateTextMessage', ['hello'])).data) as object;
    const sent = await a.request('SendMessageNotOss', [JSON.stringify(msg), 'bob', '', JSON.stringify({}), false]);
    expect(sent.errCode).toBe(0);
    for (const s of [a, b]) {
      const ev = await s.event('OnRecvNewMessages');
      expect(JSON.parse(ev.data)).toHaveLength(1);
      expect(ev.operationID).toBe('');
    }
    expect(a.events.some((e) => e.event === 'OnRecvNewMessage')).toBe(false);
  });

  it('Logout logs the core out, tells the other sockets, closes them and frees the core', async () => {
    const gw = await gateway();
    const a = await client(gw, 'gina');
    const b = await client(gw, 'gina');
    await a.login('gina');
    await b.login('gina');
    expect(gw.pool.coreCount).toBe(1);
    expect(await a.request('Logout')).toMatchObject({ event: 'Logout', errCode: 0 });
    expect((await b.event('Logout')).operationID).toBe('');
    await a.closed;
    await b.closed;
    await until(() => gw.pool.coreCount === 0 && gw.hub.size === 0);
  });

  it('the last socket closing frees the core after the grace period, not before', async () => {
    const gw = await gateway({ gracePeriodSeconds: 1 });
    const a = await client(gw, 'hank');
    await a.login('hank');
    a.close();
    await sleep(300);
    expect(gw.pool.coreCount).toBe(1);
    // A reconnect within the grace period finds the session logged in, on the same core.
    const core = gw.hub.get('hank', 5)!.coreId;
    const back = await client(gw, 'hank');
    expect((await back.login('hank')).errCode).toBe(0);
    expect((await back.request('GetLoginStatus')).data).toBe('3');
    expect(gw.hub.get('hank', 5)!.coreId).toBe(core);
    back.close();
    await until(() => gw.pool.coreCount === 0, 4000);
    expect(gw.hub.size).toBe(0);
  });

  it('a socket dropped while its Login is starting the core leaves no core behind (grace 0)', async () => {
    const gw = await gateway({ gracePeriodSeconds: 0 });
    for (let i = 0; i < 5; i++) {
      const c = await client(gw, `sam${i}`);
      void c.login(`sam${i}`);
      c.close();
    }
    await sleep(1000);
    expect(gw.pool.coreCount).toBe(0);
    expect(gw.hub.size).toBe(0);
  });

  it('a socket reconnecting within the grace period gets the events it missed, after its Login answer', async () => {
    const gw = await gateway();
    const first = await client(gw, 'rita');
    await first.login('rita');
    first.close();
    await until(() => gw.hub.get('rita', 5)!.connections === 0);
    const core = gw.pool.cores()[0]!;
    expect(gw.hub.get('rita', 5)!.coreId).toBe(core.id);
    await core.call('debugEmit', 'op', ['OnConversationChanged', '["missed-1"]']);
    await core.call('debugEmit', 'op', ['OnRecvNewMessage', '{"clientMsgID":"m1"}']);
    const back = await client(gw, 'rita');
    const order: string[] = [];
    back.ws.on('message', (d: Buffer) => order.push((JSON.parse(d.toString()) as { event: string }).event));
    expect((await back.login('rita')).errCode).toBe(0);
    await back.event('OnRecvNewMessages');
    expect(order).toEqual(['Login', 'OnConversationChanged', 'OnRecvNewMessages']);
    expect((await back.event('OnConversationChanged')).data).toBe('["missed-1"]');
    // Within the grace period: the same core served the reconnect (a new one would know nothing to replay).
    expect(gw.hub.get('rita', 5)!.coreId).toBe(core.id);
  });

  it.each(['OnKickedOffline', 'OnUserTokenExpired', 'OnUserTokenInvalid'])(
    '%s from the core reaches every socket, which are then closed and the core freed',
    async (coreEvent) => {
      const gw = await gateway();
      const a = await client(gw, 'ivan');
      const b = await client(gw, 'ivan');
      await a.login('ivan');
      await b.login('ivan');
      void a.request('DebugEmit', [coreEvent, 'reason']);
      const expected = coreEvent === 'OnUserTokenInvalid' ? 'OnUserTokenExpired' : coreEvent;
      await a.event(expected);
      await b.event(expected);
      await a.closed;
      await b.closed;
      await until(() => gw.pool.coreCount === 0);
    },
  );

  it('recovers sessions whose worker hung: sockets stay open, OnConnecting then OnConnectSuccess', async () => {
    const gw = await gateway({ workers: 2, heartbeatIntervalMs: 100, hangThresholdMs: 500 });
    const hanger = await client(gw, 'jill');
    await hanger.login('jill');
    const hangerWorker = gw.hub.get('jill', 5)!.workerId;
    // Find a neighbour on the same worker.
    let neighbour: TestClient | undefined;
    for (let i = 0; i < 6 && !neighbour; i++) {
      const c = await client(gw, `n${i}`);
      await c.login(`n${i}`);
      if (gw.hub.get(`n${i}`, 5)!.workerId === hangerWorker) neighbour = c;
    }
    expect(neighbour).toBeDefined();
    const n = neighbour!;
    const nUser = gw.hub.sessions().find((s) => s.workerId === hangerWorker && s.userID !== 'jill')!.userID;
    n.events.length = 0; // forget the events of its own first login
    void hanger.request('DebugHang');
    await n.event('OnConnecting');
    await n.event('OnConnectSuccess');
    expect(JSON.parse((await n.request('GetSelfUserInfo')).data)).toMatchObject({ userID: nUser });
    expect(gw.hub.get(nUser, 5)!.workerId).not.toBe(hangerWorker);
    expect(n.ws.readyState).toBe(n.ws.OPEN);
  });

  it('a core that panics three times within a minute gives up: OnConnectFailed and close', async () => {
    const gw = await gateway();
    const c = await client(gw, 'kate');
    await c.login('kate');
    expect(c.events.map((e) => e.event)).toEqual(expect.arrayContaining(['OnConnectSuccess', 'OnSyncServerFinish']));
    for (let i = 0; i < 2; i++) {
      const before = gw.hub.get('kate', 5)!.coreId;
      expect((await c.request('DebugPanic')).errCode).toBe(10006);
      await until(() => gw.hub.get('kate', 5)!.state === 'logged-in' && gw.hub.get('kate', 5)!.coreId !== before);
    }
    expect(c.events.filter((e) => e.event === 'OnConnecting').length).toBeGreaterThanOrEqual(2);
    void c.request('DebugPanic');
    await c.event('OnConnectFailed');
    expect((await c.closed).code).toBe(1011);
    await until(() => gw.pool.coreCount === 0);
  });
});

describe('liveness', () => {
  it('pings sockets and drops one that stays silent', async () => {
    const gw = await gateway({ pingIntervalMs: 50, silenceLimitMs: 300 });
    const quiet = await client(gw, 'pete');
    let pings = 0;
    quiet.ws.on('ping', () => pings++);
    // Disable the automatic pong: the socket now looks dead to the server.
    (quiet.ws as unknown as { pong(): void }).pong = () => {};
    const chatty = await client(gw, 'pete');
    const keepAlive = setInterval(() => void chatty.request('GetLoginStatus'), 100);
    try {
      expect((await quiet.closed).code).toBe(4000);
      expect(pings).toBeGreaterThanOrEqual(3);
      expect(chatty.ws.readyState).toBe(chatty.ws.OPEN);
    } finally {
      clearInterval(keepAlive);
    }
  });
});

describe('operations', () => {
  it('serves /healthz and Prometheus /metrics', async () => {
    const gw = await gateway();
    const base = `http://127.0.0.1:${gw.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const c = await client(gw, 'mona');
    await c.login('mona');
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('openim_jssdk_connections 1');
    expect(text).toMatch(/openim_jssdk_sessions\{state="logged-in"\} 1/);
    expect(text).toMatch(/openim_jssdk_calls_total\{function="Login",outcome="ok"\} 1/);
    expect(text).toContain('openim_jssdk_call_duration_seconds_bucket');
    // Per-worker figures arrive with the heartbeat.
    const metrics = async (): Promise<string> => (await fetch(`${base}/metrics`)).text();
    await expect.poll(metrics, { timeout: 5000 }).toMatch(/openim_jssdk_worker_core_held_values\{worker="\d+"\} [1-9]/);
    expect(await metrics()).toMatch(/openim_jssdk_worker_heap_used_bytes\{worker="\d+"\} [1-9]\d{5,}/);
  });

  it('close(): healthz 503, sockets closed 1001, every core logged out and freed', async () => {
    const gw = await startGateway(fx.im);
    const [a, b] = [await client(gw, 'nick'), await client(gw, 'nora')];
    await a.login('nick');
    await b.login('nora');
    const loggedOut: string[] = [];
    for (const core of gw.pool.cores()) {
      const call = core.call.bind(core);
      core.call = (fn, op, args) => {
        if (fn === 'logout') loggedOut.push(`${core.userID}:${op}`);
        return call(fn, op, args);
      };
    }
    const closing = gw.close();
    expect((await fetch(`http://127.0.0.1:${gw.port}/healthz`)).status).toBe(503);
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    await closing;
    // The socket-close way: a local logout, no IM round-trip.
    expect(loggedOut.sort()).toEqual(['nick:js sdk socket close', 'nora:js sdk socket close']);
    expect(gw.pool.coreCount).toBe(0);
  });

  it('admin API needs the admin token and can kick a user', async () => {
    const gw = await gateway({ adminToken: 'sekret' });
    const base = `http://127.0.0.1:${gw.port}`;
    expect((await fetch(`${base}/admin/sessions`)).status).toBe(401);
    const c = await client(gw, 'olga');
    await c.login('olga');
    const list = (await (await fetch(`${base}/admin/sessions`, { headers: { authorization: 'Bearer sekret' } })).json()) as {
      sessions: Array<{ userID: string; state: string }>;
    };
    expect(list.sessions).toEqual([expect.objectContaining({ userID: 'olga', state: 'logged-in' })]);
    const kick = await fetch(`${base}/admin/kick?userID=olga`, { method: 'POST', headers: { authorization: 'Bearer sekret' } });
    expect(await kick.json()).toEqual({ kicked: 1 });
    await c.event('OnKickedOffline');
    await c.closed;
    await until(() => gw.pool.coreCount === 0);
  });

  it('a fault in an HTTP or admin route answers 500, is counted, and the server goes on', async () => {
    const gw = await gateway({ adminToken: 'sekret' });
    const base = `http://127.0.0.1:${gw.port}`;
    const sessions = gw.hub.sessions.bind(gw.hub);
    gw.hub.sessions = () => {
      throw new TypeError('injected fault');
    };
    const admin = await fetch(`${base}/admin/sessions`, { headers: { authorization: 'Bearer sekret' } });
    expect(admin.status).toBe(500);
    expect(await admin.json()).toEqual({ error: 'internal error (logged)' });
    const size = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(gw.hub), 'size')!;
    Object.defineProperty(gw.hub, 'size', {
      get: () => {
        throw new TypeError('injected fault');
      },
      configurable: true,
    });
    expect((await fetch(`${base}/healthz`)).status).toBe(500);
    Object.defineProperty(gw.hub, 'size', size);
    gw.hub.sessions = sessions;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('openim_jssdk_internal_errors_total{where="admin"} 1');
    expect(text).toContain('openim_jssdk_internal_errors_total{where="http"} 1');
    const c = await client(gw, 'pia');
    expect((await c.login('pia')).errCode).toBe(0);
  });

  it('reports real memory: GET /admin/memory and the memory gauges in /metrics', async () => {
    const gw = await gateway({ adminToken: 'sekret', memoryBudgetMiB: 4096 });
    const c = await client(gw, 'memo');
    await c.login('memo');
    const base = `http://127.0.0.1:${gw.port}`;
    const report = (await (await fetch(`${base}/admin/memory`, { headers: { authorization: 'Bearer sekret' } })).json()) as Record<string, unknown>;
    expect(report).toMatchObject({ budgetBytes: 4096 * 2 ** 20, cores: 1, startsWaiting: 0, reservedBytes: expect.any(Number) });
    expect(report.pssBytes as number).toBeGreaterThan(10 * 2 ** 20);
    expect(report.pssBytes as number).toBeLessThanOrEqual(report.rssBytes as number);
    expect(report.pssPerCoreBytes).toBe(report.pssBytes);
    expect(report.pssAgeMs as number).toBeLessThanOrEqual(30_000);
    expect(report.usedBytes as number).toBeGreaterThanOrEqual((report.pssBytes as number) * 0.9);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^openim_jssdk_memory_pss_bytes \d{8,}$/m);
    expect(text).toMatch(/^openim_jssdk_memory_used_bytes \d{8,}$/m);
    expect(text).toContain(`openim_jssdk_memory_budget_bytes ${4096 * 2 ** 20}`);
    expect(text).toMatch(/^openim_jssdk_ksm_merging_pages \d+$/m);
  });
});
