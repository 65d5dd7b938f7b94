/**
 * The playground's token route through a real gateway: tokens from a real dev server, checked
 * there; every bad input refused with a status and a message naming what was wrong; bounds on
 * bodies, requests in flight and users registered; a fault of ours behind the barrier.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { PLAYGROUND_LIMITS } from '../../src/playground/playground-limits.ts';
import { askToken, useSiteFixture } from './helpers/site-fixture.ts';

const fixture = useSiteFixture();

describe('playground token route', () => {
  it('registers the user and answers a token the dev server accepts for that user on the web platform', async () => {
    const { base } = await fixture.withSite();
    const res = await askToken(base, '{"userID":"alice_2"}');
    expect(res.status).toBe(200);
    const { userID, token } = (await res.json()) as { userID: string; token: string };
    expect(userID).toBe('alice_2');
    expect(fixture.dev.state.auth.parse(token)).toMatchObject({ userID: 'alice_2', platformID: 5 });
  });

  it.each([
    ['{"userID":""}', /userID must be 1 to 32 letters/],
    ['{"userID":"two words"}', /userID must be 1 to 32 letters .* \(got "two words"\)/],
    ['{"userID":"a&sendID=bob"}', /userID must be 1 to 32 letters/],
    ['{"userID":"élodie"}', /userID must be 1 to 32 letters/],
    [JSON.stringify({ userID: 'x'.repeat(PLAYGROUND_LIMITS.userIDChars + 1) }), /userID must be 1 to 32 letters/],
    ['{"userID":42}', /userID must be a string/],
    ['{"name":"alice"}', /userID must be a string/],
    ['[]', /userID must be a string/],
    ['{"userID":', /must be JSON/],
  ])('%s is refused 400, saying what was wrong', async (body, message) => {
    const { base } = await fixture.withSite();
    const res = await askToken(base, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it('refuses other content types (415), other methods (405) and bodies over its bound (413)', async () => {
    const { base } = await fixture.withSite();
    const form = await askToken(base, 'userID=alice', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(((await form.json()) as { error: string }).error).toMatch(/must be application\/json/);
    const get = await fetch(`${base}/playground/token`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const big = await askToken(base, JSON.stringify({ userID: 'alice', pad: 'x'.repeat(PLAYGROUND_LIMITS.tokenRequestBytes) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toBe(`a token request's body must be at most ${PLAYGROUND_LIMITS.tokenRequestBytes} bytes`);
    // Without a declared length (chunked), the bound holds as the body streams in.
    const chunked = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${base}/playground/token`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write('x'.repeat(PLAYGROUND_LIMITS.tokenRequestBytes / 4));
      req.end();
    });
    expect(chunked).toBe(413);
    // The route still serves after all that.
    expect((await askToken(base, '{"userID":"after"}')).status).toBe(200);
  });

  it('registers at most its bound of users; names used before still get tokens', async () => {
    const { base } = await fixture.withSite({ limits: { registeredUsers: 2 } });
    expect((await askToken(base, '{"userID":"cap_a"}')).status).toBe(200);
    expect((await askToken(base, '{"userID":"cap_b"}')).status).toBe(200);
    const third = await askToken(base, '{"userID":"cap_c"}');
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: string }).error).toMatch(/registered its limit of 2 users/);
    expect((await askToken(base, '{"userID":"cap_a"}')).status).toBe(200);
  });

  it('names asked for at once cannot pass the bound of users either', async () => {
    const { base } = await fixture.withSite({ limits: { registeredUsers: 2 } });
    const statuses = await Promise.all(['at_a', 'at_b', 'at_c', 'at_d', 'at_e'].map(async (name) => (await askToken(base, JSON.stringify({ userID: name }))).status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
  });

  it('a sender that trickles its body holds no place: others still get tokens', async () => {
    const { base } = await fixture.withSite({ limits: { tokenRequestsInFlight: 1 } });
    const url = new URL(`${base}/playground/token`);
    const slow = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': '18' },
    });
    slow.on('error', () => {});
    slow.write('{"userID":');
    try {
      expect((await askToken(base, '{"userID":"not_blocked"}')).status).toBe(200);
    } finally {
      slow.destroy();
    }
  });

  it('answers 503 past its bound of requests in flight, and serves again once they are done', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const { base } = await fixture.withSite({
      limits: { tokenRequestsInFlight: 1 },
      issueToken: async (userID) => {
        entered();
        await held;
        return fixture.dev.userToken(userID, 5);
      },
    });
    const first = askToken(base, '{"userID":"slow"}');
    await inside;
    const second = await askToken(base, '{"userID":"quick"}');
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    release();
    expect((await first).status).toBe(200);
    expect((await askToken(base, '{"userID":"quick"}')).status).toBe(200);
  });

  it('a fault while issuing answers 500, is counted as an internal error, and the gateway goes on', async () => {
    const { gw, base } = await fixture.withSite({
      issueToken: () => Promise.reject(new TypeError('injected fault')),
    });
    const res = await askToken(base, '{"userID":"alice"}');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal error (logged)' });
    const metrics = await (await fetch(`http://127.0.0.1:${gw.port}/metrics`)).text();
    expect(metrics).toContain('openim_jssdk_internal_errors_total{where="http"} 1');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/playground/config`)).status).toBe(200);
  });
});
