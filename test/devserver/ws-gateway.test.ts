import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startDevServer, type DevServer } from '../../src/devserver/dev-server.ts';
import { encodeWsRequestGob } from '../../src/devserver/gob/ws-messages.ts';
import { decodeProto, encodeProto } from '../../src/devserver/protocol/proto-codec.ts';
import { callApi, ImTestClient } from './helpers/im-client.ts';

let now = Date.now();
let server: DevServer;
const clients: ImTestClient[] = [];

beforeAll(async () => {
  server = await startDevServer({ apiPort: 0, wsPort: 0, now: () => now, pingIntervalMs: 100, pongWaitMs: 400 });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

async function connect(userID: string, token: string, extra: Partial<Parameters<typeof ImTestClient.connect>[1]> = {}) {
  const r = await ImTestClient.connect(server.wsUrl, { userID, token, ...extra });
  clients.push(r.client);
  return r;
}

async function online(userID: string, platformID = 5): Promise<ImTestClient> {
  const token = await server.userToken(userID, platformID);
  const { client, handshake } = await connect(userID, token, { platformID });
  expect(handshake.errCode).toBe(0);
  return client;
}

describe('handshake', () => {
  it('success: upgrade, then one text frame {errCode:0}', async () => {
    const token = await server.userToken('hs_ok');
    const { handshake } = await connect('hs_ok', token);
    expect(handshake).toEqual({ errCode: 0, errMsg: '', errDlt: '' });
  });

  it('token errors are reported in the first frame, then the socket closes', async () => {
    const { client, handshake } = await connect('hs_bad', 'garbage');
    expect(handshake).toMatchObject({ errCode: 1503, errMsg: 'TokenMalformedError' });
    await client.closed;
  });

  it('a token of another user or platform → 1502', async () => {
    const token = await server.userToken('hs_owner');
    expect((await connect('hs_other', token)).handshake).toMatchObject({ errCode: 1502, errMsg: 'TokenInvalidError' });
    expect((await connect('hs_owner', token, { platformID: 1 })).handshake.errCode).toBe(1502);
  });

  it('missing or malformed arguments → 1602', async () => {
    const token = await server.userToken('hs_args');
    expect((await connect('hs_args', token, { query: { sendID: undefined } })).handshake).toMatchObject({
      errCode: 1602,
      errMsg: 'args err, need token, sendID, platformID',
    });
    expect((await connect('hs_args', token, { platformID: 'web' })).handshake.errCode).toBe(1602);
    expect((await connect('hs_args', token, { sdkType: 'rust' })).handshake.errCode).toBe(1602);
  });

  it('without isMsgResp, refusals are plain HTTP JSON (no upgrade)', async () => {
    const ws = new WebSocket(ImTestClient.url(server.wsUrl, { userID: 'x', token: 'garbage', isMsgResp: false }));
    const status = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      ws.once('open', () => reject(new Error('upgraded')));
      ws.once('error', () => undefined);
    });
    expect(status.code).toBe(200);
    expect(JSON.parse(status.body)).toMatchObject({ errCode: 1503 });
  });

  it('a plain GET is checked, then refused with 400', async () => {
    const token = await server.userToken('hs_get');
    const url = ImTestClient.url(server.wsUrl, { userID: 'hs_get', token }).replace('ws://', 'http://');
    expect((await fetch(url)).status).toBe(400);
    const bad = await fetch(url.replace(/token=[^&]+/, 'token=zzz'));
    expect((await bad.json()) as unknown).toMatchObject({ errCode: 1503 });
  });
});

/** A fresh connection is served: the bad frame before it ended one connection, not the server. */
async function expectServerStillServes(userID: string): Promise<void> {
  const d = await online(userID);
  const r = await d.request(1001, encodeProto('GetMaxSeqReq', { userID }));
  expect(r.errCode).toBe(0);
}

