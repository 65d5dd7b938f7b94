/**
 * How many crashes of its own (panic, out of memory) a session's core is forgiven: within a
 * sliding window up to a limit, each is survived by re-creating the core; at the limit the
 * session gives up rather than restart a core that keeps dying.
 */
export class CrashBudget {
  readonly #windowMs: number;
  readonly #limit: number;
  #crashes: number[] = [];

  constructor(windowMs: number, limit: number) {
    this.#windowMs = windowMs;
    this.#limit = limit;
  }

  /** Records a crash at `now`; true when the crashes within the window reached the limit. */
  spent(now: number): boolean {
    this.#crashes = [...this.#crashes.filter((t) => now - t < this.#windowMs), now];
    return this.#crashes.length >= this.#limit;
  }

  /** Crashes within the window, as of the last one recorded. */
  get count(): number {
    return this.#crashes.length;
  }
}
