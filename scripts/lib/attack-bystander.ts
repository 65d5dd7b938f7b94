/**
 * A session that has nothing to do with an attack or a fuzz run and must not notice it:
 * another user, logged in, asking GetLoginStatus over and over. Each probe must be answered
 * "3" (logged in) within `timeoutMs`; a slower or wrong answer is reported.
 */
import type { ImSocket } from './im-socket.ts';
import { sleep } from './timing.ts';

export interface ProbeResult {
  ok: boolean;
  ms: number;
  /** The answer, or why there was none. */
  observed: string;
}

export class Bystander {
  asked = 0;
  answered = 0;
  maxMs = 0;
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(
    readonly socket: ImSocket,
    readonly timeoutMs: number,
    /** Called for every probe that was not answered "3" in time. */
    readonly onProblem: (result: ProbeResult) => void,
  ) {}

  /** One probe, counted like the background ones. */
  async probe(): Promise<ProbeResult> {
    const t0 = performance.now();
    this.asked++;
    const r = await this.socket.request('GetLoginStatus', [], { timeoutMs: this.timeoutMs }).catch((err: unknown) => String(err));
    const ms = performance.now() - t0;
    this.maxMs = Math.max(this.maxMs, ms);
    this.socket.dropEvents();
    const ok = typeof r !== 'string' && r.env.errCode === 0 && r.env.data === '3';
    const result: ProbeResult = { ok, ms, observed: typeof r === 'string' ? r : r.raw.slice(0, 300) };
    if (ok) this.answered++;
    else this.onProblem(result);
    return result;
  }

  /** Probes every `intervalMs` until stop() or until its socket is closed. */
  start(intervalMs: number): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running && !this.socket.isClosed) {
        await this.probe();
        await sleep(intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}