describe('frames the gateway cannot read end the connection, never the server', () => {
  it.each([
    ['not gzip', () => Buffer.from('definitely not gzip')],
    ['gzip of garbage gob', () => gzipSync(Buffer.from([0x05, 0xff, 0x00, 0x01, 0x02, 0x03]))],
    ['gzip of an empty frame', () => gzipSync(Buffer.alloc(0))],
    [
      'un-gzipped gob',
      () => Buffer.from(encodeWsRequestGob({ reqIdentifier: 1001, token: '', sendID: 'bad_frames', operationID: 'o', msgIncr: 'm', data: new Uint8Array(0) })),
    ],
  ])('%s', async (_name, frame) => {
    const c = await online('bad_frames');
    c.sendRaw(frame());
    await c.closed;
    await expectServerStillServes('bad_frames_after');
  });

  it('text frames: ping → pong, anything else ends the connection', async () => {
    const c = await online('texter');
    c.sendRaw('{"type":"ping","body":"x"}', false);
    await c.waitFor(() => (c.texts.length > 0 ? true : undefined)).catch(() => undefined);
    expect(JSON.parse(c.texts[0] ?? '{}')).toEqual({ type: 'pong', body: 'x' });
    c.sendRaw('{"type":"pong"}', false);
    c.sendRaw('hello', false);
    await c.closed;
    await expectServerStillServes('texter_after');
  });

  it('a SendID that is not the connection user ends the connection', async () => {
    const c = await online('spoof1');
    void c.request(1001, encodeProto('GetMaxSeqReq', { userID: 'spoof1' }), { sendID: 'someone_else' });
    await c.closed;
    await expectServerStillServes('spoof1_after');
  });

  it('an unknown request identifier ends the connection', async () => {
    const c = await online('unknown_id');
    void c.request(4242, new Uint8Array(0));
    await c.closed;
    await expectServerStillServes('unknown_id_after');
  });

  it('a frame over 51 200 bytes ends the connection', async () => {
    const c = await online('too_big');
    c.sendRaw(Buffer.alloc(60_000, 1));
    await c.closed;
    await expectServerStillServes('too_big_after');
  });

  it('protobuf that does not decode gets a 500 reply, the connection stays', async () => {
    const c = await online('bad_proto');
    const r = await c.request(1001, Uint8Array.of(0x0a, 0x50, 0x01));
    expect(r.errCode).toBe(500);
    const ok = await c.request(1001, encodeProto('GetMaxSeqReq', { userID: 'bad_proto' }));
    expect(ok.errCode).toBe(0);
  });

  it('1004 (signal) is answered with ArgsError', async () => {
    const c = await online('signal1');
    expect(await c.request(1004, new Uint8Array(0))).toMatchObject({ errCode: 1001, errMsg: 'ArgsError' });
  });
});

