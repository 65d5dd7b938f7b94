/**
 * The official core (@openim/wasm-client-sdk 3.8.5) against the bridge: initSDK, then
 * login, which opens the database and reads it before it needs the IM server. Without
 * a server the sync stops there; the full login/sync/send path needs the dev server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreInstance } from '../../../core-wasm/core-instance.ts';
import type { CallResult } from '../../../core-wasm/call-result.ts';
import { createStorageBridge, type StorageBridge } from '../../../core-wasm/storage/bridge.ts';
import { silentLogger, startCore, TEST_SDK_CONFIG } from '../../helpers/cores.ts';
import { type Envelope, tempDir } from './helpers.ts';

function value(r: CallResult): unknown {
  if (!r.ok) throw new Error(`call failed: ${r.error.kind}: ${r.error.message}`);
  return r.value;
}

describe('official core with the storage bridge', () => {
  let dir: { dir: string; remove(): void };
  let bridge: StorageBridge;
  let core: CoreInstance;
  let blackHole: Server;
  const sockets = new Set<Socket>();
  const calls: Array<{ fn: string; args: unknown[]; answer: string }> = [];

  beforeAll(async () => {
    dir = tempDir('storage-official-');
    // An address that accepts connections and never answers. (A refused port, as in
    // TEST_SDK_CONFIG, sends this core into a reconnect loop that never yields the
    // thread once login has returned; see the report to the lead.)
    blackHole = createServer(() => {});
    blackHole.on('connection', (s) => sockets.add(s));
    blackHole.listen(0, '127.0.0.1');
    await once(blackHole, 'listening');
    bridge = createStorageBridge({ dataDir: dir.dir, userID: 'u1', platformID: 5, logger: silentLogger });
    // Record what the core calls, passing every call through unchanged.
    const globals: Record<string, unknown> = {};
    for (const [fn, g] of Object.entries(bridge.globals)) {
      globals[fn] = (...args: unknown[]) =>
        g(...args).then((answer) => {
          calls.push({ fn, args, answer: typeof answer === 'string' ? answer : '<bytes>' });
          return answer;
        });
    }
    core = await startCore('u1/5', { globals }, 'official');
  }, 120_000);

  afterAll(() => {
    core?.dispose();
    bridge?.close();
    for (const s of sockets) s.destroy();
    blackHole?.close();
    dir?.remove();
  });

  it('hides the storage functions from clients (host globals, not core API)', () => {
    expect(core.functionNames()).toEqual(expect.arrayContaining(['initSDK', 'login']));
    expect(core.functionNames()).not.toContain('initDB');
    expect(core.functionNames()).not.toContain('getMessageList');
  });

  it('login opens this user’s database through initDB and reads it as a fresh install', async () => {
    const port = (blackHole.address() as AddressInfo).port;
    const config = {
      ...(JSON.parse(TEST_SDK_CONFIG) as Record<string, unknown>),
      dataDir: dir.dir,
      apiAddr: `http://127.0.0.1:${port}`,
      wsAddr: `ws://127.0.0.1:${port}`,
    };
    expect(value(await core.call('initSDK', 'op-init', [JSON.stringify(config)]))).toEqual([true]);
    expect(calls).toEqual([]);
    expect(value(await core.call('login', 'op-login', ['u1', 'token']))).toBe('""');
    core.dispose();

    expect(calls[0]).toMatchObject({ fn: 'initDB', args: ['u1', dir.dir], answer: '{"errCode":0,"errMsg":"","data":""}' });
    expect(bridge.isOpen).toBe(true);
    expect(bridge.databaseFile.startsWith(dir.dir)).toBe(true);
    // docs/core-storage.md#login-sequence step 1: what login reads before it resolves.
    expect(calls.map((c) => c.fn)).toEqual(['initDB', 'getAllSendingMessages', 'getAllConversationIDList', 'getAppSDKVersion', 'getNotificationAllSeqs']);
    expect(JSON.parse(calls.find((c) => c.fn === 'getAppSDKVersion')!.answer)).toMatchObject({ errCode: 10002 });
    for (const c of calls) expect((JSON.parse(c.answer) as Envelope).errCode, c.fn).not.toBe(10001);
  });
});
