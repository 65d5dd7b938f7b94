/**
 * One client socket of the gateway, speaking the JSON envelope protocol the way
 * open-im-sdk does, with a receive timestamp on every frame so benches can time what
 * they see from outside the gateway.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { ClientEnvelope } from '../../../src/protocol/envelope.ts';

export interface Received {
  env: ClientEnvelope;
  /** performance.now() when the frame was read. */
  at: number;
}

interface EventWaiter {
  name: string;
  /** Only events received at or after this index count (so an old one is not taken for a new one). */
  from: number;
  resolve: (r: Received) => void;
}

export class GwClient {
  readonly userID: string;
  readonly ws: WebSocket;
  /** Listener events, and replies to `send`: frames no `request` waits for, in arrival order. */
  readonly events: Received[] = [];
  #replies = new Map<string, (r: Received) => void>();
  #eventWaiters: EventWaiter[] = [];
  #seq = 0;
  readonly closed: Promise<number>;

  private constructor(userID: string, ws: WebSocket) {
    this.userID = userID;
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data: Buffer) => {
      const at = performance.now();
      const env = JSON.parse(data.toString('utf8')) as ClientEnvelope;
      const reply = env.operationID ? this.#replies.get(env.operationID) : undefined;
      if (reply) {
        this.#replies.delete(env.operationID);
        reply({ env, at });
        return;
      }
      const received = { env, at };
      this.events.push(received);
      const index = this.events.length - 1;
      for (const w of [...this.#eventWaiters]) {
        if (w.name === env.event && index >= w.from) {
          this.#eventWaiters.splice(this.#eventWaiters.indexOf(w), 1);
          w.resolve(received);
        }
      }
    });
  }

  /** Opens the socket (handshake with token check); resolves once it is open. */
  static async connect(gatewayUrl: string, userID: string, token: string, platformID = 5): Promise<GwClient> {
    const q = new URLSearchParams({ sendID: userID, token, platformID: String(platformID), operationID: `hs-${userID}` });
    const ws = new WebSocket(`${gatewayUrl}/?${q}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake for ${userID}: HTTP ${res.statusCode}`)));
    });
    ws.on('error', () => {}); // a later socket error shows up as the close code
    return new GwClient(userID, ws);
  }

  /** Sends a request; resolves with its reply and the send and receive times. */
  async request(reqFuncName: string, data: unknown[] = []): Promise<Received & { sentAt: number }> {
    const operationID = `${this.userID}-${++this.#seq}`;
    const answer = new Promise<Received>((resolve) => this.#replies.set(operationID, resolve));
    const sentAt = performance.now();
    this.ws.send(JSON.stringify({ reqFuncName, operationID, userID: this.userID, data: JSON.stringify(data) }));
    return { ...(await answer), sentAt };
  }

  /** Fire and forget: returns the send time; the reply, if any, lands in `events`. */
  send(reqFuncName: string, data: unknown[] = []): number {
    const sentAt = performance.now();
    this.ws.send(JSON.stringify({ reqFuncName, operationID: `${this.userID}-${++this.#seq}`, userID: this.userID, data: JSON.stringify(data) }));
    return sentAt;
  }

  /** Login with the handshake's token; throws unless it succeeds. */
  async login(token: string): Promise<Received & { sentAt: number }> {
    const r = await this.request('Login', [this.userID, token]);
    if (r.env.errCode !== 0) throw new Error(`Login of ${this.userID} failed: ${r.env.errCode} ${r.env.errMsg}`);
    return r;
  }

  /** Index the next event will get; pass it to `event` to wait only for later ones. */
  get mark(): number {
    return this.events.length;
  }

  /** The first event `name` at or after index `from`, waiting up to `timeoutMs`. */
  event(name: string, from = 0, timeoutMs = 30_000): Promise<Received> {
    const seen = this.events.find((r, i) => i >= from && r.env.event === name);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: EventWaiter = {
        name,
        from,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.#eventWaiters.splice(this.#eventWaiters.indexOf(waiter), 1);
        reject(new Error(`${this.userID}: no ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#eventWaiters.push(waiter);
    });
  }

  /** Closes the socket and waits for the close (bounded: a gateway gone never answers). */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 2000);
    await this.closed;
    clearTimeout(timer);
  }
}
