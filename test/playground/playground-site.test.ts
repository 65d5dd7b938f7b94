/**
 * The playground's HTTP side through a real gateway: what it serves (the page, the SDK's own
 * file, its settings), and how its token route treats bad input and floods. Tokens come from a
 * real dev server and are checked there.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.ts';
import { createPlaygroundSite, playgroundSiteFor, sdkBrowserBuild, type PlaygroundSiteOptions } from '../../src/playground/playground-site.ts';
import { PLAYGROUND_LIMITS } from '../../src/playground/playground-limits.ts';
import { playgroundEnabled } from '../../src/playground/playground-mode.ts';
import type { RunningServer } from '../../src/server.ts';
import { useGatewayFixture } from '../helpers/gateway.ts';

const logger = pino({ level: 'silent' });
const { gateway } = useGatewayFixture();

let dev: DevServer;
beforeAll(async () => {
  dev = await startDevServer({ apiPort: 0, wsPort: 0 });
});
afterAll(() => dev.close());

function site(extra: Partial<PlaygroundSiteOptions> = {}): PlaygroundSiteOptions {
  return { apiAddr: dev.apiUrl, logger, issueToken: (userID) => dev.userToken(userID, 5), ...extra };
}

async function withSite(extra: Partial<PlaygroundSiteOptions> = {}): Promise<{ gw: RunningServer; base: string }> {
  const gw = await gateway({ playgroundSite: createPlaygroundSite(site(extra)) });
  return { gw, base: `http://127.0.0.1:${gw.port}` };
}

function askToken(base: string, body: string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${base}/playground/token`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
}

/** A raw request, so that the path reaches the server exactly as written. */
function rawGet(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('playground mode', () => {
  it('auto serves the page only with the embedded dev server; on and off say it outright', () => {
    expect(playgroundEnabled('auto', true)).toBe(true);
    expect(playgroundEnabled('auto', false)).toBe(false);
    expect(playgroundEnabled('on', false)).toBe(true);
    expect(playgroundEnabled('off', true)).toBe(false);
    expect(playgroundSiteFor('auto', { devServer: undefined, openimApi: 'http://im:10002', logger })).toBeUndefined();
    expect(playgroundSiteFor('off', { devServer: dev, openimApi: dev.apiUrl, logger })).toBeUndefined();
  });

  it('without a playground the gateway has no page at /', async () => {
    const gw = await gateway();
    const res = await fetch(`http://127.0.0.1:${gw.port}/`);
    expect(res.status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${gw.port}/playground/config`)).status).toBe(404);
  });
});

describe('playground files', () => {
  it('serves the page with a policy that keeps it to its own scripts, this gateway and the IM API', async () => {
    const { base } = await withSite();
    const res = await fetch(`${base}/?user=alice`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ${dev.apiUrl}`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('<script type="module" src="/playground/app.js"></script>');
    for (const path of ['/playground/app.js', '/playground/view.js', '/playground/style.css']) expect((await fetch(base + path)).status, path).toBe(200);
  });

  it('serves the SDK from the installed open-im-sdk 3.5.2 package, byte for byte', async () => {
    const { base } = await withSite();
    const file = sdkBrowserBuild();
    expect(file).toMatch(/node_modules\/open-im-sdk\/lib\/index\.es\.js$/);
    const pkg = JSON.parse(readFileSync(new URL('../../node_modules/open-im-sdk/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(pkg.version).toBe('3.5.2');
    const res = await fetch(`${base}/playground/open-im-sdk.js`);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(file))).toBe(true);
  });

  it('serves nothing else: no directory, no other file, no way up', async () => {
    const { gw, base } = await withSite();
    for (const path of ['/index.html', '/playground/', '/playground/page/app.js', '/playground/%2e%2e/playground-site.ts', '/playground/../../package.json']) {
      expect(await rawGet(gw.port, path), path).toBe(404);
    }
    const post = await fetch(`${base}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('tells the page how to get a token: from the dev server, or typed in with a real IM server', async () => {
    const { base } = await withSite();
    expect(await (await fetch(`${base}/playground/config`)).json()).toEqual({ tokens: 'dev-server', apiAddr: dev.apiUrl, platformID: 5 });
    const manual = await withSite({ issueToken: undefined, apiAddr: 'http://im.example:10002' });
    expect(await (await fetch(`${manual.base}/playground/config`)).json()).toEqual({ tokens: 'manual', apiAddr: 'http://im.example:10002', platformID: 5 });
    const refused = await askToken(manual.base, '{"userID":"alice"}');
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: string }).error).toMatch(/real IM server; sign in with a userID and a token/);
  });
});

describe('playground token route', () => {
  it('registers the user and answers a token the dev server accepts for that user on the web platform', async () => {
    const { base } = await withSite();
    const res = await askToken(base, '{"userID":"alice_2"}');
    expect(res.status).toBe(200);
    const { userID, token } = (await res.json()) as { userID: string; token: string };
    expect(userID).toBe('alice_2');
    expect(dev.state.auth.parse(token)).toMatchObject({ userID: 'alice_2', platformID: 5 });
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
    const { base } = await withSite();
    const res = await askToken(base, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it('refuses other content types (415), other methods (405) and bodies over its bound (413)', async () => {
    const { base } = await withSite();
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
    const { base } = await withSite({ limits: { registeredUsers: 2 } });
    expect((await askToken(base, '{"userID":"cap_a"}')).status).toBe(200);
    expect((await askToken(base, '{"userID":"cap_b"}')).status).toBe(200);
    const third = await askToken(base, '{"userID":"cap_c"}');
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: string }).error).toMatch(/registered its limit of 2 users/);
    expect((await askToken(base, '{"userID":"cap_a"}')).status).toBe(200);
  });

  it('names asked for at once cannot pass the bound of users either', async () => {
    const { base } = await withSite({ limits: { registeredUsers: 2 } });
    const statuses = await Promise.all(['at_a', 'at_b', 'at_c', 'at_d', 'at_e'].map(async (name) => (await askToken(base, JSON.stringify({ userID: name }))).status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
  });

  it('a sender that trickles its body holds no place: others still get tokens', async () => {
    const { base } = await withSite({ limits: { tokenRequestsInFlight: 1 } });
    const url = new URL(`${base}/playground/token`);
    const slow = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': '18' } });
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
    const { base } = await withSite({
      limits: { tokenRequestsInFlight: 1 },
      issueToken: async (userID) => {
        entered();
        await held;
        return dev.userToken(userID, 5);
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
    const { gw, base } = await withSite({
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
