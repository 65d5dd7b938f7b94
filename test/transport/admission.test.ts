/**
 * The front door through the real server (test core, worker pool, loopback sockets) and an
 * IM stand-in that can hold answers back: who can take whose places, what a flood costs
 * the IM server, and what a bug in the upgrade path costs everyone else.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AUTH_LIMITS } from '../../src/auth/auth-limits.ts';
import { CachingTokenVerifier } from '../../src/auth/token-cache.ts';
import { OpenImTokenVerifier } from '../../src/auth/openim-verifier.ts';
import type { TokenVerifier } from '../../src/auth/token-verifier.ts';
import type { RunningServer } from '../../src/server.ts';
import { handshakeStatus, tokenFor, useGatewayFixture } from '../helpers/gateway.ts';
import { until } from '../helpers/cores.ts';

const fx = useGatewayFixture();
const { gateway, client } = fx;

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One handshake as a client sends it (or broken on purpose), answered with status, headers and body. */
function rawHandshake(gw: RunningServer, query: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: gw.port,
      path: `/?${query}`,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version': '13',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    // A handshake nobody answers is a failure to see, not a test hanging until its timeout.
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to the handshake ${query.slice(0, 80)}`)));
    req.end();
  });
}

async function metric(gw: RunningServer, line: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.port}/metrics`)).text();
  const m = line.exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

describe("unverified handshakes take no one's places", () => {
  it('15 handshakes as sendID=victim with slow bad tokens in flight: the victim still gets all 10 of its sockets', async () => {
    const gw = await gateway({ maxConnsPerUser: 10 });
    fx.im.delay = (token) => (token.startsWith('slow-') ? 3000 : 0);
    const attacks = Array.from({ length: 15 }, (_, i) => rawHandshake(gw, `sendID=victim&token=slow-${i}&platformID=5`));
    await until(() => fx.im.inFlight === 15);
    expect(await metric(gw, /^openim_jssdk_handshakes_pending (\d+)$/m)).toBe(15);
    for (let i = 0; i < 10; i++) await client(gw, 'victim');
    expect(gw.hub.connectionsOf('victim', 5)).toBe(10);
    // All of that happened while every one of the 15 was still waiting for its verdict.
    expect(fx.im.inFlight).toBe(15);
    const refused = await Promise.all(attacks);
    for (const r of refused) {
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body)).toMatchObject({ errCode: 1503 });
    }
    expect(await metric(gw, /^openim_jssdk_handshakes_pending (\d+)$/m)).toBe(0);
    // The cap itself still holds for verified sockets.
    expect((await handshakeStatus(gw, `sendID=victim&token=${tokenFor('victim')}&platformID=5`)).status).toBe(429);
  });

  it('concurrent verified handshakes of one user: exactly --max-conns-per-user get in', async () => {
    const gw = await gateway({ maxConnsPerUser: 3 });
    fx.im.delay = () => 200;
    const results = await Promise.all(Array.from({ length: 8 }, () => rawHandshake(gw, `sendID=ursula&token=${tokenFor('ursula')}&platformID=5`)));
    expect(results.filter((r) => r.status === 101)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429)).toHaveLength(5);
    expect(fx.im.callsFor(tokenFor('ursula'))).toBe(1);
  });
});

describe('floods', () => {
  it('200 handshakes with distinct bad tokens: at most 64 IM requests at once, the rest refused 503 with Retry-After 5', async () => {
    const gw = await gateway();
    fx.im.delay = () => 2000;
    const calls = fx.im.calls;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => rawHandshake(gw, `sendID=u${i}&token=flood-${i}&platformID=5`)));
    expect(fx.im.maxInFlight).toBe(AUTH_LIMITS.tokenChecksInFlight);
    const unauthorized = results.filter((r) => r.status === 401);
    const busy = results.filter((r) => r.status === 503);
    // Every refusal is one or the other; which handshakes found a free slot depends on timing.
    expect(unauthorized.length + busy.length).toBe(200);
    expect(unauthorized.length).toBeGreaterThanOrEqual(64);
    expect(busy.length).toBeGreaterThan(0);
    expect(fx.im.calls - calls).toBe(unauthorized.length);
    for (const r of unauthorized) expect(JSON.parse(r.body)).toMatchObject({ errCode: 1503 });
    for (const r of busy) {
      expect(r.headers['retry-after']).toBe('5');
      expect(JSON.parse(r.body)).toEqual({ errCode: 503, errMsg: 'too many connections are being verified at once; retry later' });
    }
  });

  it('while the IM requests are all taken, a token verified before still gets in', async () => {
    const gw = await gateway();
    await client(gw, 'known');
    fx.im.delay = () => 2000;
    const pending = Array.from({ length: 64 }, (_, i) => rawHandshake(gw, `sendID=v${i}&token=again-${i}&platformID=5`));
    await until(() => fx.im.inFlight === 64);
    expect((await rawHandshake(gw, 'sendID=newcomer&token=other&platformID=5')).status).toBe(503);
    expect((await handshakeStatus(gw, `sendID=known&token=${tokenFor('known')}&platformID=5`)).status).toBe(101);
    await Promise.all(pending);
  });

  it('200 handshakes with one bad token cost one IM request, and so does the next 10 s of them', async () => {
    const gw = await gateway();
    fx.im.delay = () => 200;
    const query = 'sendID=mallory&token=the-bad-token&platformID=5';
    const results = await Promise.all(Array.from({ length: 200 }, () => rawHandshake(gw, query)));
    for (const r of results) {
      expect(r.status).toBe(401);
      expect((JSON.parse(r.body) as { errCode: number }).errCode).toBe(1503);
    }
    const again = await Promise.all(Array.from({ length: 50 }, () => rawHandshake(gw, query)));
    expect(again.every((r) => r.status === 401)).toBe(true);
    expect(fx.im.callsFor('the-bad-token')).toBe(1);
    expect(await metric(gw, /^openim_jssdk_token_cache_entries (\d+)$/m)).toBe(1);
  });
});

