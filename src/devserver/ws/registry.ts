/**
 * Who is connected: connections per user and platform, and who subscribed to whose
 * online status (2005).
 */

export interface RegisteredConnection {
  readonly userID: string;
  readonly platformID: number;
  readonly token: string;
}

export class ConnectionRegistry<C extends RegisteredConnection> {
  readonly #byUser = new Map<string, Set<C>>();
  /** watched userID → connections that subscribed to them */
  readonly #watchers = new Map<string, Set<C>>();
  /** connection → userIDs it watches */
  readonly #watching = new Map<C, Set<string>>();

  add(conn: C): void {
    let conns = this.#byUser.get(conn.userID);
    if (conns === undefined) {
      conns = new Set();
      this.#byUser.set(conn.userID, conns);
    }
    conns.add(conn);
  }

  /** Also drops the connection's subscriptions. */
  remove(conn: C): boolean {
    const conns = this.#byUser.get(conn.userID);
    const removed = conns?.delete(conn) ?? false;
    if (conns !== undefined && conns.size === 0) this.#byUser.delete(conn.userID);
    this.subscribe(conn, [], [...(this.#watching.get(conn) ?? [])]);
    return removed;
  }

  byUser(userID: string): C[] {
    return [...(this.#byUser.get(userID) ?? [])];
  }

  byUserPlatform(userID: string, platformID: number): C[] {
    return this.byUser(userID).filter((c) => c.platformID === platformID);
  }

  /** Distinct platform IDs the user is connected on, ascending. */
  onlinePlatforms(userID: string): number[] {
    return [...new Set(this.byUser(userID).map((c) => c.platformID))].sort((a, b) => a - b);
  }

  get size(): number {
    let n = 0;
    for (const conns of this.#byUser.values()) n += conns.size;
    return n;
  }

  all(): C[] {
    return [...this.#byUser.values()].flatMap((s) => [...s]);
  }

  subscribe(conn: C, add: readonly string[], remove: readonly string[]): void {
    let watching = this.#watching.get(conn);
    for (const userID of remove) {
      if (watching?.delete(userID) !== true) continue;
      const watchers = this.#watchers.get(userID);
      watchers?.delete(conn);
      if (watchers?.size === 0) this.#watchers.delete(userID);
    }
    for (const userID of add) {
      if (watching === undefined) {
        watching = new Set();
        this.#watching.set(conn, watching);
      }
      watching.add(userID);
      let watchers = this.#watchers.get(userID);
      if (watchers === undefined) {
        watchers = new Set();
        this.#watchers.set(userID, watchers);
      }
      watchers.add(conn);
    }
    if (watching?.size === 0) this.#watching.delete(conn);
  }

  watchersOf(userID: string): C[] {
    return [...(this.#watchers.get(userID) ?? [])];
  }
}
