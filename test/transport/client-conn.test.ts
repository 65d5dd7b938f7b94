/**
 * ClientConn's outbound judgement over real loopback sockets: slowness is a backlog above
 * 16 MiB that lasts 5 s, never one large frame; a backlog past 64 MiB on top of that closes at once.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, type TestContext } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { LIMITS } from '../../src/limits.ts';
import { ClientConn } from '../../src/transport/client-conn.ts';
import type { ClientEnvelope } from '../../src/protocol/envelope.ts';

const MiB = 2 ** 20;

interface Pair {
  conn: ClientConn;
  client: WebSocket;
  closes: Array<{ code: number; backlogBytes: number; at: number }>;
  received: () => number;
}

async function pair(ctx: TestContext): Promise<Pair> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { maxPayload: 256 * MiB });
  const [server] = (await once(wss, 'connection')) as [WebSocket];
  await once(client, 'open');
  let received = 0;
  client.on('message', (d: Buffer) => (received += d.length));
  client.on('error', () => {});
  const closes: Pair['closes'] = [];
  const conn = new ClientConn(
    server,
    { userID: 'u', platformID: 5, token: 't', operationID: '', remoteAddress: '' },
    {
      outboundBacklogBytes: LIMITS.outboundBacklogBytes,
      slowConsumerMs: LIMITS.slowConsumerMs,
      outboundBacklogHardBytes: LIMITS.outboundBacklogHardBytes,
      onServerClose: (code, backlogBytes) => closes.push({ code, backlogBytes, at: Date.now() }),
    },
  );
  ctx.onTestFinished(() => {
    client.terminate();
    wss.close();
  });
  return { conn, client, closes, received: () => received };
}

const event = (bytes: number): ClientEnvelope => ({ event: 'OnX', errCode: 0, errMsg: '', data: 'z'.repeat(bytes), operationID: '' });
const stopReading = (ws: WebSocket): void => (ws as unknown as { _socket: { pause(): void } })._socket.pause();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.concurrent('ClientConn outbound backlog', () => {
  it('pins the documented limits: 16 MiB for 5 s, 64 MiB at once', () => {
    expect([LIMITS.outboundBacklogBytes, LIMITS.slowConsumerMs, LIMITS.outboundBacklogHardBytes]).toEqual([16 * MiB, 5000, 64 * MiB]);
  });

  it('one answer far above the backlog limit, read promptly, leaves the socket open', async (ctx) => {
    const { conn, closes, received } = await pair(ctx);
    expect(conn.send(event(40 * MiB))).toBe(true);
    await until(() => received() > 40 * MiB);
    await sleep(300);
    expect(closes).toEqual([]);
    expect(conn.open).toBe(true);
  });

  it('a backlog held just under 16 MiB never counts as slow', async (ctx) => {
    const { conn, client, closes } = await pair(ctx);
    stopReading(client);
    // Fill until the server side itself holds 15 MiB (the kernel takes some first).
    while (conn.bufferedBytes < 15 * MiB) {
      conn.send(event(256 * 1024));
      await sleep(2);
    }
    expect(conn.bufferedBytes).toBeLessThan(16 * MiB);
    await sleep(5600);
    expect(closes).toEqual([]);
  }, 15_000);

  it('a backlog above 16 MiB for 5 s closes the socket 1013, not sooner', async (ctx) => {
    const { conn, client, closes } = await pair(ctx);
    stopReading(client);
    while (conn.bufferedBytes <= 16 * MiB) {
      conn.send(event(256 * 1024));
      await sleep(2);
    }
    const over = Date.now();
    await sleep(4500);
    expect(closes).toEqual([]);
    await until(() => closes.length > 0, 2000);
    expect(closes[0]!.code).toBe(1013);
    expect(closes[0]!.at - over).toBeGreaterThanOrEqual(4900);
    expect(closes[0]!.backlogBytes).toBeGreaterThan(16 * MiB);
  }, 15_000);

  it('a backlog that drains in time is forgiven', async (ctx) => {
    const { conn, client, closes, received } = await pair(ctx);
    stopReading(client);
    while (conn.bufferedBytes <= 16 * MiB) conn.send(event(MiB));
    await sleep(3000);
    (client as unknown as { _socket: { resume(): void } })._socket.resume();
    await until(() => conn.bufferedBytes < MiB);
    stopReading(client);
    await sleep(3000); // 6 s since the backlog first passed the limit, but not in one stretch
    expect(closes).toEqual([]);
    expect(received()).toBeGreaterThan(0);
  }, 15_000);

  it('piling on past 64 MiB while already over the limit closes at once', async (ctx) => {
    const { conn, client, closes } = await pair(ctx);
    stopReading(client);
    while (conn.bufferedBytes <= 16 * MiB) {
      conn.send(event(MiB));
      await sleep(1);
    }
    const t0 = Date.now();
    while (conn.open && conn.bufferedBytes <= 64 * MiB) conn.send(event(4 * MiB));
    expect(closes.map((c) => c.code)).toEqual([1013]);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(closes[0]!.backlogBytes).toBeGreaterThan(64 * MiB);
    expect(closes[0]!.backlogBytes).toBeLessThan(64 * MiB + 4 * MiB + 4096);
  }, 15_000);
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}