describe('absurd handshake values', () => {
  it.each([
    ['a token over 4096 characters', `sendID=alice&token=${'t'.repeat(4097)}&platformID=5`, /"token" is longer than 4096 characters \(4097\)/],
    ['a sendID over 64 bytes', `sendID=${'é'.repeat(33)}&token=x&platformID=5`, /"sendID" is longer than 64 bytes \(66\)/],
    ['an operationID over 256 characters', `sendID=alice&token=x&platformID=5&operationID=${'o'.repeat(257)}`, /"operationID" is longer than 256 characters/],
  ])('%s: 400 naming it, and no IM request', async (_label, query, message) => {
    const gw = await gateway();
    const calls = fx.im.calls;
    const r = await rawHandshake(gw, query.replaceAll('é', '%C3%A9'));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ errCode: 400, errMsg: expect.stringMatching(message) });
    expect(fx.im.calls).toBe(calls);
  });

  it('the longest values allowed still get in', async () => {
    const gw = await gateway();
    const userID = 'u'.repeat(64);
    const r = await rawHandshake(gw, `sendID=${userID}&token=${tokenFor(userID)}&platformID=5&operationID=${'o'.repeat(256)}`);
    expect(r.status).toBe(101);
    const longToken = await rawHandshake(gw, `sendID=alice&token=${'t'.repeat(4096)}&platformID=5`);
    expect(longToken.status).toBe(401);
  });

  it('a request that is not a WebSocket handshake: 400 naming what is missing, no IM request', async () => {
    const gw = await gateway();
    const calls = fx.im.calls;
    const r = await rawHandshake(gw, `sendID=alice&token=${tokenFor('alice')}&platformID=5`, { 'Sec-WebSocket-Key': 'short' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ errCode: 400, errMsg: 'missing or invalid Sec-WebSocket-Key' });
    const v = await rawHandshake(gw, `sendID=alice&token=${tokenFor('alice')}&platformID=5`, { 'Sec-WebSocket-Version': '12' });
    expect(v.status).toBe(400);
    expect(fx.im.calls).toBe(calls);
  });
});

describe('the barrier on the upgrade path', () => {
  it('a fault while admitting answers that handshake 500 (20007), is counted, and nothing else notices', async () => {
    const real = new CachingTokenVerifier(new OpenImTokenVerifier({ apiBase: fx.im.url }));
    const faulty: TokenVerifier = {
      verify(token, expect, operationID) {
        if (token === 'boom-sync') throw new Error('injected fault');
        if (token === 'boom-async') return Promise.reject(new Error('injected fault'));
        return real.verify(token, expect, operationID);
      },
    };
    const gw = await gateway({ verifier: faulty });
    const bystander = await client(gw, 'bystander');
    expect((await bystander.login('bystander')).errCode).toBe(0);
    for (const token of ['boom-sync', 'boom-async']) {
      const r = await rawHandshake(gw, `sendID=alice&token=${token}&platformID=5&operationID=op-${token}`);
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body)).toEqual({ errCode: 20007, errMsg: `internal error while admitting the connection (operationID op-${token})` });
    }
    expect(await metric(gw, /^openim_jssdk_internal_errors_total\{where="upgrade"\} (\d+)$/m)).toBe(2);
    expect(await metric(gw, /^openim_jssdk_handshakes_total\{status="500"\} (\d+)$/m)).toBe(2);
    expect(await metric(gw, /^openim_jssdk_handshakes_pending (\d+)$/m)).toBe(0);
    expect((await bystander.request('GetSelfUserInfo')).errCode).toBe(0);
    expect((await handshakeStatus(gw, `sendID=alice&token=${tokenFor('alice')}&platformID=5`)).status).toBe(101);
  });
});
