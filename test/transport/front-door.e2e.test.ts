/**
 * The front door through the real server process (`src/cli.ts`, test core, a parse_token
 * stand-in): hostile frames are answered and the process and other sessions go on, frames
 * are read up to exactly 10 MiB, unanswered bytes are bounded while a Login is slow, and a
 * socket is judged slow by a backlog that lasts, not by one large answer.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startFakeIm, TestClient, type FakeIm } from '../helpers/gateway.ts';
import { CliGateway } from '../helpers/cli-process.ts';
import { sleep, until } from '../helpers/cores.ts';

const MiB = 2 ** 20;
const SLOW_LOGIN_MS = 6000;

let im: FakeIm;
let gw: CliGateway;
let bystander: TestClient;
/** A handshake whose request head never ends, opened first: when the server cut it, after how long. */
let trickle: Promise<{ afterMs: number; answer: string }>;

beforeAll(async () => {
  im = await startFakeIm();
  // The test core makes a Login with this token take SLOW_LOGIN_MS.
  im.tokens.set(`debug-slow-login-${SLOW_LOGIN_MS}`, { userID: 'pusher', platformID: 5 });
  gw = await CliGateway.start(['--core', 'test', '--workers', '1', '--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1', '--log-level', 'info']);
  trickle = new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(gw.port, '127.0.0.1', () => socket.write('GET /?sendID=bystander&platformID=5 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'));
    let answer = '';
    const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 500);
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(drip);
      resolve({ afterMs: Date.now() - started, answer });
    });
  });
  bystander = await TestClient.connect(gw, 'bystander');
  expect((await bystander.login('bystander')).errCode).toBe(0);
}, 90_000);

afterAll(async () => {
  bystander?.close();
  const code = await gw?.stop();
  await im?.close();
  expect(code).toBe(0);
});

/** The bystander still answers, quickly, and the process is up. */
async function othersUnaffected(): Promise<void> {
  const t0 = Date.now();
  expect((await bystander.request('GetLoginStatus')).data).toBe('3');
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(await gw.healthz()).toBe(200);
  expect(gw.alive).toBe(true);
}

describe('hostile frames through the real process', () => {
  it('a deeply nested argument is refused with 20006 naming the limit (it used to end the process)', async () => {
    const c = await TestClient.connect(gw, 'mallory');
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    c.sendRaw(JSON.stringify({ reqFuncName: 'CreateQuoteMessage', operationID: 'q1', data: `["t",${deep}]` }));
    const answer = await c.nextEvent((e) => e.operationID === 'q1');
    expect(answer).toMatchObject({ event: 'CreateQuoteMessage', errCode: 20006 });
    expect(answer.errMsg).toMatch(/deeper than 100 levels/);
    // The same after Login, through a pass-through function whose arguments reach the core as
    // they are: 100 levels of `data` (its own array included) pass, 101 do not.
    await c.login('mallory');
    expect(await c.request('DebugEcho', [JSON.parse('['.repeat(99) + ']'.repeat(99))])).toMatchObject({ errCode: 0 });
    c.sendRaw(JSON.stringify({ reqFuncName: 'DebugEcho', operationID: 'e1', data: '[' + '['.repeat(100) + ']'.repeat(100) + ']' }));
    expect(await c.nextEvent((e) => e.operationID === 'e1')).toMatchObject({ errCode: 20006 });
    await othersUnaffected();
    expect(await gw.metric('openim_jssdk_internal_errors_total')).toBe(0);
    c.close();
  });

  it('reads a frame of exactly 10 MiB and closes a socket sending 10 MiB + 1 byte with 1009', async () => {
    const c = await TestClient.connect(gw, 'big');
    const head = '{"reqFuncName":"GetLoginStatus","operationID":"big","data":"[]","pad":["';
    const tail = '"]}';
    const pad = 10 * MiB - head.length - tail.length;
    // Three strings, each under the 4 MiB string limit: the frame is answered normally.
    const third = Math.floor(pad / 3);
    const filler = ['x'.repeat(third), 'x'.repeat(third), 'x'.repeat(pad - 2 * third - 6)].join('","');
    const frame = head + filler + tail;
    expect(Buffer.byteLength(frame)).toBe(10 * MiB);
    c.sendRaw(frame);
    expect(await c.nextEvent((e) => e.operationID === 'big')).toMatchObject({ errCode: 0, data: '1' });
    c.sendRaw(frame.slice(0, -tail.length) + 'x' + tail);
    expect((await c.closed).code).toBe(1009);
    await othersUnaffected();
  });
});

