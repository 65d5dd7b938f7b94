/**
 * Frees the linear memory of cores that ended. Cores' memories are shared WebAssembly
 * memories (docs/runtime.md#many-cores-in-one-worker says why), and V8 leaves shared memories out of the
 * external-memory accounting that would otherwise prompt a GC: nothing tells it that an
 * ended core's tens of MB are garbage, and a quiet worker may not collect for minutes
 * (measured: 60 logged-out cores still held 1.7 GB 20 s later). So the worker asks for a
 * full GC itself, shortly after cores end, and not too often.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';

export interface ReclaimTiming {
  /** Wait this long after a core ends, so that the cores of one logout wave share one GC. */
  quietMs: number;
  /** At most one GC per this interval, however many cores keep ending. */
  minIntervalMs: number;
}

/**
 * A full GC of a worker holding 250 official cores marks ≈ 6 million small objects (tens of
 * ms, measured); one every 5 s during a wave of logouts is a few % of that thread.
 */
export const RECLAIM_TIMING: Readonly<ReclaimTiming> = { quietMs: 1000, minIntervalMs: 5000 };

export class EndedCoreReclaimer {
  readonly #collect: () => void;
  readonly #timing: ReclaimTiming;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #lastCollectAt = -Infinity;

  constructor(collect: () => void, timing: ReclaimTiming = RECLAIM_TIMING, now: () => number = () => performance.now()) {
    this.#collect = collect;
    this.#timing = timing;
    this.#now = now;
  }

  /** A core ended: its memory is garbage once nothing references the instance. */
  coreEnded(): void {
    if (this.#timer !== undefined) return;
    const wait = Math.max(this.#timing.quietMs, this.#lastCollectAt + this.#timing.minIntervalMs - this.#now());
    this.#timer = setTimeout(() => this.#run(), wait);
    // Reclaiming is no reason to keep a worker alive.
    this.#timer.unref();
  }

  #run(): void {
    this.#timer = undefined;
    this.#lastCollectAt = this.#now();
    this.#collect();
  }
}

/**
 * This isolate's full GC, without asking operators to start Node with --expose-gc: with the
 * flag on, a fresh context hands out its `gc`, which collects the whole isolate. The flag is
 * process-wide and stays on: workers start at the same time, and one turning it off again
 * could leave another's context without `gc`. All it changes elsewhere is that contexts
 * created later (`node:vm`) have a `gc` function too.
 */
export function fullGc(): () => void {
  const exposed = globalThis.gc;
  if (typeof exposed === 'function') return () => void exposed();
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as NodeJS.GCFunction;
  return () => void gc();
}
