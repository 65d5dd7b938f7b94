/**
 * One client WebSocket: the single owner of its writes (frame type, backpressure), of pausing
 * its reads, and of its liveness. Everything above it deals in envelopes, never in frames.
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
  /** A backlog (bytes the peer has not taken) above this, for `slowConsumerMs`, means slow. */
  outboundBacklogBytes: number;
  slowConsumerMs: number;
  /** Past this backlog a socket that was already over `outboundBacklogBytes` is closed at once. */
  outboundBacklogHardBytes: number;
  /** Told each time the server closes a socket, with the code (for metrics). */
  onServerClose?(code: number, backlogBytes: number): void;
  /** An envelope could not be written (a bug: envelopes are plain strings); logged and counted by the owner. */
  onSendError?(err: unknown): void;
}

/** How often a backlog over the limit is looked at again while it lasts. */
const BACKLOG_CHECK_MS = 250;
/** A socket closed for slowness or silence is cut after this long without taking any data. */
const STALLED_CLOSE_MS = 1000;

let nextConnId = 1;

export class ClientConn {
  readonly id = nextConnId++;
  readonly identity: ConnIdentity;
  /** Requests of this socket not answered yet (kept by the request handler). */
  inFlight = 0;
  /** Frame bytes of those requests (kept by the inbound budget). */
  inboundBytes = 0;
  #ws: WebSocket;
  /** The socket under `#ws` (the upgrade's), corked while a turn's frames accumulate. */
  #transport: Writable | undefined;
  #limits: ConnLimits;
  /** Reply in the frame type the client last used (3.4.1 speaks binary, 3.5.2 text). */
  #binary = false;
  #lastSeenAt = Date.now();
  #closed = false;
  #paused = false;
  /** Since when the backlog has been above the limit without a break. */
  #overSince: number | undefined;
  #backlogTimer: ReturnType<typeof setInterval> | undefined;

  constructor(ws: WebSocket, identity: ConnIdentity, limits: ConnLimits, transport?: Writable) {
    this.#ws = ws;
    this.#transport = transport;
    this.identity = identity;
    this.#limits = limits;
    ws.on('pong', () => this.#seen());
    ws.on('close', () => {
      this.#closed = true;
      this.#stopBacklogWatch();
    });
  }

  get open(): boolean {
    return !this.#closed && this.#ws.readyState === this.#ws.OPEN;
  }

  get bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** A socket we stopped reading cannot be heard: it is not silent, we are deaf. */
  get silentForMs(): number {
    return this.#paused ? 0 : Date.now() - this.#lastSeenAt;
  }

  /** Any inbound frame counts as liveness; remembers the frame type to answer in. */
  noteInbound(isBinary: boolean): void {
    this.#binary = isBinary;
    this.#seen();
  }

  /** Stops reading the socket (TCP then pushes back on the client) until resume(). */
  pause(): void {
    if (this.#paused || this.#closed) return;
    this.#paused = true;
    this.#ws.pause();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#seen();
    this.#ws.resume();
  }

  /**
   * Sends one envelope. Slowness is judged by a backlog that persists, never by one frame:
   * a large answer to a client that reads promptly drains in milliseconds.
   */
  send(envelope: ClientEnvelope): boolean {
    if (!this.open) return false;
    const backlogBefore = this.#ws.bufferedAmount;
    try {
      const text = JSON.stringify(envelope);
      this.#ws.send(this.#binary ? Buffer.from(text) : text, { binary: this.#binary });
      if (this.#transport) coalesceWrites(this.#transport);
    } catch (err) {
      this.#limits.onSendError?.(err);
      return false;
    }
    const backlog = this.#ws.bufferedAmount;
    if (backlog <= this.#limits.outboundBacklogBytes) return true;
    if (backlogBefore > this.#limits.outboundBacklogBytes && backlog > this.#limits.outboundBacklogHardBytes) {
      this.close(CLOSE_CODES.slowConsumer.code, CLOSE_CODES.slowConsumer.reason);
      return false;
    }
    this.#overSince ??= Date.now();
    this.#backlogTimer ??= setInterval(() => this.#checkBacklog(), BACKLOG_CHECK_MS);
    return true;
  }

  ping(): void {
    if (this.open) this.#ws.ping();
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopBacklogWatch();
    this.#limits.onServerClose?.(code, this.#ws.bufferedAmount);
    // The closing handshake needs the peer's close frame: read again.
    if (this.#paused) {
      this.#paused = false;
      this.#ws.resume();
    }
    this.#ws.close(code, reason);
    if (code === CLOSE_CODES.slowConsumer.code || code === CLOSE_CODES.dead.code) this.#terminateIfStalled();
  }

  /**
   * The close frame waits behind the backlog: a peer that reads again gets it (and the data
   * before it); one that does not would keep the backlog for the whole close timeout, so it
   * is cut once a second passes without the backlog shrinking.
   */
  #terminateIfStalled(): void {
    let last = this.#ws.bufferedAmount;
    let stalledSince = Date.now();
    const timer = setInterval(() => {
      const now = this.#ws.bufferedAmount;
      if (this.#ws.readyState === this.#ws.CLOSED) return clearInterval(timer);
      if (now < last) stalledSince = Date.now();
      last = now;
      if (Date.now() - stalledSince >= STALLED_CLOSE_MS) {
        clearInterval(timer);
        this.#ws.terminate();
      }
    }, BACKLOG_CHECK_MS);
    timer.unref();
  }

  #checkBacklog(): void {
    if (this.#closed) return this.#stopBacklogWatch();
    if (this.#ws.bufferedAmount <= this.#limits.outboundBacklogBytes) {
      this.#overSince = undefined;
      return this.#stopBacklogWatch();
    }
    if (Date.now() - (this.#overSince ?? Date.now()) >= this.#limits.slowConsumerMs) {
      this.close(CLOSE_CODES.slowConsumer.code, CLOSE_CODES.slowConsumer.reason);
    }
  }

  #stopBacklogWatch(): void {
    if (this.#backlogTimer) clearInterval(this.#backlogTimer);
    this.#backlogTimer = undefined;
  }

  #seen(): void {
    this.#lastSeenAt = Date.now();
  }
}
