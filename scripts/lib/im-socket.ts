/**
 * A client socket speaking the gateway's JSON envelope protocol (README "Protocol for
 * client authors"), with an inbox from which responses and events are taken by predicate.
 * Every wait is bounded so that a gateway that never answers is reported, not waited on.
 */
import { WebSocket } from 'ws';
import { StepTimeout } from './timing.ts';

/** What the gateway sends: responses and listener events alike. */
export interface Envelope {
  event: string;
  errCode: number;
  errMsg: string;
  data: string;
  operationID: string;
}

export interface Received {
  /** The parsed frame; `shapeProblem` says when it was not a well-formed envelope. */
  env: Envelope;
  binary: boolean;
  shapeProblem: string | undefined;
  raw: string;
}

export interface HandshakeQuery {
  sendID: string;
  token: string;
  platformID: number;
  operationID?: string;
}

const DEFAULT_WAIT_MS = 15_000;

interface Waiter {
  match: (r: Received) => boolean;
  resolve: (r: Received) => void;
  reject: (err: Error) => void;
  what: string;
}

/** Why a received frame is not a proper envelope, or undefined when it is one. */
export function envelopeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (typeof v.event !== 'string') return 'event is not a string';
  if (typeof v.errCode !== 'number' || !Number.isSafeInteger(v.errCode)) return 'errCode is not an integer';
  if (typeof v.errMsg !== 'string') return 'errMsg is not a string';
  if (typeof v.data !== 'string') return 'data is not a string';
  if (typeof v.operationID !== 'string') return 'operationID is not a string';
  return undefined;
}

export class ImSocket {
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Frames not taken yet, oldest first. */
  readonly inbox: Received[] = [];
  /** Frames that were not proper envelopes (never taken by predicates that read fields). */
  readonly malformed: Received[] = [];
  #waiters: Waiter[] = [];
  #seq = 0;
  #isClosed = false;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.#isClosed = true;
        // Every frame is delivered before 'close': what is still awaited will not come.
        for (const w of this.#waiters.splice(0)) w.reject(new Error(`${w.what}: socket closed before it arrived`));
        resolve({ code, reason: reason.toString() });
      }),
    );
    ws.on('error', () => {
      // Errors end in 'close', which is what callers wait on.
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onFrame(data.toString('utf8'), isBinary));
  }

  static url(base: string, q: HandshakeQuery): string {
    const params = new URLSearchParams({ sendID: q.sendID, token: q.token, platformID: String(q.platformID) });
    if (q.operationID !== undefined) params.set('operationID', q.operationID);
    return `${base}/?${params.toString()}`;
  }

  /** Opens a socket; rejects with the HTTP status when the handshake is refused. */
  static open(base: string, q: HandshakeQuery, timeoutMs = DEFAULT_WAIT_MS): Promise<ImSocket> {
    const ws = new WebSocket(ImSocket.url(base, q), { handshakeTimeout: timeoutMs });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new ImSocket(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(new Error(`handshake refused: HTTP ${res.statusCode} ${body.slice(0, 200)}`)));
      });
      ws.once('error', (err) => reject(err));
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  nextOperationID(prefix = 'op'): string {
    return `${prefix}-${++this.#seq}-${Date.now().toString(36)}`;
  }

  /** Sends a request the way client 3.5.2 does (`data` = JSON text of the argument array). */
  send(reqFuncName: string, args: unknown[], operationID: string, binary = false): void {
    const frame = JSON.stringify({ reqFuncName, operationID, userID: 'ignored-by-the-gateway', data: JSON.stringify(args) });
    this.sendRaw(binary ? Buffer.from(frame) : frame, binary);
  }

  sendRaw(frame: string | Buffer, binary: boolean): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame, { binary });
  }

  /** Sends a request and waits for the response with its operationID. */
  async request(reqFuncName: string, args: unknown[] = [], opts: { operationID?: string; binary?: boolean; timeoutMs?: number } = {}): Promise<Received> {
    const operationID = opts.operationID ?? this.nextOperationID(reqFuncName);
    const answer = this.take((r) => r.env.operationID === operationID, opts.timeoutMs ?? DEFAULT_WAIT_MS, `${reqFuncName} response`);
    this.send(reqFuncName, args, operationID, opts.binary ?? false);
    return answer;
  }

  /**
   * The first frame (in arrival order) matching `match`, removed from the inbox. Rejects
   * with StepTimeout after `timeoutMs`, or at once with an Error once the socket is closed
   * and nothing matching is left.
   */
  take(match: (r: Received) => boolean, timeoutMs = DEFAULT_WAIT_MS, what = 'frame'): Promise<Received> {
    const i = this.inbox.findIndex(match);
    if (i !== -1) return Promise.resolve(this.inbox.splice(i, 1)[0] as Received);
    if (this.#isClosed) return Promise.reject(new Error(`${what}: socket closed before it arrived`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#removeWaiter(waiter);
        reject(new StepTimeout(what, timeoutMs));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
        what,
      };
      this.#waiters.push(waiter);
    });
  }

  /** Drops listener events (operationID "") from the inbox; returns how many. */
  dropEvents(): number {
    let n = 0;
    for (let i = this.inbox.length - 1; i >= 0; i--) {
      if ((this.inbox[i] as Received).env.operationID === '') {
        this.inbox.splice(i, 1);
        n++;
      }
    }
    return n;
  }

  /** Closing handshake, bounded: a gateway that never answers it gets the socket terminated. */
  async close(code = 1000): Promise<void> {
    if (this.#isClosed) return;
    this.ws.close(code);
    const timer = setTimeout(() => this.ws.terminate(), 3000);
    await this.closed;
    clearTimeout(timer);
  }

  /** Abrupt loss: no close frame, the TCP connection just goes away. */
  terminate(): void {
    this.ws.terminate();
  }

  #onFrame(raw: string, binary: boolean): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    const shapeProblem = parsed === undefined ? 'not JSON' : envelopeProblem(parsed);
    const env: Envelope = shapeProblem ? { event: '', errCode: NaN, errMsg: '', data: '', operationID: '\u0000malformed' } : (parsed as Envelope);
    const received: Received = { env, binary, shapeProblem, raw };
    if (shapeProblem) {
      this.malformed.push(received);
      return;
    }
    const w = this.#waiters.find((x) => x.match(received));
    if (!w) {
      this.inbox.push(received);
      return;
    }
    this.#removeWaiter(w);
    w.resolve(received);
  }

  #removeWaiter(w: Waiter): void {
    const k = this.#waiters.indexOf(w);
    if (k !== -1) this.#waiters.splice(k, 1);
  }
}
