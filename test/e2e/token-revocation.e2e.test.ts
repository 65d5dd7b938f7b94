/**
 * A token the IM server refuses stops opening sockets: after --token-cache-ttl at the latest,
 * and at once after a Logout, an admin kick or a kicked/expired event from the core. Real
 * server (test core, worker pool, loopback sockets), with an IM stand-in that revokes.
 *
 * Each case first shows the cached verdict still letting the revoked token in (so the
 * refusal that follows is the drop's doing, not a cache that never worked).
 */
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.ts';
import { handshakeStatus, tokenFor, useGatewayFixture } from '../helpers/gateway.ts';
import { sleep, until } from '../helpers/cores.ts';
import { SignJWT } from 'jose';

const fx = useGatewayFixture();
const { gateway, client } = fx;

const query = (userID: string, token = tokenFor(userID)): string => `sendID=${userID}&token=${token}&platformID=5`;

/** The handshake is refused 401 with the IM's own code. */
async function expectRefused(gw: RunningServer, userID: string, errCode: number, token = tokenFor(userID)): Promise<void> {
  const r = await handshakeStatus(gw, query(userID, token));
  expect(r.status).toBe(401);
  expect(JSON.parse(r.body)).toEqual({ errCode, errMsg: 'TokenError' });
}

async function cacheEntries(gw: RunningServer): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.port}/metrics`)).text();
  return Number(/^openim_jssdk_token_cache_entries (\d+)$/m.exec(text)?.[1]);
}

describe('a token the IM server has refused', () => {
  it('keeps working at most --token-cache-ttl seconds: then a socket joining the live session is refused 401', async () => {
    const ttlMs = 2000;
    const gw = await gateway({ tokenCacheTtlSeconds: ttlMs / 1000 });
    const before = Date.now();
    const first = await client(gw, 'alice');
    const verified = Date.now();
    expect((await first.login('alice')).errCode).toBe(0);
    fx.im.revoke(tokenFor('alice'), 1506);
    // Within the TTL the verdict of the first check may serve…
    expect((await handshakeStatus(gw, query('alice'))).status).toBe(101);
    expect(Date.now() - before, 'the machine was too slow to check within the TTL').toBeLessThan(ttlMs);
    // …after it the IM is asked again, and its refusal is what the client gets.
    await sleep(verified + ttlMs + 50 - Date.now());
    await expectRefused(gw, 'alice', 1506);
    expect(fx.im.callsFor(tokenFor('alice'))).toBe(2);
    expect(gw.hub.get('alice', 5)?.state).toBe('logged-in');
  });

  it('is refused at once after the client logs out', async () => {
    const gw = await gateway();
    const c = await client(gw, 'bob');
    expect((await c.login('bob')).errCode).toBe(0);
    fx.im.revoke(tokenFor('bob'), 1501);
    expect((await handshakeStatus(gw, query('bob'))).status).toBe(101);
    expect((await c.request('Logout')).errCode).toBe(0);
    await c.closed;
    await expectRefused(gw, 'bob', 1501);
  });

  it('is refused at once after an admin kick, with or without a live session', async () => {
    const gw = await gateway({ adminToken: 'sekret' });
    const kick = (userID: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${gw.port}/admin/kick?userID=${userID}`, { method: 'POST', headers: { authorization: 'Bearer sekret' } });

    const c = await client(gw, 'carol');
    expect((await c.login('carol')).errCode).toBe(0);
    fx.im.revoke(tokenFor('carol'), 1506);
    expect((await handshakeStatus(gw, query('carol'))).status).toBe(101);
    expect(await (await kick('carol')).json()).toEqual({ kicked: 1 });
    await c.closed;
    await expectRefused(gw, 'carol', 1506);

    // No session at all (its only socket closed before any Login), only a cached verdict.
    const d = await client(gw, 'dan');
    d.close();
    await until(() => gw.hub.get('dan', 5) === undefined);
    fx.im.revoke(tokenFor('dan'), 1506);
    expect((await handshakeStatus(gw, query('dan'))).status).toBe(101);
    await until(() => gw.hub.get('dan', 5) === undefined);
    expect(await (await kick('dan')).json()).toEqual({ kicked: 0 });
    await expectRefused(gw, 'dan', 1506);
  });

  it.each([
    ['OnKickedOffline', 1506],
    ['OnUserTokenExpired', 1501],
    ['OnUserTokenInvalid', 1507],
  ])('is refused at once after the core reports %s', async (coreEvent, errCode) => {
    const gw = await gateway();
    const user = `e-${coreEvent}`;
    const c = await client(gw, user);
    expect((await c.login(user)).errCode).toBe(0);
    fx.im.revoke(tokenFor(user), errCode);
    expect((await handshakeStatus(gw, query(user))).status).toBe(101);
    void c.request('DebugEmit', [coreEvent, '']);
    await c.closed;
    await expectRefused(gw, user, errCode);
  });

  it('is asked about again after a drop even when the IM still accepts it', async () => {
    const gw = await gateway();
    const c = await client(gw, 'erin');
    expect((await c.login('erin')).errCode).toBe(0);
    expect((await c.request('Logout')).errCode).toBe(0);
    await c.closed;
    const calls = fx.im.callsFor(tokenFor('erin'));
    expect((await handshakeStatus(gw, query('erin'))).status).toBe(101);
    expect(fx.im.callsFor(tokenFor('erin'))).toBe(calls + 1);
  });
});

describe('--auth jwt', () => {
  it('cannot see revocations, but still drops its verdicts on Logout', async () => {
    const secret = 'openIM123';
    const gw = await gateway({ auth: 'jwt', jwtSecret: secret, verifier: undefined });
    const token = await new SignJWT({ UserID: 'frank', PlatformID: 5 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    const c = await client(gw, 'frank', 5, token);
    expect(await cacheEntries(gw)).toBe(1);
    expect((await c.login('frank', token)).errCode).toBe(0);
    expect((await c.request('Logout')).errCode).toBe(0);
    await c.closed;
    expect(await cacheEntries(gw)).toBe(0);
    // A local check has no way to learn what the IM revoked: the token still opens sockets.
    fx.im.revoke(token, 1506);
    expect((await handshakeStatus(gw, query('frank', token))).status).toBe(101);
    expect(fx.im.callsFor(token)).toBe(0);
  });
});
