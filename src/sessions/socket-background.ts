/**
 * Background status is a property of the socket, but one core serves every socket of a
 * session: the core is put in background only when every logged-in socket is hidden, and
 * back in the foreground as soon as one is not (a socket that logs in counts as visible, one
 * that leaves no longer counts). Changes reach the core one at a time, in order.
 */
export class SocketBackground<Socket> {
  /** Sockets whose app said it is hidden (setAppBackgroundStatus(true)). */
  readonly #hidden = new Set<Socket>();
  /** What the core was last told; a fresh core starts in the foreground. */
  #coreInBackground = false;
  #queue: Promise<void> = Promise.resolve();

  set(socket: Socket, hidden: boolean): void {
    if (hidden) this.#hidden.add(socket);
    else this.#hidden.delete(socket);
  }

  forget(socket: Socket): void {
    this.#hidden.delete(socket);
  }

  /** A new core (login, recovery) is in the foreground whatever the last one was told. */
  freshCore(): void {
    this.#coreInBackground = false;
  }

  clear(): void {
    this.#hidden.clear();
    this.#coreInBackground = false;
  }

  /**
   * Tells the core what `loggedIn()` (read when its turn comes) now amounts to, if that
   * differs from what it was last told. With no socket logged in nothing changes.
   */
  sync(loggedIn: () => ReadonlySet<Socket>, tellCore: (inBackground: boolean) => Promise<unknown>): Promise<void> {
    const run = async (): Promise<void> => {
      const sockets = loggedIn();
      if (sockets.size === 0) return;
      const wanted = [...sockets].every((s) => this.#hidden.has(s));
      if (wanted === this.#coreInBackground) return;
      await tellCore(wanted);
      this.#coreInBackground = wanted;
    };
    const next = this.#queue.then(run);
    this.#queue = next.catch(() => {});
    return next;
  }
}
