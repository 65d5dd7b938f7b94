/**
 * A real gateway for tests: test core, real worker pool, a small parse_token responder on
 * loopback standing in for the IM server (scripts/lib/fake-im.ts), and ws clients that speak
 * the client protocol.
 */
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer, type StartOptions } from '../../src/server.ts';
import { defaultServerOptions } from '../../src/config/options.ts';
import type { ClientEnvelope } from '../../src/protocol/envelope.ts';
import { silentLogger } from './cores.ts';
import { startFakeIm, tokenFor, type FakeIm } from '../../scripts/lib/fake-im.ts';

export { startFakeIm, tokenFor, type FakeIm, type TokenTable } from '../../scripts/lib/fake-im.ts';

export async function startGateway(im: FakeIm, extra: Partial<StartOptions> = {}): Promise<RunningServer> {
  return startServer({
    ...defaultServerOptions(),
    host: '127.0.0.1',
    port: 0,
    core: 'test',
    workers: 1,
    openimApi: im.url,
    openimWs: 'ws://127.0.0.1:1',
    logLevel: 'silent',
    logger: silentLogger,
    gracePeriodSeconds: 60,
    ...extra,
  });
}

/** What a test file gets from useGatewayFixture(). */
export interface GatewayFixture {
  /** The file's IM stand-in; its token table and delays are reset after each test. */
  readonly im: FakeIm;
  /** A gateway in front of `im`, closed after the test. */
  gateway(this: void, extra?: Partial<StartOptions>): Promise<RunningServer>;
  /** A connected client socket, closed after the test. */
  client(this: void, gw: RunningServer, userID: string, platformID?: number, token?: string): Promise<TestClient>;
}

/** Registers the hooks of a file whose tests start gateways and clients against one IM stand-in. */
export function useGatewayFixture(): GatewayFixture {
  let im: FakeIm | undefined;
  const gateways: RunningServer[] = [];
  const clients: TestClient[] = [];
  beforeAll(async () => {
    im = await startFakeIm();
  });
  afterAll(() => im?.close());
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(gateways.splice(0).map((g) => g.close()));
    if (im) {
      im.delay = () => 0;
      im.tokens.clear();
    }
  });
  const fakeIm = (): FakeIm => {
    if (!im) throw new Error('the fake IM server starts in beforeAll');
    return im;
  };
  return {
    get im() {
      return fakeIm();
    },
    async gateway(extra = {}) {
      const gw = await startGateway(fakeIm(), extra);
      gateways.push(gw);
      return gw;
    },
    async client(gw, userID, platformID = 5, token) {
      const c = await TestClient.connect(gw, userID, platformID, token);
      clients.push(c);
      return c;
    },
  };
}

/** A client socket speaking the JSON envelope protocol, like open-im-sdk 3.5.2. */
export class TestClient {
  readonly ws: WebSocket;
  readonly events: ClientEnvelope[] = [];
  readonly responses: ClientEnvelope[] = [];
  #waiters = new Map<string, (e: ClientEnvelope) => void>();
  #eventWaiters: Array<{ match: (e: ClientEnvelope) => boolean; resolve: (e: ClientEnvelope) => void }> = [];
  #seq = 0;
  closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer) => {
      const env = JSON.parse(data.toString()) as ClientEnvelope;
      const waiter = env.operationID ? this.#waiters.get(env.operationID) : undefined;
      if (waiter) {
        this.#waiters.delete(env.operationID);
        this.responses.push(env);
        waiter(env);
        return;
      }
      this.events.push(env);
      for (const w of [...this.#eventWaiters]) {
        if (w.match(env)) {
          this.#eventWaiters.splice(this.#eventWaiters.indexOf(w), 1);
          w.resolve(env);
        }
      }
    });
  }

  static url(gw: Pick<RunningServer, 'url'>, q: Record<string, string | number>): string {
    return `${gw.url}/?${Object.entries(q)
      .map(([k, v]) => `${k}=${v}`)
      .join('&')}`;
  }

  static async connect(gw: Pick<RunningServer, 'url'>, userID: string, platformID = 5, token = tokenFor(userID, platformID)): Promise<TestClient> {
    const ws = new WebSocket(TestClient.url(gw, { sendID: userID, token, platformID, operationID: `hs-${userID}` }));
    await once(ws, 'open');
    return new TestClient(ws);
  }

  /** Sends a request and resolves with its response (matched by operationID). */
  request(reqFuncName: string, data: unknown[] = [], operationID = `op-${++this.#seq}-${Math.random()}`): Promise<ClientEnvelope> {
    const answer = new Promise<ClientEnvelope>((resolve) => this.#waiters.set(operationID, resolve));
    this.ws.send(JSON.stringify({ reqFuncName, operationID, userID: 'ignored', data: JSON.stringify(data) }));
    return answer;
  }

  sendRaw(frame: string | Buffer, binary = false): void {
    this.ws.send(frame, { binary });
  }

  nextEvent(match: (e: ClientEnvelope) => boolean | string): Promise<ClientEnvelope> {
    const test = (e: ClientEnvelope): boolean => {
      const m = match(e);
      return typeof m === 'string' ? e.event === m : m;
    };
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#eventWaiters.push({ match: test, resolve }));
  }

  event(name: string): Promise<ClientEnvelope> {
    return this.nextEvent((e) => e.event === name);
  }

  async login(userID: string, token = tokenFor(userID)): Promise<ClientEnvelope> {
    return this.request('Login', [userID, token]);
  }

  close(): void {
    this.ws.close();
  }
}

/** Handshake outcome without upgrading: the HTTP status and body of a refusal, or 101. */
export async function handshakeStatus(gw: Pick<RunningServer, 'url'>, query: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${gw.url}/?${query}`);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('error', () => {});
  });
}
