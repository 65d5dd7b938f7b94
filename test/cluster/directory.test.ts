/**
 * The session directory against a real redis-server: leases, fences, self-fencing when Redis
 * stops answering, and what dead nodes leave behind.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalRedis } from '../../scripts/lib/redis-server.ts';
import { CLUSTER_LIMITS, leaseTimings } from '../../src/cluster/cluster-limits.ts';
import { ownerField, parseAcquireReply, SessionDirectory } from '../../src/cluster/directory.ts';
import { silentLogger, sleep, until } from '../helpers/cores.ts';

let redis: LocalRedis;
const clients: Redis[] = [];
const directories: SessionDirectory[] = [];
let prefixSeq = 0;
let prefix = '';

beforeAll(async () => {
  redis = await LocalRedis.start();
});
afterAll(() => redis?.close());
afterEach(async () => {
  redis.resume();
  await Promise.all(directories.splice(0).map((d) => d.stop().catch(() => {})));
  for (const c of clients.splice(0)) c.disconnect();
  prefix = '';
});

function client(): Redis {
  const c = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500, retryStrategy: () => 100, lazyConnect: true });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

/** A node's directory on its own connection; each test gets its own key prefix. */
async function node(nodeId: string, ttlMs = 1000, c?: Redis): Promise<SessionDirectory> {
  prefix ||= `t${++prefixSeq}-${process.pid}`;
  const conn = c ?? client();
  if (conn.status === 'wait') await conn.connect();
  const d = new SessionDirectory({ redis: conn, prefix, nodeId, timings: leaseTimings(ttlMs), logger: silentLogger });
  directories.push(d);
  await d.register();
  return d;
}

describe('the lease arithmetic', () => {
  it('renews five times a lease, trusts 70 % of it and waits at least 10 s (or two leases) for a hand-over', () => {
    expect(leaseTimings(5000)).toEqual({ ttlMs: 5000, renewEveryMs: 1000, trustedForMs: 3500, handoverWaitMs: 10_000 });
    expect(leaseTimings(20_000)).toMatchObject({ renewEveryMs: 4000, trustedForMs: 14_000, handoverWaitMs: 40_000 });
    expect(CLUSTER_LIMITS).toMatchObject({ leaseTtlMs: 5000, leaseTtlMinMs: 1000, leaseTtlMaxMs: 60_000, claimsWaiting: 1024, messageBytes: 2 * 2 ** 20 });
  });
});

