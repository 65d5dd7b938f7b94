/**
 * The official core with its IM server unreachable: its errors name the IM's address (and
 * its WebSocket URL carries the user's token). What reaches the client says what failed
 * without either; the debug log keeps the raw text for the operator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultServerOptions } from '../../src/config/options.ts';
import { OpenImTokenVerifier } from '../../src/auth/openim-verifier.ts';
import { CachingTokenVerifier } from '../../src/auth/token-cache.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startFakeIm, TestClient, tokenFor, type FakeIm } from '../helpers/gateway.ts';
import { captureLogger } from '../helpers/cores.ts';

/** Nothing listens here; the core's HTTP and WebSocket calls to it fail. */
const UNREACHABLE_API = 'http://127.0.0.1:1';
const UNREACHABLE_WS = 'ws://127.0.0.1:1';

let im: FakeIm;
let gw: RunningServer;
let dataDir: string;
const log = captureLogger('debug');

beforeAll(async () => {
  im = await startFakeIm();
  dataDir = mkdtempSync(join(tmpdir(), 'jssdk-redaction-'));
  gw = await startServer({
    ...defaultServerOptions(),
    host: '127.0.0.1',
    port: 0,
    core: 'official',
    workers: 1,
    openimApi: UNREACHABLE_API,
    openimWs: UNREACHABLE_WS,
    dataDir,
    // The cores' own logs stay quiet; the gateway's debug lines (with the raw texts) are captured.
    logLevel: 'silent',
    logger: log.logger,
    // Handshakes are verified by the stand-in; only the core is cut off from its IM server.
    verifier: new CachingTokenVerifier(new OpenImTokenVerifier({ apiBase: im.url })),
  });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await im?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('official core, IM server unreachable', () => {
  it('neither a call error nor OnConnectFailed tells the client the IM address or the token', async () => {
    const token = tokenFor('alice');
    const c = await TestClient.connect(gw, 'alice', 5, token);
    expect((await c.login('alice', token)).errCode).toBe(0);
    const failed = await c.event('OnConnectFailed');
    const info = await c.request('GetSelfUserInfo');
    c.close();

    expect(info.errCode).not.toBe(0);
    expect(info.errMsg).toMatch(/Post "<url>"/);
    expect(failed.errMsg).toMatch(/failed to WebSocket dial "<url>"/);
    for (const frame of [...c.events, ...c.responses]) {
      expect(frame.errMsg).not.toContain('127.0.0.1');
      expect(frame.errMsg).not.toContain(token);
    }
    // The operator still sees what the core said.
    const details = log.lines.map((l) => (typeof l['detail'] === 'string' ? l['detail'] : ''));
    expect(details.some((d) => d.includes(`${UNREACHABLE_API}/user/get_users_info`))).toBe(true);
    expect(details.some((d) => d.includes(`failed to WebSocket dial "${UNREACHABLE_WS}`))).toBe(true);
  });
});
