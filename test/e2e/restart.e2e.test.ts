/**
 * The official core's local database outlives the gateway: after a restart a returning
 * user logs in from the same SQLite file and has its history even with the IM server gone.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { defaultServerOptions } from '../../src/config/options.ts';
import { DEFAULT_SECRET, startDevServer, type DevServer } from '../../src/devserver/dev-server.ts';
import { TestClient } from '../helpers/gateway.ts';
import { silentLogger, until } from '../helpers/cores.ts';

const WEB = 5;
const dataDir = mkdtempSync(join(tmpdir(), 'jssdk-restart-'));
const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dataDir, { recursive: true, force: true })];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function gateway(dev: { apiUrl: string; wsUrl: string }, extra: Partial<Parameters<typeof startServer>[0]> = {}): Promise<RunningServer> {
  return startServer({
    ...defaultServerOptions(),
    host: '127.0.0.1',
    port: 0,
    core: 'official',
    workers: 1,
    dataDir,
    openimApi: dev.apiUrl,
    openimWs: dev.wsUrl,
    logLevel: 'silent',
    logger: silentLogger,
    ...extra,
  });
}

async function loggedIn(gw: RunningServer, userID: string, token: string): Promise<TestClient> {
  const c = await TestClient.connect(gw, userID, WEB, token);
  cleanups.push(() => c.close());
  const login = await c.login(userID, token);
  expect(login.errCode).toBe(0);
  return c;
}

function texts(historyJson: string): string[] {
  const page = JSON.parse(historyJson) as { messageList: Array<{ textElem?: { content: string } }> };
  return page.messageList.map((m) => m.textElem?.content ?? '');
}

describe('returning login after a gateway restart', () => {
  it('reopens the same SQLite file: history is there with the IM server gone', async () => {
    const dev: DevServer = await startDevServer({ apiPort: 0, wsPort: 0, logger: silentLogger });
    let devClosed = false;
    cleanups.push(() => (devClosed ? undefined : dev.close()));
    const aliceToken = await dev.userToken('alice', WEB);
    const bobToken = await dev.userToken('bob', WEB);

    const first = await gateway(dev);
    const alice = await loggedIn(first, 'alice', aliceToken);
    const bob = await loggedIn(first, 'bob', bobToken);
    await bob.event('OnSyncServerFinish');
    for (const text of ['one', 'two', 'three']) {
      const created = await alice.request('CreateTextMessage', [text]);
      expect((await alice.request('SendMessageNotOss', [created.data, 'bob', '', '{}', false])).errCode).toBe(0);
    }
    await until(() => bob.events.filter((e) => e.event === 'OnRecvNewMessages').length === 3, 10_000);
    await first.close();
    expect(existsSync(join(dataDir, 'users', 'bob', String(WEB), 'openim-local.db'))).toBe(true);

    // The IM server goes away; the restarted gateway checks tokens locally (same secret).
    await dev.close();
    devClosed = true;
    const second = await gateway(dev, { auth: 'jwt', jwtSecret: DEFAULT_SECRET });
    cleanups.push(() => second.close());
    const bobAgain = await loggedIn(second, 'bob', bobToken);
    const history = await bobAgain.request('GetAdvancedHistoryMessageList', [
      JSON.stringify({ conversationID: 'si_alice_bob', startClientMsgID: '', count: 10, lastMinSeq: 0 }),
    ]);
    expect(history.errCode).toBe(0);
    expect(texts(history.data)).toEqual(['one', 'two', 'three']);
    const conversations = await bobAgain.request('GetAllConversationList');
    expect(JSON.parse(conversations.data)).toEqual([expect.objectContaining({ conversationID: 'si_alice_bob' })]);
  }, 60_000);
});
