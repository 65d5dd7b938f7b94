/**
 * Several nodes as operators run them: the real CLI in three processes (official core), joined
 * through a real redis-server, behind a real nginx hashing on `sendID` (the routing of
 * deploy/nginx/nginx.conf), the dev server as the IM server, and the real open-im-sdk 3.5.2
 * client in browser tabs. Between the gateways and the IM server a relay counts each
 * user+platform's IM logins: two at once would mean two nodes logged the same user in.
 *
 * Node C runs from the start but nginx learns of it only in "add a node", as an operator adds
 * one. Which users move to C is read from a second nginx that already lists it (nginx decides
 * where a sendID goes, not us), so the test picks users that really move.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CbEvents } from 'open-im-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalNginx } from '../../scripts/lib/nginx.ts';
import { LocalRedis } from '../../scripts/lib/redis-server.ts';
import { startDevServer, type DevServer } from '../../src/devserver/dev-server.ts';
import { CliGateway } from '../helpers/cli-process.ts';
import { silentLogger } from '../helpers/cores.ts';
import { E2eClient, receivedMessages, TrackedSocket, textOf, until, within, WEB, type MessageLike } from '../e2e/helpers/harness.ts';
import { startImLogins, type ImLogins } from './helpers/im-logins.ts';

const NODES = ['gw-a', 'gw-b', 'gw-c'] as const;
type NodeName = (typeof NODES)[number];
const LEASE_MS = 2000;
/** open-im-sdk 3.5.2 waits 5 s before it reconnects; then a login, maybe a lease to run out. */
const BACK_WITHIN_MS = 20_000;

let redis: LocalRedis;
let dev: DevServer;
let im: ImLogins;
let nginx: LocalNginx;
const gateways = new Map<NodeName, CliGateway>();
const dataDir = mkdtempSync(join(tmpdir(), 'jssdk-cluster-'));
const tabs: E2eClient[] = [];
const tokens = new Map<string, string>();
/** Where nginx sends each candidate user with A+B, and with A+B+C. */
const routeAB = new Map<string, NodeName>();
const routeABC = new Map<string, NodeName>();
let previousWebSocket: unknown;

const upstream = (n: NodeName): string => `127.0.0.1:${gateways.get(n)!.port}`;

async function nodeOf(nginxPort: number, userID: string): Promise<NodeName> {
  const res = await fetch(`http://127.0.0.1:${nginxPort}/healthz?sendID=${userID}`);
  const body = (await res.json()) as { cluster?: { nodeId: string } };
  return body.cluster!.nodeId as NodeName;
}

beforeAll(async () => {
  previousWebSocket = globalThis.WebSocket;
  // The client looks for a global WebSocket when it logs in; tracked so a test sees every socket.
  (globalThis as { WebSocket: unknown }).WebSocket = TrackedSocket;
  [redis, dev] = await Promise.all([LocalRedis.start(), startDevServer({ apiPort: 0, wsPort: 0, logger: silentLogger })]);
  im = await startImLogins(dev.wsUrl);
  const started = await Promise.all(
    NODES.map((name) =>
      CliGateway.start([
        '--core',
        'official',
        '--workers',
        '1',
        '--redis',
        redis.url,
        '--node-id',
        name,
        '--lease-ttl',
        String(LEASE_MS),
        '--openim-api',
        dev.apiUrl,
        '--openim-ws',
        im.url,
        '--data-dir',
        join(dataDir, name),
        '--admin-token',
        'sekret',
      ]),
    ),
  );
  NODES.forEach((name, i) => gateways.set(name, started[i]!));
  nginx = await LocalNginx.start([upstream('gw-a'), upstream('gw-b')]);
  const future = await LocalNginx.start(NODES.map(upstream));
  try {
    for (let i = 0; i < 60; i++) {
      const userID = `cl${i}`;
      routeAB.set(userID, await nodeOf(nginx.port, userID));
      routeABC.set(userID, await nodeOf(future.port, userID));
    }
  } finally {
    await future.close();
  }
}, 120_000);

afterAll(async () => {
  for (const tab of tabs) tab.socket?.terminate();
  await nginx?.close();
  await Promise.all([...gateways.values()].map((g) => g.stop()));
  await im?.close();
  await dev?.close();
  await redis?.close();
  rmSync(dataDir, { recursive: true, force: true });
  (globalThis as { WebSocket: unknown }).WebSocket = previousWebSocket;
}, 60_000);

/** A tab of `userID` logged in through nginx. */
async function tab(userID: string): Promise<E2eClient> {
  let token = tokens.get(userID);
  if (token === undefined) {
    token = await dev.userToken(userID, WEB);
    tokens.set(userID, token);
  }
  const t = new E2eClient(userID, token, `${userID}#${tabs.filter((x) => x.userID === userID).length + 1}`);
  tabs.push(t);
  const res = await within(t.login({ wsAddr: nginx.url, dev }), `${t.name} login`, 20_000);
  expect(res.errCode).toBe(0);
  return t;
}

