/**
 * Admission of new cores by memory instead of by a fixed count.
 *
 * With page merging a logged-in session costs a few MB of real memory instead of 25, so a
 * fixed `workers × cores-per-worker` cap is either far too low or, without merging, too high.
 * A core may start while the memory the process holds (RSS less its merged pages: see
 * `usedMemoryBytes`) plus what the starts already admitted will add stays under the budget.
 *
 * That also paces a login storm by how fast ksmd merges: a fresh core costs its full ≈ 25 MB
 * until ksmd has scanned it, so after a burst the budget fills, later starts wait, and they
 * are let in as merging brings the figure down — instead of running the machine out of memory.
 * A start is refused (the gateway answers "server full") only when admission has stalled: no
 * start let in for `maxWaitMs` while it waited. A storm that merging keeps up with, however
 * slowly, queues instead of failing; memory that stopped shrinking fails it within the bound.
 *
 * Not PSS: reading it walks every page table (≈ 0.5 s of CPU per read at 1 000 cores), and a
 * storm polls every 250 ms. The figure admission reads is O(1).
 */
import { usedMemoryBytes } from './process-memory.ts';

export interface MemoryAdmissionOptions {
  budgetBytes: number;
  /** What one core adds before ksmd has merged it. */
  startCostBytes: number;
  /** How long a start may wait with no start let in meanwhile (a stall). */
  maxWaitMs: number;
  /** Reads the memory the process holds, bytes (undefined where it cannot be read: then nothing waits). */
  readUsedBytes(): Promise<number | undefined>;
  /** How often it is read again while starts wait or are being accounted for. */
  sampleEveryMs?: number;
}

/** A start that was let in: call `done()` once it succeeded or failed. */
export interface AdmissionTicket {
  done(): void;
}

export class MemoryFullError extends Error {}

interface Waiter {
  resolve(ticket: AdmissionTicket): void;
  reject(err: Error): void;
  /** When it started waiting (Date.now()). */
  since: number;
}

const DEFAULT_SAMPLE_EVERY_MS = 250;

export class MemoryAdmission {
  readonly #o: Required<MemoryAdmissionOptions>;
  /** Latest reading of the memory the process holds, and when it was taken. */
  #used: number | undefined;
  #usedAt = 0;
  /** Bytes of admitted starts not (yet) visible in a reading, with the time each finished (0: still starting). */
  #pending: Array<{ bytes: number; finishedAt: number }> = [];
  #waiters: Waiter[] = [];
  #sampling: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** When a waiting start was last let in: the queue is moving. */
  #progressAt = 0;

  constructor(options: MemoryAdmissionOptions) {
    this.#o = { sampleEveryMs: DEFAULT_SAMPLE_EVERY_MS, ...options };
  }

  get budgetBytes(): number {
    return this.#o.budgetBytes;
  }

  /** Latest reading of the memory the process holds, bytes. */
  get usedBytes(): number | undefined {
    return this.#used;
  }

  /** Bytes admitted but not yet in a reading. */
  get reservedBytes(): number {
    return this.#pending.reduce((n, p) => n + p.bytes, 0);
  }

  /** Starts waiting for room. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves once a core may start; rejects with MemoryFullError once admission stalled for `maxWaitMs`. */
  async admit(): Promise<AdmissionTicket> {
    if (this.#used === undefined || Date.now() - this.#usedAt > this.#o.sampleEveryMs) await this.#sample();
    if (this.#waiters.length === 0 && this.#fits()) return this.#ticket();
    return new Promise<AdmissionTicket>((resolve, reject) => {
      this.#waiters.push({ resolve, reject, since: Date.now() });
      this.#startTimer();
    });
  }

  close(): void {
    for (const w of this.#waiters.splice(0)) w.reject(new MemoryFullError('the server is shutting down'));
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #fits(): boolean {
    // Where memory cannot be read there is nothing to judge by: admit (the fixed caps still hold).
    if (this.#used === undefined) return true;
    return this.#used + this.reservedBytes + this.#o.startCostBytes <= this.#o.budgetBytes;
  }

  #ticket(): AdmissionTicket {
    const entry = { bytes: this.#o.startCostBytes, finishedAt: 0 };
    this.#pending.push(entry);
    this.#startTimer();
    let done = false;
    return {
      done: () => {
        if (done) return;
        done = true;
        entry.finishedAt = Date.now();
      },
    };
  }

  #describeFull(): string {
    const mib = (n: number): number => Math.round(n / 2 ** 20);
    return (
      `no memory for another core within ${this.#o.maxWaitMs} ms (no start let in meanwhile): ${mib(this.#used ?? 0)} MiB in use and ` +
      `${mib(this.reservedBytes)} MiB of cores starting, of a ${mib(this.#o.budgetBytes)} MiB budget (--memory-budget)`
    );
  }

  async #sample(): Promise<void> {
    this.#sampling ??= (async () => {
      const startedAt = Date.now();
      try {
        this.#used = await this.#o.readUsedBytes();
      } catch {
        this.#used = undefined;
      }
      this.#usedAt = Date.now();
      // Starts that had finished before this reading began are in it now.
      this.#pending = this.#pending.filter((p) => p.finishedAt === 0 || p.finishedAt >= startedAt);
    })().finally(() => {
      this.#sampling = undefined;
    });
    return this.#sampling;
  }

  #startTimer(): void {
    this.#timer ??= setInterval(() => void this.#tick(), this.#o.sampleEveryMs);
    this.#timer.unref();
  }

  #stopTimerIfIdle(): void {
    if (this.#waiters.length > 0 || this.#pending.length > 0 || !this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    await this.#sample();
    while (this.#waiters.length > 0 && this.#fits()) {
      this.#progressAt = Date.now();
      this.#waiters.shift()!.resolve(this.#ticket());
    }
    // Refused: those that waited maxWaitMs with nobody let in meanwhile (a prefix of the queue:
    // it is in arrival order).
    const now = Date.now();
    const stalled = (w: Waiter): boolean => now - Math.max(w.since, this.#progressAt) >= this.#o.maxWaitMs;
    let n = 0;
    while (n < this.#waiters.length && stalled(this.#waiters[n]!)) n++;
    if (n > 0) {
      const reason = this.#describeFull();
      for (const w of this.#waiters.splice(0, n)) w.reject(new MemoryFullError(reason));
    }
    this.#stopTimerIfIdle();
  }
}

/** The memory this process holds (O(1) counters, see `usedMemoryBytes`). */
export function readOwnUsedBytes(): Promise<number | undefined> {
  return Promise.resolve(usedMemoryBytes());
}
