/**
 * One client WebSocket: the single owner of its writes (frame type, backpressure) and its
 * liveness. Everything above it deals in envelopes, never in frames.
 */
import type { Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ClientEnvelope } from '../protocol/envelope.ts';
import { CLOSE_CODES } from './close-codes.ts';
import { coalesceWrites } from './write-coalescer.ts';

export interface ConnIdentity {
  userID: string;
  platformID: number;
  /** The token this socket's handshake proved. Never logged. */
  token: string;
  /** operationID from the handshake URL (the client reuses it for its first Login). */
  operationID: string;
  remoteAddress: string;
}

export interface ConnLimits {
  /** Close with 1013 once this many bytes wait in the socket's send buffer. */
  maxBufferedBytes: number;
  /** Told each time the server closes a socket, with the code (for metrics). */
  onServerClose?(code: number): void;
}

let nextConnId = 1;

export class ClientConn {
  readonly id = nextConnId++;
  readonly identity: ConnIdentity;
  /** Requests of this socket not answered yet (kept by the request handler). */
  inFlight = 0;
  #ws: WebSocket;
  /** The socket under `#ws` (the upgrade's), corked while a turn's frames accumulate. */
  #transport: Writable | undefined;
  #limits: ConnLimits;
  /** Reply in the frame type the client last used (3.4.1 speaks binary, 3.5.2 text). */
  #binary = false;
  #lastSeenAt = Date.now();
  #closed = false;

  constructor(ws: WebSocket, identity: ConnIdentity, limits: ConnLimits, transport?: Writable) {
    this.#ws = ws;
    this.#transport = transport;
    this.identity = identity;
    this.#limits = limits;
    ws.on('pong', () => this.#seen());
    ws.on('close', () => {
      this.#closed = true;
    });
  }

  get open(): boolean {
    return !this.#closed && this.#ws.readyState === this.#ws.OPEN;
  }

  get bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  get silentForMs(): number {
    return Date.now() - this.#lastSeenAt;
  }

  /** Any inbound frame counts as liveness; remembers the frame type to answer in. */
  noteInbound(isBinary: boolean): void {
    this.#binary = isBinary;
    this.#seen();
  }

  /** Sends one envelope; a socket that cannot keep up is closed rather than buffered without bound. */
  send(envelope: ClientEnvelope): boolean {
    if (!this.open) return false;
    const text = JSON.stringify(envelope);
    this.#ws.send(this.#binary ? Buffer.from(text) : text, { binary: this.#binary });
    if (this.#transport) coalesceWrites(this.#transport);
    if (this.#ws.bufferedAmount > this.#limits.maxBufferedBytes) {
      this.close(CLOSE_CODES.slowConsumer.code, CLOSE_CODES.slowConsumer.reason);
      return false;
    }
    return true;
  }

  ping(): void {
    if (this.open) this.#ws.ping();
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#limits.onServerClose?.(code);
    if (code === CLOSE_CODES.slowConsumer.code || code === CLOSE_CODES.dead.code) {
      // A socket that is not draining would hold a graceful close for as long as it stalls.
      this.#ws.close(code, reason);
      setTimeout(() => this.#ws.terminate(), 1000).unref();
    } else {
      this.#ws.close(code, reason);
    }
  }

  #seen(): void {
    this.#lastSeenAt = Date.now();
  }
}