describe('inbound bytes are bounded', () => {
  it('a socket pushing requests while its Login is slow is no longer read past 16 MiB; nothing is lost', async () => {
    const rssBefore = gw.rssBytes();
    const c = await TestClient.connect(gw, 'pusher', 5, `debug-slow-login-${SLOW_LOGIN_MS}`);
    const login = c.login('pusher', `debug-slow-login-${SLOW_LOGIN_MS}`);
    const frames = 120; // 120 MiB if the server held them all
    const answers = Array.from({ length: frames }, (_, i) => c.request('DebugEcho', [`${i}:${'p'.repeat(MiB)}`], `push-${i}`));
    let peakHeld = 0;
    let peakRss = 0;
    const deadline = Date.now() + SLOW_LOGIN_MS - 1500;
    while (Date.now() < deadline) {
      peakHeld = Math.max(peakHeld, await gw.metric('openim_jssdk_inbound_bytes_held'));
      peakRss = Math.max(peakRss, gw.rssBytes());
      await othersUnaffected();
      await sleep(200);
    }
    expect(await gw.metric('openim_jssdk_sockets_paused')).toBe(1);
    // Held: the 16 MiB bound, plus the frame that crossed it, plus what was read before the pause took effect.
    expect(peakHeld).toBeGreaterThan(16 * MiB);
    expect(peakHeld).toBeLessThanOrEqual(16 * MiB + 2 * (MiB + 100));
    // Unbounded, the 120 frames would cost well over 240 MB here (each held as text and as parsed arguments).
    expect(peakRss - rssBefore).toBeLessThan(100 * MiB);
    expect((await login).errCode).toBe(0);
    const answered = await Promise.all(answers);
    expect(answered.every((a, i) => a.errCode === 0 && a.data.startsWith(`"${i}:ppp`))).toBe(true);
    await until(async () => (await gw.metric('openim_jssdk_inbound_bytes_held')) === 0);
    expect(await gw.metric('openim_jssdk_sockets_paused')).toBe(0);
    c.close();
  }, 60_000);
});

describe('outbound: slowness is a backlog that lasts', () => {
  it('an answer of almost 10 MiB to a client that reads promptly leaves the socket open', async () => {
    const c = await TestClient.connect(gw, 'echo');
    await c.login('echo');
    // Control characters are escaped twice on the way back: the answer is as large as the frame.
    const text = '\u0001'.repeat(Math.floor((10 * MiB - 200) / 7));
    const answer = await c.request('DebugEcho', [text], 'e1');
    expect(answer.errCode).toBe(0);
    expect(JSON.stringify(answer).length).toBeGreaterThan(9 * MiB);
    await sleep(500);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(await gw.metric('openim_jssdk_disconnects_total', { code: '1013' })).toBe(0);
    c.close();
  });

  it('a socket that stops reading is closed 1013 once its backlog has stayed above 16 MiB for 5 s; its other tab goes on', async () => {
    const slow = await TestClient.connect(gw, 'liam');
    const fast = await TestClient.connect(gw, 'liam');
    await slow.login('liam');
    await fast.login('liam');
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const chunk = 'y'.repeat(MiB);
    // Events of 1 MiB reach both tabs; the fast one reads, the slow one's backlog grows.
    while ((await gw.metric('openim_jssdk_outbound_bytes_queued')) <= 16 * MiB) {
      await fast.request('DebugEmit', ['OnCustomBusiness', chunk]);
    }
    const over = Date.now();
    await sleep(4000);
    expect(await gw.metric('openim_jssdk_disconnects_total', { code: '1013' })).toBe(0);
    await until(async () => (await gw.metric('openim_jssdk_disconnects_total', { code: '1013' })) === 1, 4000);
    expect(Date.now() - over).toBeGreaterThanOrEqual(4800);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slow.closed).code).toBe(1013);
    expect((await fast.request('GetLoginStatus')).data).toBe('3');
    await othersUnaffected();
    fast.close();
  }, 30_000);
});

it('a handshake that never finishes its request head is cut after 10 s', async () => {
  const { afterMs, answer } = await trickle;
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
  expect(afterMs).toBeGreaterThanOrEqual(10_000);
  expect(afterMs).toBeLessThan(12_500);
}, 20_000);

it('no barrier was needed: the process caught no internal error in this file', async () => {
  expect(await gw.metric('openim_jssdk_internal_errors_total')).toBe(0);
});