describe('kicks', () => {
  it('a new token for the same platform: the old connection gets 2002 and is closed; the old token is dead', async () => {
    const oldToken = await server.userToken('kick1', 5);
    const { client: old } = await connect('kick1', oldToken);
    const other = await online('kick1', 2);
    now += 1000;
    const newToken = await server.userToken('kick1', 5);
    const { client: fresh, handshake } = await connect('kick1', newToken);
    expect(handshake.errCode).toBe(0);
    const kick = await old.waitFor((f) => f.find((x) => x.reqIdentifier === 2002));
    expect(kick).toMatchObject({ reqIdentifier: 2002, errCode: 0, msgIncr: '', data: new Uint8Array(0) });
    await old.closed;
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    expect(fresh.ws.readyState).toBe(WebSocket.OPEN);
    expect((await connect('kick1', oldToken)).handshake).toMatchObject({ errCode: 1506, errMsg: 'TokenKickedError' });
  });

  it('a reconnect with the same token kicks nobody', async () => {
    const token = await server.userToken('kick2', 5);
    const { client: a } = await connect('kick2', token);
    const { client: b } = await connect('kick2', token);
    await new Promise((r) => setTimeout(r, 50));
    expect(a.unsolicited.some((f) => f.reqIdentifier === 2002)).toBe(false);
    expect(b.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('force_logout kicks the connections of that platform', async () => {
    const web = await online('kick3', 5);
    const ios = await online('kick3', 1);
    const admin = await server.adminToken();
    const r = await callApi(server.apiUrl, '/auth/force_logout', { userID: 'kick3', platformID: 5 }, { token: admin });
    expect(r.json?.errCode).toBe(0);
    await web.waitFor((f) => f.find((x) => x.reqIdentifier === 2002));
    await web.closed;
    expect(ios.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('an expired token is refused at the handshake with 1501', async () => {
    const token = await server.userToken('exp1', 5, { ttlSeconds: 10 });
    now += 11_000;
    const { handshake, client } = await connect('exp1', token);
    expect(handshake).toMatchObject({ errCode: 1501, errMsg: 'TokenExpiredError' });
    await client.closed;
  });
});

describe('heartbeat', () => {
  it('pings every connection, and drops one that stays silent', async () => {
    const token = await server.userToken('hb1');
    // a client that answers pings, beside one that does not
    const answering = await online('hb1b');
    let answeringPings = 0;
    answering.ws.on('ping', () => answeringPings++);
    const ws = new WebSocket(ImTestClient.url(server.wsUrl, { userID: 'hb1', token }), { autoPong: false });
    let pings = 0;
    ws.on('ping', () => pings++);
    const closed = new Promise((resolve) => ws.once('close', resolve));
    await closed;
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(answeringPings).toBeGreaterThanOrEqual(2);
  });

  it('keeps a connection that answers pings', async () => {
    const c = await online('hb2');
    let pings = 0;
    c.ws.on('ping', () => pings++);
    await new Promise((r) => setTimeout(r, 700));
    // pinged (100 ms apart) and answered, well past the 400 ms a silent one is given
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('online status (2005)', () => {
  it('answers with the current platforms and pushes changes to subscribers', async () => {
    const watcher = await online('watcher1');
    await online('watched1', 5);
    const { data } = await watcher.call(2005, 'SubUserOnlineStatus', { subscribeUserID: ['watched1', 'offline1'] }, 'SubUserOnlineStatusTips');
    expect(data.subscribers).toEqual([
      { userID: 'watched1', onlinePlatformIDs: [5] },
      { userID: 'offline1', onlinePlatformIDs: [] },
    ]);
    await online('watched1', 2);
    const change = await watcher.waitFor((f) => f.find((x) => x.reqIdentifier === 2005));
    expect(decodeProto('SubUserOnlineStatusTips', change.data).subscribers).toEqual([{ userID: 'watched1', onlinePlatformIDs: [2, 5] }]);
  });
});

describe('sdkType=js uses JSON frames', () => {
  it('answers requests in JSON', async () => {
    const token = await server.userToken('json1');
    const ws = new WebSocket(ImTestClient.url(server.wsUrl, { userID: 'json1', token, sdkType: 'js', gzip: false }));
    const frames: string[] = [];
    ws.on('message', (d: Buffer) => frames.push(d.toString()));
    await new Promise((r) => ws.once('open', r));
    await new Promise((r) => setTimeout(r, 20));
    // Requests still travel as binary frames; text frames are only ping/pong.
    ws.send(
      Buffer.from(
        JSON.stringify({
          reqIdentifier: 1001,
          sendID: 'json1',
          operationID: 'op',
          msgIncr: '1',
          data: Buffer.from(encodeProto('GetMaxSeqReq', { userID: 'json1' })).toString('base64'),
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    ws.terminate();
    expect(JSON.parse(frames[0] ?? '{}')).toEqual({ errCode: 0, errMsg: '', errDlt: '' });
    expect(JSON.parse(frames[1] ?? '{}')).toMatchObject({ reqIdentifier: 1001, msgIncr: '1', operationID: 'op', errCode: 0, data: null });
  });
});
