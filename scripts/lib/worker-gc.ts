/**
 * Full garbage collections in every worker thread of this process, from its main thread,
 * through the inspector's NodeWorker domain (the workers' own code stays as shipped).
 *
 * Why: a disposed core's linear memory stays mapped until its worker's heap is collected,
 * which an idle worker may not do for many seconds. Counting the wasm memories left after
 * a soak tells leaked cores from not-yet-collected ones only once every worker has
 * collected.
 */
import { Session } from 'node:inspector/promises';
import { until, withTimeout } from './timing.ts';

interface AttachedParams {
  sessionId: string;
}

const ANSWER_TIMEOUT_MS = 10_000;

export class WorkerGc {
  #session = new Session();
  /** Inspector session id of each worker thread attached now. */
  #workers = new Set<string>();
  #seq = 0;
  #waiting = new Map<string, () => void>();

  private constructor() {}

  /** Attaches to every worker (present and future); waits until `expectedWorkers` are attached. */
  static async start(expectedWorkers: number): Promise<WorkerGc> {
    const gc = new WorkerGc();
    const s = gc.#session;
    s.connect();
    s.on('NodeWorker.attachedToWorker', (m) => gc.#workers.add((m.params as AttachedParams).sessionId));
    s.on('NodeWorker.detachedFromWorker', (m) => {
      const gone = m.params.sessionId;
      gc.#workers.delete(gone);
      // A worker that ended (replaced, pool closing) has nothing left to collect.
      for (const [key, answered] of gc.#waiting) if (key.startsWith(`${gone}:`)) answered();
    });
    s.on('NodeWorker.receivedMessageFromWorker', (m) => {
      const p = m.params;
      let id: unknown;
      try {
        id = (JSON.parse(p.message) as { id?: unknown }).id;
      } catch {
        return;
      }
      gc.#waiting.get(`${p.sessionId}:${String(id)}`)?.();
    });
    await s.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    await until(() => gc.#workers.size >= expectedWorkers, 5000, 20);
    return gc;
  }

  get workers(): number {
    return this.#workers.size;
  }

  /** One full collection in each attached worker; resolves when every one has answered. */
  async collect(): Promise<void> {
    await Promise.all(
      [...this.#workers].map((sessionId) => {
        const id = ++this.#seq;
        const key = `${sessionId}:${id}`;
        const answered = new Promise<void>((resolve) => this.#waiting.set(key, resolve));
        const sent = this.#session.post('NodeWorker.sendMessageToWorker', {
          sessionId,
          message: JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }),
        });
        return withTimeout(
          sent.then(() => answered),
          ANSWER_TIMEOUT_MS,
          `garbage collection in worker session ${sessionId}`,
        ).finally(() => this.#waiting.delete(key));
      }),
    );
  }

  close(): void {
    this.#session.disconnect();
  }
}
