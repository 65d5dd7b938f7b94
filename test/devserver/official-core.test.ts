/**
 * The official core (@openim/wasm-client-sdk 3.8.5) against the dev server, through our
 * host and the storage bridge: (a) login → sync finished → getSelfUserInfo, (b) messages
 * both ways with pushes and offline delivery, (c) a three-member group, (d) kicks and
 * token expiry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallResult } from '../../core-wasm/call-result.ts';
import type { CoreInstance } from '../../core-wasm/core-instance.ts';
import { createStorageBridge, type StorageBridge } from '../../core-wasm/storage/bridge.ts';
import { startDevServer, type DevServer } from '../../src/devserver/dev-server.ts';
import { silentLogger, startCore, until } from '../helpers/cores.ts';
import { callApi } from './helpers/im-client.ts';

interface CoreEvent {
  event: string;
  data: unknown;
  raw: string;
}

interface User {
  userID: string;
  core: CoreInstance;
  bridge: StorageBridge;
  events: CoreEvent[];
  token: string;
}

let server: DevServer;
const users: User[] = [];
const dirs: string[] = [];

function value(r: CallResult): unknown {
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  return r.value;
}

async function newUser(userID: string, ttlSeconds?: number): Promise<User> {
  const dir = mkdtempSync(join(tmpdir(), `devserver-core-${userID}-`));
  dirs.push(dir);
  const bridge = createStorageBridge({ dataDir: dir, userID, platformID: 5, logger: silentLogger });
  const events: CoreEvent[] = [];
  const core = await startCore(
    `${userID}/5`,
    {
      globals: bridge.globals,
      onEvent: (json) => {
        const e = JSON.parse(json) as { event?: string; data?: unknown };
        events.push({ event: String(e.event), data: e.data, raw: json });
      },
    },
    'official',
  );
  const config = { platformID: 5, apiAddr: server.apiUrl, wsAddr: server.wsUrl, dataDir: dir, logLevel: 1, isLogStandardOutput: false, logFilePath: dir };
  expect(value(await core.call('initSDK', `init-${userID}`, [JSON.stringify(config)]))).toEqual([true]);
  const user = { userID, core, bridge, events, token: await server.userToken(userID, 5, { ttlSeconds }) };
  users.push(user);
  return user;
}

async function login(u: User): Promise<void> {
  value(await u.core.call('login', `login-${u.userID}`, [u.userID, u.token]));
  await until(() => saw(u, 'OnSyncServerFinish'), 20_000);
}

function saw(u: User, event: string, text = ''): boolean {
  return u.events.some((e) => e.event === event && e.raw.includes(text));
}

async function send(from: User, text: string, to: { recvID?: string; groupID?: string }): Promise<void> {
  const msg = value(await from.core.call('createTextMessage', 'create', [text]));
  value(await from.core.call('sendMessageNotOss', 'send', [String(msg), to.recvID ?? '', to.groupID ?? '', '{}', false]));
}

let alice: User;
let bob: User;
let carol: User;

beforeAll(async () => {
  server = await startDevServer({ apiPort: 0, wsPort: 0 });
  [alice, bob, carol] = [await newUser('alice'), await newUser('bob'), await newUser('carol')];
}, 120_000);

afterAll(async () => {
  for (const u of users) {
    u.core.dispose();
    u.bridge.close();
  }
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('official core ↔ dev server', () => {
  it('(a) login reaches OnSyncServerFinish(true); getSelfUserInfo answers', async () => {
    await Promise.all([login(alice), login(bob), login(carol)]);
    expect(alice.events.map((e) => e.event)).toEqual(expect.arrayContaining(['OnConnecting', 'OnConnectSuccess', 'OnSyncServerStart']));
    expect(alice.events.find((e) => e.event === 'OnSyncServerFinish')?.data).toBe(true);
    const self = JSON.parse(String(value(await alice.core.call('getSelfUserInfo', 'self', [])))) as { userID: string; nickname: string };
    expect(self).toMatchObject({ userID: 'alice', nickname: 'alice' });
  }, 60_000);

  it('(b) alice ↔ bob, both ways, with pushes', async () => {
    await send(alice, 'hello bob', { recvID: 'bob' });
    await until(() => saw(bob, 'OnRecvNewMessages', 'hello bob'), 10_000);
    await send(bob, 'hi alice', { recvID: 'alice' });
    await until(() => saw(alice, 'OnRecvNewMessages', 'hi alice'), 10_000);
    const list = JSON.parse(String(value(await alice.core.call('getAllConversationList', 'list', [])))) as { conversationID: string; unreadCount: number }[];
    expect(list).toEqual([expect.objectContaining({ conversationID: 'si_alice_bob', unreadCount: 1 })]);
  }, 30_000);

  it('(b) a user who was offline finds the messages after a fresh login', async () => {
    await server.userToken('erin');
    await send(alice, 'while you were out', { recvID: 'erin' });
    const erin = await newUser('erin');
    await login(erin);
    await until(() => {
      const raw = erin.events.map((e) => e.raw).join('');
      return raw.includes('si_alice_erin');
    }, 10_000);
    const history = String(
      value(
        await erin.core.call('getAdvancedHistoryMessageList', 'hist', [
          JSON.stringify({ conversationID: 'si_alice_erin', count: 20, startClientMsgID: '', lastMinSeq: 0 }),
        ]),
      ),
    );
    expect(history).toContain('while you were out');
  }, 60_000);

  it('(c) a three-member group: every member hears of it and gets the message', async () => {
    const created = JSON.parse(
      String(
        value(
          await alice.core.call('createGroup', 'group', [
            JSON.stringify({ memberUserIDs: ['bob', 'carol'], adminUserIDs: [], ownerUserID: 'alice', groupInfo: { groupName: 'team', groupType: 2 } }),
          ]),
        ),
      ),
    ) as { groupID: string };
    for (const u of [alice, bob, carol]) await until(() => saw(u, 'OnJoinedGroupAdded', created.groupID), 10_000);
    await send(bob, 'hi team', { groupID: created.groupID });
    for (const u of [alice, carol]) await until(() => saw(u, 'OnRecvNewMessages', 'hi team'), 10_000);
  }, 30_000);

  it('(d) force_logout → OnKickedOffline', async () => {
    const admin = await server.adminToken();
    const r = await callApi(server.apiUrl, '/auth/force_logout', { userID: 'carol', platformID: 5 }, { token: admin });
    expect(r.json?.errCode).toBe(0);
    await until(() => saw(carol, 'OnKickedOffline'), 10_000);
  }, 30_000);

  it('(d) an expired token → OnUserTokenExpired on the next API call', async () => {
    const dave = await newUser('dave', 2);
    await login(dave);
    await new Promise((r) => setTimeout(r, 2_500));
    const r = await dave.core.call('getUsersInfo', 'users', [JSON.stringify(['alice'])]);
    expect(r.ok).toBe(false);
    await until(() => saw(dave, 'OnUserTokenExpired'), 10_000);
  }, 60_000);

  it('(d) a second login on the same platform kicks the first core', async () => {
    const bob2 = await newUser('bob');
    value(await bob2.core.call('login', 'login-bob2', ['bob', bob2.token]));
    await until(() => saw(bob, 'OnKickedOffline'), 10_000);
  }, 60_000);
});