describe('SessionDirectory', () => {
  it('gives a user+platform to one node at a time, each time under a new fence', async () => {
    const a = await node('a');
    const b = await node('b');
    const first = await a.acquire('alice', 5);
    expect(first.kind).toBe('acquired');
    if (first.kind !== 'acquired') return;
    expect(await b.acquire('alice', 5)).toEqual({ kind: 'owned', nodeId: 'a', fence: first.fence });
    // Another platform of the same user is another entry.
    expect((await b.acquire('alice', 6)).kind).toBe('acquired');
    expect(await a.release('alice', 5, first.fence, first.incarnation)).toBe(true);
    const second = await b.acquire('alice', 5);
    expect(second.kind).toBe('acquired');
    if (second.kind !== 'acquired') return;
    expect(second.fence).toBeGreaterThan(first.fence);
  });

  it('lets neither a stale release free nor a stale verify keep what a newer holder took', async () => {
    const a = await node('a');
    const b = await node('b');
    const old = await a.acquire('bob', 5);
    if (old.kind !== 'acquired') throw new Error(old.kind);
    // a takes it again (a second session of its own): the old fence is void.
    const again = await a.acquire('bob', 5);
    if (again.kind !== 'acquired') throw new Error(again.kind);
    expect(again.fence).toBeGreaterThan(old.fence);
    expect(await a.verify('bob', 5, old.fence, old.incarnation)).toBe(false);
    expect(await a.release('bob', 5, old.fence, old.incarnation)).toBe(false);
    expect(await a.verify('bob', 5, again.fence, again.incarnation)).toBe(true);
    expect(await b.acquire('bob', 5)).toEqual({ kind: 'owned', nodeId: 'a', fence: again.fence });
  });

  it("frees a dead node's users within its lease: nothing of it renews any more", async () => {
    const deadConn = client();
    await deadConn.connect();
    const dead = await node('dead', 1000, deadConn);
    const b = await node('b', 1000);
    const held = await dead.acquire('carol', 5);
    expect(held.kind).toBe('acquired');
    // The process dies: its connection goes, its lease is not dropped.
    deadConn.disconnect();
    const diedAt = performance.now();
    expect((await b.acquire('carol', 5)).kind).toBe('owned');
    await until(async () => (await b.acquire('carol', 5)).kind === 'acquired', 3000);
    const freedAfter = performance.now() - diedAt;
    expect(freedAfter).toBeLessThan(1000 + 500);
    expect(freedAfter).toBeGreaterThan(300);
  });

  it('self-fences even when its timer fires before its own clock says the trust ran out (timers count from a lagging loop time)', async () => {
    const conn = client();
    await conn.connect();
    prefix ||= `t${++prefixSeq}-${process.pid}`;
    // A clock slower than the timers: each fence timer fires "early" by its reading.
    const t0 = performance.now();
    const slow = (): number => t0 + (performance.now() - t0) * 0.8;
    const d = new SessionDirectory({ redis: conn, prefix, nodeId: 'slow', timings: leaseTimings(1000), logger: silentLogger, now: slow });
    directories.push(d);
    await d.register();
    const lost: string[] = [];
    d.on('lost', (why) => lost.push(why));
    redis.pause();
    await until(() => lost.length > 0, 3000);
    expect(lost[0]).toContain('no lease renewal');
  });

  it('counts itself unleased and reports lost within 70 % of the lease when Redis stops answering, before Redis would free its users', async () => {
    const a = await node('a', 1000);
    const lost: string[] = [];
    a.on('lost', (why) => lost.push(why));
    const held = await a.acquire('dave', 5);
    if (held.kind !== 'acquired') throw new Error(held.kind);
    redis.pause();
    const pausedAt = performance.now();
    await until(() => lost.length > 0, 3000);
    const lostAfter = performance.now() - pausedAt;
    expect(a.leased).toBe(false);
    // The last renewal went out at most one renewal period before the pause.
    expect(lostAfter).toBeLessThanOrEqual(700 + 50);
    expect(lost[0]).toContain('no lease renewal');
    expect((await a.acquire('dave', 5)).kind).toBe('unleased');
    expect(await a.verify('dave', 5, held.fence, held.incarnation)).toBe(false);
    // Redis back: a new lease (a new incarnation) once the old one has run out there.
    const regained = new Promise<void>((resolve) => a.once('leased', () => resolve()));
    redis.resume();
    await regained;
    expect(a.leased).toBe(true);
    expect(a.incarnation).not.toBe(held.incarnation);
    // The old hold names the old run: it does not count, the user is free.
    const b = await node('b', 1000);
    expect((await b.acquire('dave', 5)).kind).toBe('acquired');
  });

  it('reports lost at once when the lease is gone from Redis (flushed, or expired while the node slept)', async () => {
    const a = await node('a', 2000);
    const lost = new Promise<string>((resolve) => a.once('lost', resolve));
    const admin = client();
    await admin.connect();
    await admin.del(a.keys.lease('a'));
    expect(await lost).toContain('expired in Redis');
  });

  it("refuses a second live node with the same id, and waits out a dead one's lease", async () => {
    const a = await node('same', 1000);
    const c = client();
    await c.connect();
    const twin = new SessionDirectory({ redis: c, prefix, nodeId: 'same', timings: leaseTimings(1000), logger: silentLogger });
    directories.push(twin);
    await expect(twin.register(600)).rejects.toThrow(/still held by another live node/);
    await a.stop();
    await twin.register(600);
    expect(twin.leased).toBe(true);
  });

  it('takes an entry it cannot read as free (and never trusts a reply of another shape)', async () => {
    const a = await node('a');
    const admin = client();
    await admin.connect();
    for (const garbage of ['garbage', 'a  1', 'x'.repeat(2000), 'b 123 notanumber']) {
      await admin.set(a.keys.owner(ownerField('erin', 5)), garbage);
      expect((await a.acquire('erin', 5)).kind, garbage).toBe('acquired');
    }
    for (const reply of [null, 'acquired', ['acquired', '0'], ['acquired', '1e3'], ['owned', 'bad id!', '3'], ['what']]) {
      expect(() => parseAcquireReply(reply), JSON.stringify(reply)).toThrow(/unexpected/);
    }
  });

  it('lists live nodes and sweeps what dead ones left, in bounded batches', async () => {
    const deadConn = client();
    await deadConn.connect();
    const dead = await node('dead', 1000, deadConn);
    const live = await node('live', 1000);
    for (let i = 0; i < 5; i++) expect((await dead.acquire(`u${i}`, 5)).kind).toBe('acquired');
    expect((await live.liveNodes()).sort()).toEqual(['dead', 'live']);
    deadConn.disconnect();
    await sleep(2 * 1000 + 300);
    expect(await live.liveNodes()).toEqual(['live']);
    expect(await live.sweep()).toBe(5);
    const admin = client();
    await admin.connect();
    expect(await admin.keys(`{${prefix}}:owner:*`)).toEqual([]);
    expect(await admin.zrange(live.keys.nodes, 0, -1)).toEqual([expect.stringMatching(/^live /)]);
  });
});
