/**
 * Events that arrived while none of a session's sockets was logged in (between a drop and
 * the re-Login within the grace period), kept up to a bound: the oldest go first, and how
 * many went is reported with the replay.
 */
import type { ClientEnvelope } from '../protocol/envelope.ts';

export class MissedEvents {
  readonly #limit: number;
  #kept: ClientEnvelope[] = [];
  #dropped = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  keep(envelopes: readonly ClientEnvelope[]): void {
    this.#kept.push(...envelopes);
    const excess = this.#kept.length - this.#limit;
    if (excess > 0) {
      this.#kept.splice(0, excess);
      this.#dropped += excess;
    }
  }

  /** Hands over what was kept (and how many were dropped) and starts empty again; undefined when nothing was missed. */
  take(): { events: ClientEnvelope[]; dropped: number } | undefined {
    if (this.#kept.length === 0) return undefined;
    const taken = { events: this.#kept, dropped: this.#dropped };
    this.#kept = [];
    this.#dropped = 0;
    return taken;
  }
}
