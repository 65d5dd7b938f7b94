/**
 * What other nodes (or anyone who can publish on the Redis) send is input: bounded before it
 * is parsed, checked field by field, dropped with a reason otherwise — and a node flooded with
 * such messages goes on serving its sessions. Also: a Login whose user is held by a node that
 * never answers gives up after its bound with a clear code.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRedis } from '../../scripts/lib/redis-server.ts';
import { ClusterBus } from '../../src/cluster/bus.ts';
import { CLUSTER_LIMITS, leaseTimings } from '../../src/cluster/cluster-limits.ts';
import { ClusterMetrics } from '../../src/cluster/cluster-metrics.ts';
import { ClusterKeys, SessionDirectory } from '../../src/cluster/directory.ts';
import { decodeMessage, encodeMessage, type BusMessage } from '../../src/cluster/messages.ts';
import { Claims } from '../../src/cluster/ownership.ts';
import { GatewayError } from '../../src/sessions/gateway-error.ts';
import { Registry } from 'prom-client';
import { tokenFor, useGatewayFixture } from '../helpers/gateway.ts';
import { silentLogger, until } from '../helpers/cores.ts';

const raw = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const ok = (m: Record<string, unknown>): Buffer => raw({ v: 1, from: 'node-x', ...m });

describe('decodeMessage', () => {
  it('accepts each kind with valid fields', () => {
    const row = { userID: 'u', platformID: 5, state: 'logged-in', connections: 2, workerId: 1 };
    const good: Array<Record<string, unknown>> = [
      { t: 'handover', id: 'r1', userID: 'alice', platformID: 5, fence: 7 },
      { t: 'released', id: 'r1', userID: 'alice', platformID: 5 },
      { t: 'kick', id: 'r2', userID: 'alice' },
      { t: 'kick', id: 'r2', userID: 'alice', platformID: 11 },
      { t: 'kicked', id: 'r2', count: 3 },
      { t: 'forget', userID: 'alice', platformID: 1 },
      { t: 'list', id: 'r3' },
      { t: 'listed', id: 'r3', sessions: [row, { ...row, workerId: null }], truncated: false },
    ];
    for (const m of good) expect(decodeMessage(ok(m)), JSON.stringify(m)).toEqual({ ok: true, message: { v: 1, from: 'node-x', ...m } });
    expect(decodeMessage(raw(encodeMessage('n1', { t: 'list', id: 'x' })))).toEqual({ ok: true, message: { v: 1, from: 'n1', t: 'list', id: 'x' } });
  });

  it('drops everything else, naming why', () => {
    const cases: Array<[Buffer, string, RegExp?]> = [
      [Buffer.alloc(CLUSTER_LIMITS.messageBytes + 1, 0x20), 'too-big'],
      [raw('not json'), 'not-json'],
      [raw('['.repeat(100_000)), 'too-big', /nest/],
      [raw([1, 2]), 'invalid'],
      [raw({ v: 2, from: 'n', t: 'list', id: 'x' }), 'version'],
      [ok({ t: 'explode', id: 'x' }), 'invalid', /kind/],
      [ok({ t: '__proto__', id: 'x' }), 'invalid', /kind/],
      [raw({ v: 1, from: 'bad id!', t: 'list', id: 'x' }), 'invalid', /sender/],
      [raw({ v: 1, t: 'list', id: 'x' }), 'invalid', /sender/],
      [ok({ t: 'handover', id: 'r', userID: 'a', platformID: 12, fence: 1 }), 'invalid', /platformID/],
      [ok({ t: 'handover', id: 'r', userID: 'a', platformID: 5, fence: 0 }), 'invalid', /fence/],
      [ok({ t: 'handover', id: 'r', userID: 'a', platformID: 5, fence: 1.5 }), 'invalid', /fence/],
      [ok({ t: 'handover', id: 'r', userID: 'é'.repeat(33), platformID: 5, fence: 1 }), 'invalid', /userID/],
      [ok({ t: 'handover', id: 'r', userID: '', platformID: 5, fence: 1 }), 'invalid', /userID/],
      [ok({ t: 'handover', id: 'x'.repeat(65), userID: 'a', platformID: 5, fence: 1 }), 'invalid', /\.id/],
      [ok({ t: 'handover', id: 'r', userID: 'a', platformID: 5, fence: 1, extra: 1 }), 'invalid', /unknown field/],
      [ok({ t: 'kicked', id: 'r', count: -1 }), 'invalid', /count/],
      [ok({ t: 'listed', id: 'r', sessions: 'all', truncated: false }), 'invalid', /sessions/],
      [ok({ t: 'listed', id: 'r', sessions: [{ userID: 'a', platformID: 5, state: 'x'.repeat(33), connections: 0, workerId: 0 }], truncated: false }), 'invalid'],
      [
        ok({
          t: 'listed',
          id: 'r',
          sessions: Array.from({ length: CLUSTER_LIMITS.sessionsPerAnswer + 1 }, () => ({ userID: 'a', platformID: 5, state: 's', connections: 0, workerId: 0 })),
          truncated: false,
        }),
        'too-big',
        /entries|items/,
      ],
    ];
    for (const [bytes, reason, detail] of cases) {
      const d = decodeMessage(bytes);
      expect(d.ok, bytes.subarray(0, 80).toString()).toBe(false);
      if (d.ok) continue;
      expect(d.reason, bytes.subarray(0, 80).toString()).toBe(reason);
      if (detail) expect(d.detail).toMatch(detail);
    }
  });
});

describe('a node on the bus', () => {
  const fx = useGatewayFixture();
  let redis: LocalRedis;
  beforeAll(async () => {
    redis = await LocalRedis.start();
  });
  afterAll(() => redis?.close());

  it('drops hostile messages, counts them and goes on serving; a handover with the wrong fence changes nothing', async () => {
    const gw = await fx.gateway({ redis: redis.url, redisPrefix: 'bus1', leaseTtlMs: 1000, nodeId: 'victim' });
    const tab = await fx.client(gw, 'alice');
    expect((await tab.request('Login', ['alice', tokenFor('alice')])).errCode).toBe(0);
    const fence = gw.hub.get('alice', 5)!.ownershipFence!;
    const publisher = new Redis(redis.url);
    const keys = new ClusterKeys('bus1');
    try {
      const hostile: Array<string | Buffer> = [
        Buffer.alloc(CLUSTER_LIMITS.messageBytes + 10, 0x5b),
        '['.repeat(1_000_000),
        'garbage',
        JSON.stringify({ v: 1, from: 'evil', t: 'kick', id: 'x', userID: 'alice', platformID: 99 }),
        JSON.stringify({ v: 1, from: 'evil', t: 'handover', id: 'x', userID: 'alice', platformID: 5, fence: fence + 1000 }),
        JSON.stringify({ v: 1, from: 'evil', t: 'listed', id: 'nobody-asked', sessions: [], truncated: false }),
        JSON.stringify({ v: 1, from: 'evil', t: 'released', id: 'x', userID: 'alice', platformID: 5 }),
      ];
      for (let round = 0; round < 20; round++) {
        for (const m of hostile) {
          await publisher.publish(keys.nodeChannel('victim'), m);
          await publisher.publish(keys.allChannel, m);
        }
      }
      const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${gw.port}/metrics`)).text();
      await expect.poll(metrics, { timeout: 5000 }).toMatch(/openim_jssdk_cluster_messages_dropped_total\{reason="too-big"\} 80/);
      const text = await metrics();
      expect(text).toMatch(/openim_jssdk_cluster_messages_dropped_total\{reason="not-json"\} 40/);
      expect(text).toMatch(/openim_jssdk_cluster_messages_dropped_total\{reason="invalid"\} 40/);
      expect(text).not.toMatch(/openim_jssdk_internal_errors_total\{[^}]*\} [1-9]/);
      expect(gw.hub.get('alice', 5)?.state).toBe('logged-in');
      expect(gw.hub.get('alice', 5)?.ownershipFence).toBe(fence);
      expect((await tab.request('GetLoginStatus')).data).toBe('3');
      expect(tab.events.map((e) => e.event)).not.toContain('OnKickedOffline');
    } finally {
      publisher.disconnect();
    }
  });

  it('gives up a Login whose user is held by a node that never answers, with 20009 after its bound', async () => {
    const connect = async (): Promise<Redis> => {
      const c = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false });
      await c.connect();
      return c;
    };
    const [ghostConn, meConn, listener] = await Promise.all([connect(), connect(), connect()]);
    const timings = { ...leaseTimings(1000), handoverWaitMs: 1500 };
    const ghost = new SessionDirectory({ redis: ghostConn, prefix: 'bus2', nodeId: 'ghost', timings, logger: silentLogger });
    const me = new SessionDirectory({ redis: meConn, prefix: 'bus2', nodeId: 'me', timings, logger: silentLogger });
    const bus = new ClusterBus({ publisher: meConn, listener, keys: me.keys, nodeId: 'me', logger: silentLogger, onDropped: () => {}, onInternalError: () => {} });
    const asked: BusMessage[] = [];
    const watcher = await connect();
    try {
      await ghost.register();
      await me.register();
      await bus.start();
      await watcher.subscribe(ghost.keys.nodeChannel('ghost'));
      watcher.on('message', (_c: string, m: string) => asked.push(JSON.parse(m) as BusMessage));
      expect((await ghost.acquire('zoe', 5)).kind).toBe('acquired');
      const claims = new Claims({
        directory: me,
        bus,
        logger: silentLogger,
        metrics: new ClusterMetrics(new Registry(), { leased: () => true, claimsWaiting: () => 0 }),
      });
      const started = performance.now();
      const err = await claims.claim('zoe', 5, 'op').then(
        () => undefined,
        (e: unknown) => e,
      );
      const waited = performance.now() - started;
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).errCode).toBe(20009);
      expect((err as GatewayError).errMsg).toMatch(/node ghost still holds this user/);
      expect(waited).toBeGreaterThanOrEqual(1500);
      expect(waited).toBeLessThan(3000);
      // It asked, and asked again (messages are at most once), at most once a second.
      await until(() => asked.length >= 2, 1000);
      expect(asked.length).toBeLessThanOrEqual(3);
      expect(asked[0]).toMatchObject({ t: 'handover', from: 'me', userID: 'zoe', platformID: 5 });
    } finally {
      bus.stop();
      await Promise.all([ghost.stop(), me.stop()]);
      for (const c of [ghostConn, meConn, listener, watcher]) c.disconnect();
    }
  });
});
