/**
 * All user sessions by (userID, platformID), and the routing of pool losses to them.
 */
import type { Logger } from 'pino';
import type { CorePool, CoreLost } from '../pool/core-pool.ts';
import type { ClientConn } from '../transport/client-conn.ts';
import { UserSession, type UserSessionDeps } from './user-session.ts';

export type HubDeps = Omit<UserSessionDeps, 'onClosed'> & { pool: CorePool; logger: Logger };

export function sessionKey(userID: string, platformID: number): string {
  return `${platformID}:${userID}`;
}

export class Hub {
  #deps: HubDeps;
  #sessions = new Map<string, UserSession>();

  constructor(deps: HubDeps) {
    this.#deps = deps;
    deps.pool.on('coreLost', (lost: CoreLost) => this.#onLost(lost));
  }

  get size(): number {
    return this.#sessions.size;
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

  async shutdown(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((s) => s.shutdown()));
  }
}
