/**
 * The real client's session life cycle through the gateway (official core) and the dev
 * server: login, logout, kicks, token expiry, concurrent logins, reconnects. Every test
 * uses its own users and checks that the gateway freed what it should.
 */
import { CbEvents, type MessageItem } from 'open-im-sdk';
import { WebSocket } from 'ws';
import { describe, expect, it, vi } from 'vitest';
import { E2eClient, WEB, coresOf, e2eEnvForFile, imApi, logoutAll, sleep, textOf, until, within, type E2eEnv } from './helpers/harness.ts';
import { startTcpProxy } from './helpers/tcp-proxy.ts';

/** Longer than the client's 5 s reconnect delay, so a reconnect finds the core still logged in. */
const GRACE_SECONDS = 30;

let env: E2eEnv;
const clients = e2eEnvForFile((started) => (env = started), { gateway: { gracePeriodSeconds: GRACE_SECONDS } });

/** Tabs of one user sharing one token (a fresh token would kick the earlier ones). */
function tabs(userID: string, token: string, count: number): E2eClient[] {
  const opened = Array.from({ length: count }, (_, i) => new E2eClient(userID, token, `${userID}#${i + 1}`));
  clients.push(...opened);
  return opened;
}

async function loggedIn(userID: string, count = 1): Promise<E2eClient[]> {
  const opened = tabs(userID, await env.dev.userToken(userID), count);
  for (const tab of opened) expect((await within(tab.login(env), `${tab.name} login`)).errCode).toBe(0);
  await opened[0]!.waitEvent(CbEvents.OnSyncServerFinish);
  return opened;
}

async function sendText(from: E2eClient, text: string, recvID: string): Promise<MessageItem> {
  const created = await within(from.sdk.createTextMessage(text), 'createTextMessage');
  return (await within(from.sdk.sendMessage({ recvID, groupID: '', message: created.data }), 'sendMessage')).data;
}

function sessionOf(userID: string): ReturnType<E2eEnv['gw']['hub']['get']> {
  return env.gw.hub.get(userID, WEB);
}

/** Waits until the gateway holds neither a session nor a core for the user. */
async function freed(userID: string): Promise<void> {
  await until(() => sessionOf(userID) === undefined && coresOf(env, userID) === 0, `${userID}'s session and core freed`);
}

