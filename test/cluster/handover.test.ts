/**
 * Two real gateways (real worker pools, test core) joined through a real redis-server, with
 * client sockets speaking the protocol: hand-over instead of kicks, cluster-wide admin, token
 * verdicts forgotten on every node, and what happens while Redis cannot be reached.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRedis } from '../../scripts/lib/redis-server.ts';
import type { RunningServer, StartOptions } from '../../src/server.ts';
import { handshakeStatus, tokenFor, useGatewayFixture, type TestClient } from '../helpers/gateway.ts';
import { until } from '../helpers/cores.ts';

const fx = useGatewayFixture();
let redis: LocalRedis;
let prefixSeq = 0;

beforeAll(async () => {
  redis = await LocalRedis.start();
});
afterAll(() => redis?.close());

/** Gateways of one cluster (each test its own prefix); 1 s leases keep lease tests short. */
async function cluster(n: number, extra: Partial<StartOptions> = {}): Promise<RunningServer[]> {
  const redisPrefix = `h${++prefixSeq}-${process.pid}`;
  const nodes: RunningServer[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push(await fx.gateway({ redis: redis.url, redisPrefix, leaseTtlMs: 1000, adminToken: 'sekret', nodeId: `node-${i}`, ...extra }));
  }
  return nodes;
}

async function loggedIn(gw: RunningServer, userID: string, platformID = 5): Promise<TestClient> {
  const c = await fx.client(gw, userID, platformID);
  const login = await c.request('Login', [userID, tokenFor(userID, platformID)]);
  expect(login.errCode, login.errMsg).toBe(0);
  return c;
}

function admin(gw: RunningServer, path: string, method = 'GET'): Promise<Response> {
  return fetch(`http://127.0.0.1:${gw.port}${path}`, { method, headers: { authorization: 'Bearer sekret' } });
}