/** Picks users by where nginx sends them now and after C joins. */
function users(count: number, match: (now: NodeName, later: NodeName) => boolean): string[] {
  const picked = [...routeAB.keys()].filter((u) => !tokens.has(u) && match(routeAB.get(u)!, routeABC.get(u)!)).slice(0, count);
  expect(picked.length, 'enough candidate users').toBe(count);
  return picked;
}

interface SessionRow {
  userID: string;
  platformID: number;
  state: string;
  connections: number;
  nodeId: NodeName;
}

async function clusterSessions(via: NodeName): Promise<SessionRow[]> {
  const res = await fetch(`http://127.0.0.1:${gateways.get(via)!.port}/admin/sessions`, { headers: { authorization: 'Bearer sekret' } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { sessions: SessionRow[] }).sessions;
}

/** The tab's newest socket is open and its Login (first, or after a reconnect) was answered 0. */
function loggedInAgain(t: E2eClient, socketsBefore: number): boolean {
  const s = t.socket;
  return t.sockets().length > socketsBefore && s !== undefined && s.readyState === s.OPEN && s.frames.some((f) => f.event === 'Login' && f.errCode === 0);
}

function kicksSeen(list: readonly E2eClient[]): string[] {
  const ended = new Set(['OnKickedOffline', 'OnUserTokenExpired', 'OnUserTokenInvalid']);
  return list.flatMap((t) =>
    t
      .frames()
      .filter((f) => ended.has(f.event))
      .map((f) => `${t.name}: ${f.event}`),
  );
}

const live = (): NodeName[] => NODES.filter((n) => gateways.get(n)!.alive);

describe('several nodes behind nginx, coordinated through Redis', () => {
  it('all tabs of a user reach one core, on the node nginx hashes the user to', async () => {
    const picked = [...users(2, (now, later) => now === 'gw-a' && later === 'gw-a'), ...users(2, (now, later) => now === 'gw-b' && later === 'gw-b')];
    for (const u of picked) for (let i = 0; i < 3; i++) await tab(u);
    const sessions = await clusterSessions('gw-c');
    for (const u of picked) {
      const mine = sessions.filter((s) => s.userID === u);
      expect(mine, u).toEqual([expect.objectContaining({ platformID: WEB, state: 'logged-in', connections: 3, nodeId: routeAB.get(u) })]);
    }
    expect(im.maxAtOnce()).toBe(1);
  });

  it('an admin kick on one node ends a session another node holds', async () => {
    const [u] = users(1, (now) => now === 'gw-b');
    const t = await tab(u!);
    const res = await fetch(`http://127.0.0.1:${gateways.get('gw-a')!.port}/admin/kick?userID=${u}`, { method: 'POST', headers: { authorization: 'Bearer sekret' } });
    const body = (await res.json()) as { kicked: number; nodes: Array<{ nodeId: string; kicked: number; answered: boolean }> };
    expect(body.kicked).toBe(1);
    expect(body.nodes).toContainEqual({ nodeId: 'gw-b', answered: true, kicked: 1 });
    expect(body.nodes.every((n) => n.answered)).toBe(true);
    await t.waitEvent(CbEvents.OnKickedOffline);
    await until(async () => !(await clusterSessions('gw-a')).some((s) => s.userID === u) || undefined, `${u} gone from the cluster`);
  });

  it('adding a node (nginx reload): the users that move are handed over, none kicked', async () => {
    const moving = users(3, (now, later) => later === 'gw-c' && now !== 'gw-c');
    const staying = users(2, (now, later) => later === now);
    const oldTabs: E2eClient[] = [];
    for (const u of [...moving, ...staying]) oldTabs.push(await tab(u), await tab(u));
    const before = new Map(oldTabs.map((t) => [t, t.sockets().length]));

    await nginx.setUpstreams(NODES.map(upstream));
    // A user's next socket (a new tab here; a reconnect would do the same) goes where nginx now sends it.
    const newTabs: E2eClient[] = [];
    for (const u of [...moving, ...staying]) newTabs.push(await tab(u));
    // Each new tab's Login was answered only after the old holder let go: never two IM logins.
    expect(im.maxAtOnce()).toBe(1);

    const movedOld = oldTabs.filter((t) => moving.includes(t.userID));
    await until(() => movedOld.every((t) => loggedInAgain(t, before.get(t)!)), "moved users' old tabs back, on C", BACK_WITHIN_MS);
    for (const t of movedOld) expect((await t.sockets()[before.get(t)! - 1]!.closed).code).toBe(1012);
    // Tabs of users that stay were not touched.
    for (const t of oldTabs.filter((x) => staying.includes(x.userID))) expect(t.sockets().length).toBe(before.get(t));

    const sessions = await clusterSessions('gw-a');
    for (const u of moving)
      expect(
        sessions.filter((s) => s.userID === u),
        u,
      ).toEqual([expect.objectContaining({ nodeId: 'gw-c', connections: 3, state: 'logged-in' })]);
    for (const u of staying)
      expect(
        sessions.filter((s) => s.userID === u),
        u,
      ).toEqual([expect.objectContaining({ nodeId: routeAB.get(u), connections: 3 })]);
    expect(kicksSeen([...oldTabs, ...newTabs])).toEqual([]);
    expect(im.maxAtOnce()).toBe(1);
    expect(await gateways.get('gw-c')!.metric('openim_jssdk_cluster_handovers_total', { side: 'taking', outcome: 'ok' })).toBe(moving.length);
  }, 60_000);

  it('SIGTERM one node under traffic: its users log in on the others, none kicked, no message lost', async () => {
    // Tabs opened now follow the three-node routing: users nginx sends to B, a sender on A.
    const onB = users(3, (_now, later) => later === 'gw-b');
    const [senderID] = users(1, (_now, later) => later === 'gw-a');
    const victims: E2eClient[] = [];
    for (const u of onB) victims.push(await tab(u), await tab(u));
    const sender = await tab(senderID!);
    await Promise.all(victims.map((t) => t.waitEvent(CbEvents.OnSyncServerFinish, () => true, 20_000)));
    const before = new Map(victims.map((t) => [t, t.sockets().length]));

    const sent = new Map<string, string[]>(onB.map((u) => [u, []]));
    let sending = true;
    let failedSends = 0;
    const traffic = (async () => {
      for (let round = 0; sending && round < 200; round++) {
        for (const u of onB) {
          const text = `to ${u} #${round}`;
          try {
            const created = await within(sender.sdk.createTextMessage(text), 'createTextMessage');
            await within(sender.sdk.sendMessage({ recvID: u, groupID: '', message: created.data }), `send ${text}`);
            sent.get(u)!.push(text);
          } catch {
            failedSends++;
          }
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    await new Promise((r) => setTimeout(r, 600));
    const stopping = gateways.get('gw-b')!.stop();
    await until(() => victims.every((t) => loggedInAgain(t, before.get(t)!)), "B's users back on another node", BACK_WITHIN_MS);
    expect(await stopping).toBe(0);
    // A little more traffic once everyone is back, then stop.
    await new Promise((r) => setTimeout(r, 1000));
    sending = false;
    await traffic;
    expect(failedSends).toBe(0);

    const sessions = await clusterSessions('gw-a');
    for (const u of onB) {
      const mine = sessions.filter((s) => s.userID === u);
      expect(mine.length, u).toBe(1);
      expect(mine[0]!.nodeId).not.toBe('gw-b');
    }
    expect(kicksSeen(victims)).toEqual([]);
    expect(im.maxAtOnce()).toBe(1);

    // Every message reached the user: as an event in one of its tabs, or in its history once back.
    for (const u of onB) {
      const mine = victims.filter((t) => t.userID === u);
      const seen = new Set(mine.flatMap((t) => receivedMessages(t).map((m) => textOf(m))));
      const conversationID = `si_${[senderID!, u].sort().join('_')}`;
      const history = await within(mine[0]!.sdk.getAdvancedHistoryMessageList({ conversationID, count: 300, startClientMsgID: '', lastMinSeq: 0 }), `${u} history`);
      for (const m of history.data.messageList as MessageLike[]) seen.add(textOf(m));
      const missing = sent.get(u)!.filter((text) => !seen.has(text));
      expect(sent.get(u)!.length).toBeGreaterThan(5);
      expect(missing, u).toEqual([]);
    }
  }, 90_000);

  it('kill -9 a node: its users are served elsewhere within a few seconds, none kicked', async () => {
    const holder = live().find((n) => n !== 'gw-a') ?? 'gw-c';
    const sessions = await clusterSessions('gw-a');
    const theirs = [...new Set(sessions.filter((s) => s.nodeId === holder).map((s) => s.userID))];
    expect(theirs.length).toBeGreaterThan(0);
    const victims = tabs.filter((t) => theirs.includes(t.userID) && t.connected);
    const before = new Map(victims.map((t) => [t, t.sockets().length]));
    const killedAt = performance.now();
    process.kill(gateways.get(holder)!.pid, 'SIGKILL');
    await until(() => victims.every((t) => loggedInAgain(t, before.get(t)!)), `${holder}'s users back elsewhere`, BACK_WITHIN_MS);
    const backAfter = performance.now() - killedAt;
    // 5 s of the client's own reconnect delay, then at most the lease and a login.
    expect(backAfter).toBeLessThan(5000 + LEASE_MS + 5000);
    const after = await clusterSessions('gw-a');
    for (const u of theirs)
      expect(
        after.filter((s) => s.userID === u).map((s) => s.nodeId),
        u,
      ).toEqual(['gw-a']);
    expect(kicksSeen(victims)).toEqual([]);
    expect(im.maxAtOnce()).toBe(1);
  }, 60_000);
});