describe('e2e: sessions with open-im-sdk 3.5.2 → gateway (official core) → dev server', () => {
  it('login and getSelfUserInfo', async () => {
    const [tab] = tabs('e2e_sam', await env.dev.userToken('e2e_sam'), 1);
    const res = await within(tab!.login(env), 'login');
    expect(res).toMatchObject({ event: 'Login', errCode: 0, errMsg: '' });
    await tab!.waitEvent(CbEvents.OnConnectSuccess);
    await tab!.waitEvent(CbEvents.OnSyncServerFinish);

    const self = await within(tab!.sdk.getSelfUserInfo(), 'getSelfUserInfo');
    expect(self.data).toMatchObject({ userID: 'e2e_sam', nickname: 'e2e_sam', faceURL: '', globalRecvMsgOpt: 0 });
    expect((await within(tab!.sdk.getLoginStatus(), 'getLoginStatus')).data).toBe(3);
    expect((await within(tab!.sdk.getLoginUserID(), 'getLoginUserID')).data).toBe('e2e_sam');
    expect(sessionOf('e2e_sam')).toMatchObject({ state: 'logged-in', connections: 1 });
    expect(coresOf(env, 'e2e_sam')).toBe(1);
  }, 30_000);

  it("core errors reach the client with the core's real code and without its Go stack", async () => {
    const [tab] = await loggedIn('e2e_erin');
    // The core answers 10005 wrapping 10100 with a Go stack; the client must see 10100.
    const unknownUser = await tab!.sdk.getUsersInfoWithCache({ userIDList: ['e2e_nobody_at_all'] }).then(
      (r) => ({ ok: r }),
      (e: { errCode: number; errMsg: string }) => e,
    );
    expect(unknownUser).toMatchObject({ errCode: 10100 });
    expect((unknownUser as { errMsg: string }).errMsg).toMatch(/User ID not found/);
    expect((unknownUser as { errMsg: string }).errMsg).not.toMatch(/->|github\.com|not implement CodeError/);
  }, 30_000);

  it('logout: the app of the other tab hears OnKickedOffline (reason Logout), every socket closes, the core is freed; logging in again works', async () => {
    const [first, second] = await loggedIn('e2e_lou', 2);
    expect(coresOf(env, 'e2e_lou')).toBe(1);

    const res = await within(first!.sdk.logout(), 'logout');
    expect(res).toMatchObject({ event: 'Logout', errCode: 0 });
    // client 3.5.2 hands OnKickedOffline to the app and stops reconnecting
    const ended = await second!.waitEvent(CbEvents.OnKickedOffline);
    expect(ended).toMatchObject({ errCode: 0, operationID: '', data: { reason: 'Logout' } });
    expect(first!.named(CbEvents.OnKickedOffline), 'the tab that logged out is not told').toHaveLength(0);
    // the Logout frame follows, for raw clients
    const notice = await until(() => second!.frames().find((f) => f.event === 'Logout'), 'the other tab gets the Logout frame');
    expect(notice).toMatchObject({ errCode: 0, operationID: '' });
    await within(Promise.all([first!.socket!.closed, second!.socket!.closed]), 'both sockets closed');
    await freed('e2e_lou');

    // the other tab's client is reset by the notice, so it can log in again at once
    const again = await within(second!.login(env), 'login after logout');
    expect(again.errCode).toBe(0);
    expect(second!.sockets()).toHaveLength(2);
    expect(coresOf(env, 'e2e_lou')).toBe(1);
    expect((await within(second!.sdk.getSelfUserInfo(), 'getSelfUserInfo')).data).toMatchObject({ userID: 'e2e_lou' });
  }, 30_000);

  it('force_logout on the IM server: OnKickedOffline on every tab, sockets closed, core freed', async () => {
    const [first, second] = await loggedIn('e2e_kim', 2);
    const kicked = await imApi(env, '/auth/force_logout', { userID: 'e2e_kim', platformID: WEB }, await env.dev.adminToken());
    expect(kicked.errCode).toBe(0);

    for (const tab of [first!, second!]) {
      const event = await tab.waitEvent(CbEvents.OnKickedOffline);
      expect(event).toMatchObject({ errCode: 0, operationID: '' });
      await within(tab.socket!.closed, `${tab.name} socket closed`);
      // the client does not try to come back after a kick
      expect(tab.sockets()).toHaveLength(1);
    }
    await freed('e2e_kim');

    // a new tab with the kicked token is refused: the gateway checks that token again (1506)
    const [late] = tabs('e2e_kim', first!.token, 1);
    const refused = await late!.login(env).then(
      (r) => r.errCode !== 0,
      () => true,
    );
    expect(refused).toBe(true);
    await freed('e2e_kim');
  }, 30_000);

  // The gateway forgets cached handshake verdicts of a session's tokens when the IM server
  // ends it, so the kicked token is checked again (1506) before any core starts.
  it('a kicked token is refused at Login, before any core starts', async () => {
    const [tab] = await loggedIn('e2e_kay');
    await imApi(env, '/auth/force_logout', { userID: 'e2e_kay', platformID: WEB }, await env.dev.adminToken());
    await tab!.waitEvent(CbEvents.OnKickedOffline);
    await freed('e2e_kay');
    let coresStarted = 0;
    const count = (): void => void (coresStarted = Math.max(coresStarted, coresOf(env, 'e2e_kay')));
    const timer = setInterval(count, 5);
    try {
      const [late] = tabs('e2e_kay', tab!.token, 1);
      const errCode = await within(
        late!.login(env).then(
          (r) => r.errCode,
          (r: { errCode: number }) => r.errCode,
        ),
        'login with the kicked token',
      );
      await sleep(300);
      expect(errCode).not.toBe(0);
      expect(coresStarted).toBe(0);
    } finally {
      clearInterval(timer);
    }
  }, 30_000);

  it('token expiry: OnUserTokenExpired on the next IM call, sockets closed, core freed', async () => {
    const ttlSeconds = 3;
    const issuedAt = Date.now();
    const token = await env.dev.userToken('e2e_tia', WEB, { ttlSeconds });
    const [tab] = tabs('e2e_tia', token, 1);
    expect((await within(tab!.login(env), 'login')).errCode).toBe(0);
    await tab!.waitEvent(CbEvents.OnSyncServerFinish);
    expect(tab!.named(CbEvents.OnUserTokenExpired)).toHaveLength(0);

    // the JWT counts whole seconds; be safely past it, then make the core ask the IM server something
    await sleep(issuedAt + (ttlSeconds + 1.2) * 1000 - Date.now());
    void tab!.sdk.getFriendApplicationListAsRecipient().catch(() => {});
    const expired = await tab!.waitEvent(CbEvents.OnUserTokenExpired);
    expect(expired.errCode).toBe(0);
    await within(tab!.socket!.closed, 'socket closed');
    await freed('e2e_tia');
  }, 30_000);

  it('a second login of the same user while the first is still logging in: both succeed, one core', async () => {
    const [first, second] = tabs('e2e_ola', await env.dev.userToken('e2e_ola'), 2);
    // A login takes tens of ms: the first one's core start is held until the second Login
    // has reached the session, so the two overlap on any machine.
    let releaseCoreStart!: () => void;
    const coreStartHeld = new Promise<void>((resolve) => (releaseCoreStart = resolve));
    const startCore = env.gw.pool.startCore.bind(env.gw.pool);
    const heldStart = vi.spyOn(env.gw.pool, 'startCore').mockImplementation(async (req) => {
      if (req.userID === 'e2e_ola') await coreStartHeld;
      return startCore(req);
    });
    try {
      const firstLogin = within(first!.login(env), 'first login');
      await until(() => sessionOf('e2e_ola')?.state === 'logging-in', 'the first login under way', 5000);
      const session = sessionOf('e2e_ola')!;
      const logins = vi.spyOn(session, 'login');
      const secondLogin = within(second!.login(env), 'second login');
      await until(() => logins.mock.calls.length === 1, 'the second Login at the session', 5000);
      expect(session.state).toBe('logging-in');
      releaseCoreStart();

      const [r1, r2] = await Promise.all([firstLogin, secondLogin]);
      expect(r1.errCode).toBe(0);
      expect(r2.errCode).toBe(0);
      logins.mockRestore();
    } finally {
      releaseCoreStart();
      heldStart.mockRestore();
    }
    expect(coresOf(env, 'e2e_ola')).toBe(1);
    expect(sessionOf('e2e_ola')).toMatchObject({ state: 'logged-in', connections: 2 });

    // both tabs are live on that one core
    const [peer] = await loggedIn('e2e_pia');
    const sent = await sendText(peer!, 'to both tabs', 'e2e_ola');
    for (const tab of [first!, second!]) {
      await tab.waitEvent(CbEvents.OnRecvNewMessages, (e) => (e.data as MessageItem[]).some((m) => m.clientMsgID === sent.clientMsgID));
    }
  }, 30_000);

  it('reconnect after the socket drops: the client reconnects by itself, logs in again on the same core, gets messages', async () => {
    const proxy = await startTcpProxy(env.gw.port);
    try {
      const [tab] = tabs('e2e_wes', await env.dev.userToken('e2e_wes'), 1);
      expect((await within(tab!.login({ wsAddr: proxy.url, dev: env.dev }), 'login')).errCode).toBe(0);
      await tab!.waitEvent(CbEvents.OnSyncServerFinish);
      const [peer] = await loggedIn('e2e_xan');
      const core = sessionOf('e2e_wes')?.coreId;
      expect(core).toBeDefined();

      proxy.dropAll();
      const dropped = await within(tab!.sockets()[0]!.closed, 'the dropped socket closes');
      expect(dropped.code).toBe(1006);
      await until(() => sessionOf('e2e_wes')?.connections === 0, 'the gateway notices the drop');
      // the core stays logged in through the grace period and keeps receiving
      const missed = await sendText(peer!, 'while away', 'e2e_wes');

      // the client's own path: 5 s later a new socket to the same URL, then Login again
      const reconnected = await until(() => tab!.sockets()[1], 'a second socket', 12_000);
      const relogin = await until(() => reconnected.frames.find((f) => f.event === 'Login'), 'Login answered on the new socket');
      expect(relogin.errCode).toBe(0);
      expect(sessionOf('e2e_wes')).toMatchObject({ state: 'logged-in', connections: 1, coreId: core });
      expect(coresOf(env, 'e2e_wes')).toBe(1);

      const after = await sendText(peer!, 'after reconnect', 'e2e_wes');
      const event = await tab!.waitEvent(CbEvents.OnRecvNewMessages, (e) => (e.data as MessageItem[]).some((m) => m.clientMsgID === after.clientMsgID));
      expect(textOf((event.data as MessageItem[])[0]!)).toBe('after reconnect');
      // what arrived during the gap is in the history (its live event had no socket to go to)
      const history = await within(
        tab!.sdk.getAdvancedHistoryMessageList({ conversationID: 'si_e2e_wes_e2e_xan', count: 10, startClientMsgID: '', lastMinSeq: 0 }),
        'history',
      );
      expect(history.data.messageList.map((m) => m.clientMsgID)).toEqual([missed.clientMsgID, after.clientMsgID]);
      expect(tab!.socket).toBe(reconnected);
      expect(reconnected.readyState).toBe(WebSocket.OPEN);
      // while the relay still stands: otherwise the client would try to come back through it
      await logoutAll([tab!]);
    } finally {
      await proxy.close();
    }
  }, 40_000);

  it('no core is left behind', async () => {
    await until(() => env.gw.pool.coreCount === 0 && env.gw.hub.size === 0, 'every session and core freed', 10_000);
  }, 15_000);
});
