/**
 * Where cores live: how many each worker holds, and the piscina load balancer that puts a
 * new core on the worker with the fewest cores that still has room.
 */
import { Piscina } from 'piscina';

/** Routing carried on a task under `Piscina.queueOptionsSymbol` (never sent to the worker). */
export type TaskRoute =
  /** A task that must run on one particular worker (attaching its control port). */
  | { kind: 'worker'; workerId: number }
  /** A new core: the balancer picks the worker and reports it through `placed`. */
  | { kind: 'new-core'; placed(workerId: number): void };

/** The slice of piscina's worker handle the balancer reads. */
interface BalancerWorker {
  readonly id: number;
  readonly terminating?: boolean;
  readonly destroyed?: boolean;
}

export class Placement {
  readonly coresPerWorker: number;
  /** Cores per worker id, counting ones whose creation is still in progress. */
  #resident = new Map<number, number>();
  /** Workers that take no new cores (draining or being replaced). */
  #closed = new Set<number>();

  constructor(coresPerWorker: number) {
    this.coresPerWorker = coresPerWorker;
  }

  addWorker(workerId: number): void {
    if (!this.#resident.has(workerId)) this.#resident.set(workerId, 0);
  }

  removeWorker(workerId: number): void {
    this.#resident.delete(workerId);
    this.#closed.delete(workerId);
  }

  /** Stop placing new cores on this worker (it keeps the ones it has). */
  close(workerId: number): void {
    this.#closed.add(workerId);
  }

  count(workerId: number): number {
    return this.#resident.get(workerId) ?? 0;
  }

  release(workerId: number): void {
    const n = this.#resident.get(workerId);
    if (n !== undefined && n > 0) this.#resident.set(workerId, n - 1);
  }

  /** Cores on all workers (in creation included). */
  total(): number {
    let n = 0;
    for (const count of this.#resident.values()) n += count;
    return n;
  }

  /** Fewest cores on an open worker (Infinity when none is open). */
  leastLoaded(): number {
    let least = Infinity;
    for (const [id, n] of this.#resident) if (!this.#closed.has(id)) least = Math.min(least, n);
    return least;
  }

  /** Room left across open workers. */
  freeSlots(): number {
    let free = 0;
    for (const [id, n] of this.#resident) if (!this.#closed.has(id)) free += Math.max(0, this.coresPerWorker - n);
    return free;
  }

  #pick<W extends BalancerWorker>(workers: readonly W[]): W | null {
    let best: W | null = null;
    let bestCount = this.coresPerWorker;
    for (const w of workers) {
      if (w.terminating || w.destroyed || this.#closed.has(w.id) || !this.#resident.has(w.id)) continue;
      const n = this.count(w.id);
      if (n < bestCount) {
        best = w;
        bestCount = n;
      }
    }
    return best;
  }

  /** The `loadBalancer` option for piscina. */
  balancer() {
    return <W extends BalancerWorker>(task: object, workers: W[]): W | null => {
      const route = (task as Record<symbol, TaskRoute | null | undefined>)[Piscina.queueOptionsSymbol];
      if (!route) return null;
      if (route.kind === 'worker') return workers.find((w) => w.id === route.workerId && !w.terminating) ?? null;
      const chosen = this.#pick(workers);
      if (chosen) {
        // Count it now: the balancer runs synchronously per task, so concurrent creations
        // each see the others and never overfill a worker.
        this.#resident.set(chosen.id, this.count(chosen.id) + 1);
        route.placed(chosen.id);
      }
      return chosen;
    };
  }
}