async function metric(gw: RunningServer, line: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.port}/metrics`)).text();
  const m = line.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('hand-over between nodes', () => {
  it('logs the old core out and closes its sockets 1012 (no OnKickedOffline) before the new node logs in', async () => {
    const [a, b] = await cluster(2);
    const oldTab = await loggedIn(a!, 'alice');
    const oldTab2 = await loggedIn(a!, 'alice');
    expect(a!.pool.coreCount).toBe(1);
    const order: string[] = [];
    void oldTab.closed.then(() => order.push('old socket closed'));
    const oldCore = a!.pool.cores()[0]!;
    const call = oldCore.call.bind(oldCore);
    oldCore.call = (fn, op, args) => {
      if (fn === 'logout') order.push(`old core ${fn} (${op})`);
      return call(fn, op, args);
    };

    const newTab = await fx.client(b!, 'alice');
    const login = await newTab.request('Login', ['alice', tokenFor('alice')]);
    order.push('new login answered');
    expect(login.errCode, login.errMsg).toBe(0);

    expect(await oldTab.closed).toEqual({ code: 1012, reason: 'session moved to another node, reconnect' });
    expect((await oldTab2.closed).code).toBe(1012);
    // The old core is out and its sockets are closed before the new core logs in.
    expect(order.slice(0, 2).sort()).toEqual(['old core logout (js sdk socket close)', 'old socket closed']);
    expect(order[2]).toBe('new login answered');
    for (const tab of [oldTab, oldTab2, newTab]) expect(tab.events.map((e) => e.event)).not.toContain('OnKickedOffline');
    expect(a!.pool.coreCount).toBe(0);
    expect(b!.hub.get('alice', 5)?.state).toBe('logged-in');
    expect(await metric(b!, /openim_jssdk_cluster_handovers_total\{side="taking",outcome="ok"\} (\d+)/)).toBe(1);
    expect(await metric(a!, /openim_jssdk_cluster_handovers_total\{side="giving",outcome="ok"\} (\d+)/)).toBe(1);

    // The old tab reconnects (here: straight to b) and joins the live session at once.
    const back = await loggedIn(b!, 'alice');
    expect(back.events.map((e) => e.event)).not.toContain('OnKickedOffline');
    expect(b!.pool.coreCount).toBe(1);
  });

  it('a node that lost the user between its claim and its login finds out before its core logs in (20009, socket closed 1012)', async () => {
    const [a, b] = await cluster(2);
    const raw = new Redis(redis.url);
    try {
      const ownership = a!.cluster!.ownership;
      const claim = ownership.claim.bind(ownership);
      // Right after a's claim, b takes the entry (as if a's hold had been handed over meanwhile).
      ownership.claim = async (userID, platformID, operationID) => {
        const held = await claim(userID, platformID, operationID);
        const prefix = b!.cluster!.prefix;
        const incarnation = await raw.get(`{${prefix}}:lease:node-1`);
        await raw.set(`{${prefix}}:owner:${platformID}:${userID}`, `node-1 ${incarnation} ${held.fence + 1000}`);
        return held;
      };
      const coreLogins: string[] = [];
      const startCore = a!.pool.startCore.bind(a!.pool);
      a!.pool.startCore = async (opts) => {
        const core = await startCore(opts);
        const call = core.call.bind(core);
        core.call = (fn, op, args) => {
          if (fn === 'login') coreLogins.push(opts.userID);
          return call(fn, op, args);
        };
        return core;
      };
      const tab = await fx.client(a!, 'ivan');
      const login = await tab.request('Login', ['ivan', tokenFor('ivan')]);
      expect(login.errCode).toBe(20009);
      expect(login.errMsg).toMatch(/another node has taken this user over/);
      expect((await tab.closed).code).toBe(1012);
      expect(coreLogins).toEqual([]);
      await until(() => a!.pool.coreCount === 0);
    } finally {
      raw.disconnect();
    }
  });

  it('hands a session in its grace period over too, and leaves other users and platforms alone', async () => {
    const [a, b] = await cluster(2);
    const gone = await loggedIn(a!, 'bob');
    const bystander = await loggedIn(a!, 'carl');
    const otherPlatform = await loggedIn(a!, 'bob', 2);
    gone.close();
    await until(() => a!.hub.get('bob', 5)?.connections === 0);
    expect(a!.hub.get('bob', 5)?.state).toBe('logged-in');
    await loggedIn(b!, 'bob');
    await until(() => a!.hub.get('bob', 5) === undefined);
    expect(a!.hub.get('carl', 5)?.state).toBe('logged-in');
    expect(a!.hub.get('bob', 2)?.state).toBe('logged-in');
    expect((await bystander.request('GetLoginStatus')).data).toBe('3');
    expect((await otherPlatform.request('GetLoginStatus')).data).toBe('3');
  });

  it('admin on any node lists and kicks across the cluster', async () => {
    const [a, b] = await cluster(2);
    const onB = await loggedIn(b!, 'dora');
    await loggedIn(a!, 'emil');
    const list = (await (await admin(a!, '/admin/sessions')).json()) as {
      sessions: Array<{ userID: string; nodeId: string; state: string }>;
      nodes: Array<{ nodeId: string; answered: boolean }>;
    };
    expect(list.sessions.map((s) => `${s.userID}@${s.nodeId}:${s.state}`).sort()).toEqual(['dora@node-1:logged-in', 'emil@node-0:logged-in']);
    expect(list.nodes).toEqual([
      { nodeId: 'node-0', answered: true, truncated: false },
      { nodeId: 'node-1', answered: true, truncated: false },
    ]);
    expect(await (await admin(b!, '/admin/nodes')).json()).toEqual({ self: 'node-1', nodes: expect.arrayContaining(['node-0', 'node-1']) });

    const kick = await admin(a!, '/admin/kick?userID=dora', 'POST');
    expect(await kick.json()).toEqual({
      kicked: 1,
      nodes: [
        { nodeId: 'node-0', answered: true, kicked: 0 },
        { nodeId: 'node-1', answered: true, kicked: 1 },
      ],
    });
    await onB.event('OnKickedOffline');
    expect((await onB.closed).code).toBe(1000);
    await until(() => b!.pool.coreCount === 0);
    expect((await admin(a!, '/admin/kick?userID=' + 'x'.repeat(65), 'POST')).status).toBe(400);
    expect((await admin(a!, '/admin/kick?userID=dora&platformID=12', 'POST')).status).toBe(400);
  });

  it("a Logout on one node makes every node ask the IM server again about that user's tokens", async () => {
    const [a, b] = await cluster(2);
    const token = tokenFor('fay');
    // b has verified (and remembered) fay's token.
    expect((await handshakeStatus(b!, `sendID=fay&token=${token}&platformID=5`)).status).toBe(101);
    expect((await handshakeStatus(b!, `sendID=fay&token=${token}&platformID=5`)).status).toBe(101);
    const before = fx.im.callsFor(token);
    const tab = await loggedIn(a!, 'fay');
    expect((await tab.request('Logout')).errCode).toBe(0);
    // The IM server refuses the token from now on; b must not let it in on its old verdict.
    fx.im.revoke(token, 1506);
    await until(async () => (await handshakeStatus(b!, `sendID=fay&token=${token}&platformID=5`)).status === 401, 3000);
    expect(fx.im.callsFor(token)).toBeGreaterThan(before);
  });
});

describe('when Redis cannot be reached', () => {
  it('keeps serving logged-in sessions while the lease lasts, refuses new Logins (20008, socket closed 4001), then gives every user back', async () => {
    const [a] = await cluster(1, { leaseTtlMs: 2000 });
    const kept = await loggedIn(a!, 'gus');
    const newcomer = await fx.client(a!, 'hana');
    redis.pause();
    try {
      // Within the lease the logged-in session goes on.
      expect((await kept.request('GetLoginStatus')).data).toBe('3');
      // A paused Redis answers nothing: the claim gives up after the command timeout.
      const refused = await newcomer.request('Login', ['hana', tokenFor('hana')]);
      expect(refused.errCode).toBe(20008);
      expect(refused.errMsg).toMatch(/cannot log anyone in right now/);
      expect(await newcomer.closed).toEqual({ code: 4001, reason: 'cluster directory unavailable, retry later' });
      // At 70 % of the lease (1.4 s) without a renewal the node gives everyone back and takes no one in.
      expect((await kept.closed).code).toBe(4001);
      expect(kept.events.map((e) => e.event)).not.toContain('OnKickedOffline');
      expect(a!.hub.get('gus', 5)?.state ?? 'closed').toBe('closed');
      const health = await fetch(`http://127.0.0.1:${a!.port}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'unleased', cluster: { nodeId: 'node-0', leased: false } });
      const hs = await handshakeStatus(a!, `sendID=ida&token=${tokenFor('ida')}&platformID=5`);
      expect(hs.status).toBe(503);
      expect(JSON.parse(hs.body)).toEqual({ errCode: 503, errMsg: "server cannot reach its cluster's session directory" });
      // The admin API says the cluster cannot be asked (not a bug of ours: no internal error).
      const list = await admin(a!, '/admin/sessions');
      expect(list.status).toBe(503);
      expect(await list.json()).toEqual({ error: expect.stringMatching(/^cluster query failed: the session directory cannot be reached/) });
      expect(await metric(a!, /openim_jssdk_internal_errors_total\{[^}]*\} (\d+)/)).toBe(0);
    } finally {
      redis.resume();
    }
    await until(() => a!.pool.coreCount === 0, 5000);
    // Back: a new lease once the old one ran out in Redis, and logins again.
    await until(async () => (await fetch(`http://127.0.0.1:${a!.port}/healthz`)).status === 200, 6000);
    await loggedIn(a!, 'gus');
    expect(await metric(a!, /openim_jssdk_cluster_lease_losses_total (\d+)/)).toBe(1);
  });

  it('refuses to start when Redis is not there, with one line naming where it looked (never its password)', async () => {
    const err = await fx.gateway({ redis: 'redis://:hunter2@127.0.0.1:1', leaseTtlMs: 1000 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:1: /);
    expect(err?.message).not.toContain('hunter2');
  });
});
