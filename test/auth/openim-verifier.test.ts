import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenImTokenVerifier } from '../../src/auth/openim-verifier.ts';

interface SeenRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

const EXP = 4_102_444_800; // 2100-01-01, absolute unix seconds as parse_token reports it
const alice = { userID: 'alice', platformID: 5 };

/**
 * A stand-in for the IM API's /auth/parse_token (docs/im-server.md#parse-token).
 * The token text picks the scenario.
 */
function startFakeIm(): Promise<{ server: Server; base: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
      };
      const envelope = (errCode: number, errMsg: string, data?: unknown): void =>
        json(200, { errCode, errMsg, errDlt: 'detail', ...(data === undefined ? {} : { data }) });

      if (!req.url?.endsWith('/auth/parse_token') || req.url.startsWith('/missing/')) return json(404, { errCode: 404 });
      const operationID = req.headers['operationid'];
      if (typeof operationID !== 'string' || operationID === '') return envelope(1001, 'ArgsError');
      let token: unknown;
      try {
        token = (JSON.parse(body) as { token?: unknown }).token;
      } catch {
        return envelope(1001, 'ArgsError');
      }
      switch (token) {
        case 'valid':
          return envelope(0, '', { userID: 'alice', platformID: 5, expireTimeSeconds: EXP });
        case 'expired':
          return envelope(1501, 'TokenExpiredError');
        case 'kicked':
          return envelope(1506, 'TokenKickedError');
        case 'not-exist':
          return envelope(1507, '');
        case 'bob':
          return envelope(0, '', { userID: 'bob', platformID: 5, expireTimeSeconds: EXP });
        case 'alice-android':
          return envelope(0, '', { userID: 'alice', platformID: 2, expireTimeSeconds: EXP });
        case 'im-internal':
          return envelope(500, 'ServerInternalError');
        case 'no-data':
          return envelope(0, '');
        case 'http-500':
          return json(500, { errCode: 0, errMsg: '', data: { userID: 'alice', platformID: 5, expireTimeSeconds: EXP } });
        case 'not-json':
          res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>gateway</html>');
          return;
        case 'not-envelope':
          return json(200, { hello: 'world' });
        case 'redirect':
          res.writeHead(302, { Location: '/elsewhere' }).end();
          return;
        case 'hang':
          return; // never answers
        default:
          return envelope(1503, 'TokenMalformedError');
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, base: `http://127.0.0.1:${port}`, seen });
    });
  });
}

let im: Awaited<ReturnType<typeof startFakeIm>>;

beforeAll(async () => {
  im = await startFakeIm();
});

afterAll(async () => {
  im.server.closeAllConnections();
  await new Promise((resolve) => im.server.close(resolve));
});

beforeEach(() => {
  im.seen.length = 0;
});

describe('OpenImTokenVerifier', () => {
  it('sends parse_token exactly as the IM expects it', async () => {
    const verifier = new OpenImTokenVerifier({ apiBase: im.base });
    await verifier.verify('valid', alice, 'op-42');
    expect(im.seen).toHaveLength(1);
    const [req] = im.seen;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/auth/parse_token');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['operationid']).toBe('op-42');
    expect(req?.headers['token']).toBeUndefined();
    expect(JSON.parse(req?.body ?? '')).toEqual({ token: 'valid' });
  });

  it('keeps a path prefix of the API base and tolerates a trailing slash', async () => {
    const verifier = new OpenImTokenVerifier({ apiBase: `${im.base}/im-api/` });
    expect(verifier.endpoint).toBe(`${im.base}/im-api/auth/parse_token`);
    expect(await verifier.verify('valid', alice, 'op')).toEqual({ ok: true, expiresAt: EXP * 1000 });
    expect(im.seen[0]?.url).toBe('/im-api/auth/parse_token');
  });

  it('invents an operationID rather than send an empty one', async () => {
    const verdict = await new OpenImTokenVerifier({ apiBase: im.base }).verify('valid', alice, '');
    expect(verdict.ok).toBe(true);
    expect(im.seen[0]?.headers['operationid']).toMatch(/.+/);
  });

  it('accepts a valid token of the expected user and platform, with its expiry in ms', async () => {
    expect(await new OpenImTokenVerifier({ apiBase: im.base }).verify('valid', alice, 'op')).toEqual({
      ok: true,
      expiresAt: EXP * 1000,
    });
  });

  it.each([
    ['expired', 1501, 'TokenExpiredError'],
    ['kicked', 1506, 'TokenKickedError'],
    ['garbage', 1503, 'TokenMalformedError'],
    ['not-exist', 1507, 'TokenNotExistError'],
  ])("passes the IM's rejection of %s on as 401 %d", async (token, errCode, errMsg) => {
    expect(await new OpenImTokenVerifier({ apiBase: im.base }).verify(token, alice, 'op')).toEqual({
      ok: false,
      status: 401,
      errCode,
      errMsg,
    });
  });

  it.each([
    ['bob', alice],
    ['alice-android', alice],
    ['valid', { userID: 'alice', platformID: 6 }],
    ['valid', { userID: 'Alice', platformID: 5 }],
  ])('rejects token %s for %j with 401 1502', async (token, expect_) => {
    const verdict = await new OpenImTokenVerifier({ apiBase: im.base }).verify(token, expect_, 'op');
    expect(verdict).toMatchObject({ ok: false, status: 401, errCode: 1502 });
  });

  it.each([
    ['http-500', /HTTP 500/],
    ['not-json', /not JSON/],
    ['not-envelope', /not an OpenIM response envelope/],
    ['im-internal', /errCode 500 ServerInternalError/],
    ['no-data', /without userID/],
    ['redirect', /HTTP 302/],
  ])('answers 503, never 401, for %s', async (token, why) => {
    const verdict = await new OpenImTokenVerifier({ apiBase: im.base }).verify(token, alice, 'op');
    expect(verdict).toMatchObject({ ok: false, status: 503 });
    expect(!verdict.ok && verdict.errMsg).toMatch(why);
  });

  it('answers 503 when the API base is wrong (HTTP 404)', async () => {
    const verdict = await new OpenImTokenVerifier({ apiBase: `${im.base}/missing` }).verify('valid', alice, 'op');
    expect(verdict).toMatchObject({ ok: false, status: 503 });
    expect(!verdict.ok && verdict.errMsg).toMatch(/HTTP 404/);
  });

  it('answers 503 when nothing listens on the port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));

    const verdict = await new OpenImTokenVerifier({ apiBase: `http://127.0.0.1:${port}` }).verify('valid', alice, 'op');
    expect(verdict).toMatchObject({ ok: false, status: 503 });
    expect(!verdict.ok && verdict.errMsg).toMatch(/ECONNREFUSED/);
  });

  it('answers 503 when the IM does not answer in time', async () => {
    const started = Date.now();
    const verdict = await new OpenImTokenVerifier({ apiBase: im.base, timeoutMs: 200 }).verify('hang', alice, 'op');
    expect(verdict).toMatchObject({ ok: false, status: 503 });
    expect(!verdict.ok && verdict.errMsg).toMatch(/no answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('defaults to a 5 s timeout', () => {
    expect(new OpenImTokenVerifier({ apiBase: im.base }).timeoutMs).toBe(5000);
  });
});
