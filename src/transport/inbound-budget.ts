/**
 * Bounds the bytes of client frames the gateway holds: read, not yet answered. Requests can
 * wait a long time (every request of a session waits for its Login; a slow core answers
 * slowly), and without a bound one socket could park ~1 000 requests of 10 MiB each.
 *
 * Past the bound per socket, or per user+platform (summed over its sockets), the socket that
 * delivered the frame stops being read; TCP then pushes back on the client, and nothing it
 * sent is lost. A paused socket is read again once answers have brought both sums back under
 * their bounds. What one socket can make us hold is therefore its bound plus the frame being
 * read when the pause took effect (at most `LIMITS.frameBytes`).
 */
import type { ClientConn } from './client-conn.ts';

export interface InboundLimits {
  perSocketBytes: number;
  perSessionBytes: number;
}

interface SessionInbound {
  bytes: number;
  paused: Set<ClientConn>;
}

export class InboundBudget {
  readonly #limits: InboundLimits;
  readonly #sessions = new Map<string, SessionInbound>();
  #bytes = 0;
  #pausedCount = 0;

  constructor(limits: InboundLimits) {
    this.#limits = limits;
  }

  /** Bytes held across all sockets. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Sockets not being read right now because of this budget. */
  get pausedSockets(): number {
    return this.#pausedCount;
  }

  /** A frame of `bytes` was read from `conn` (of session `key`); pauses `conn` when over a bound. */
  take(conn: ClientConn, key: string, bytes: number): void {
    let session = this.#sessions.get(key);
    if (!session) {
      session = { bytes: 0, paused: new Set() };
      this.#sessions.set(key, session);
    }
    conn.inboundBytes += bytes;
    session.bytes += bytes;
    this.#bytes += bytes;
    if ((conn.inboundBytes > this.#limits.perSocketBytes || session.bytes > this.#limits.perSessionBytes) && !session.paused.has(conn)) {
      session.paused.add(conn);
      this.#pausedCount++;
      conn.pause();
    }
  }

  /** The request of that frame was answered (or dropped): its bytes are free again. */
  release(conn: ClientConn, key: string, bytes: number): void {
    const session = this.#sessions.get(key);
    conn.inboundBytes -= bytes;
    this.#bytes -= bytes;
    if (!session) return;
    session.bytes -= bytes;
    if (session.bytes <= this.#limits.perSessionBytes) {
      for (const paused of session.paused) {
        if (paused.inboundBytes > this.#limits.perSocketBytes) continue;
        session.paused.delete(paused);
        this.#pausedCount--;
        paused.resume();
      }
    }
    if (session.bytes === 0 && session.paused.size === 0) this.#sessions.delete(key);
  }

  /** A socket closed: it is no longer waiting to be read. Its held bytes are released by its requests. */
  forget(conn: ClientConn, key: string): void {
    const session = this.#sessions.get(key);
    if (session?.paused.delete(conn)) this.#pausedCount--;
    if (session && session.bytes === 0 && session.paused.size === 0) this.#sessions.delete(key);
  }
}
