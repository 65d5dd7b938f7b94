/**
 * All sessions by (userID, platformID), every open client socket, and the routing of the
 * pool's core losses to the sessions that owned those cores.
 */
import type { Logger } from 'pino';
import type { CorePool, CoreLost } from '../pool/core-pool.ts';
import type { ClientConn } from '../transport/client-conn.ts';
import { CLOSE_CODES } from '../transport/close-codes.ts';
import { UserSession, type UserSessionDeps } from './user-session.ts';

export type HubDeps = Omit<UserSessionDeps, 'onClosed'> & { pool: CorePool; logger: Logger };

export function sessionKey(userID: string, platformID: number): string {
  return `${platformID}:${userID}`;
}

export class Hub {
  #deps: HubDeps;
  #sessions = new Map<string, UserSession>();
  /** Every open client socket, from its verified handshake until it closes. */
  #sockets = new Set<ClientConn>();

  constructor(deps: HubDeps) {
    this.#deps = deps;
    deps.pool.on('coreLost', (lost: CoreLost) => this.#onLost(lost));
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Open client sockets. */
  get socketCount(): number {
    return this.#sockets.size;
  }

  /** The open client sockets (live view: liveness and metrics walk it). */
  sockets(): ReadonlySet<ClientConn> {
    return this.#sockets;
  }

  sessions(): UserSession[] {
    return [...this.#sessions.values()];
  }

  get(userID: string, platformID: number): UserSession | undefined {
    return this.#sessions.get(sessionKey(userID, platformID));
  }

  connectionsOf(userID: string, platformID: number): number {
    return this.get(userID, platformID)?.connections ?? 0;
  }

  /** Attaches a socket to its user's session, creating the session if needed. */
  attach(conn: ClientConn): UserSession {
    this.#sockets.add(conn);
    const { userID, platformID } = conn.identity;
    const key = sessionKey(userID, platformID);
    let session = this.#sessions.get(key);
    if (!session || session.state === 'closed' || session.state === 'logging-out') {
      const fresh: UserSession = new UserSession(userID, platformID, {
        ...this.#deps,
        onClosed: (closed) => {
          if (this.#sessions.get(key) === closed) this.#sessions.delete(key);
        },
      });
      session = fresh;
      this.#sessions.set(key, fresh);
    }
    session.attach(conn);
    return session;
  }

  /** A socket closed: it leaves the session it joined (the last one starts the grace period). */
  detach(conn: ClientConn, session: UserSession): void {
    this.#sockets.delete(conn);
    session.detach(conn);
  }

  /**
   * Operator kick of a user's sessions (of one platform, or all): its cached token verdicts are
   * forgotten first, so a socket arriving meanwhile is verified afresh. The number ended.
   */
  async kick(userID: string, platformID: number | undefined, forgetTokens?: (userID: string, platformID: number | undefined) => void): Promise<number> {
    const targets = this.sessions().filter((s) => s.userID === userID && (platformID === undefined || s.platformID === platformID));
    forgetTokens?.(userID, platformID);
    await Promise.all(targets.map((s) => s.kick('kicked by operator')));
    return targets.length;
  }

  /** Barrier: a fault while recovering one session must not reach the pool's other reports. */
  #onLost(lost: CoreLost): void {
    try {
      this.get(lost.userID, lost.platformID)?.recover(lost);
    } catch (err) {
      this.#deps.logger.error({ err, userID: lost.userID, platformID: lost.platformID }, 'internal error while recovering a lost core');
      this.#deps.onInternalError?.('event');
    }
  }

  /** Server shutdown: every session logs its core out; then any socket left is told the server goes away. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((s) => s.shutdown()));
    for (const c of this.#sockets) c.close(CLOSE_CODES.goingAway.code, CLOSE_CODES.goingAway.reason);
  }
}
