import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { CoreBuildSpec } from '../../core-wasm/core-build.ts';
import { DEFAULT_CORE_GOGC } from '../../core-wasm/core-instance.ts';

export interface PoolOptions {
  /** `official` (default), `test`, or a path to any Go js/wasm core build. */
  core: CoreBuildSpec;
  /** Worker threads; each holds up to `coresPerWorker` cores. */
  workers: number;
  coresPerWorker: number;
  /** Cap on each core's linear memory; a core that needs more dies alone (reason `oom`). */
  coreMemoryLimitMiB: number;
  /** Go's GOGC for every core (see DEFAULT_CORE_GOGC). */
  coreGcPercent: number;
  /** Cores' linear memories declared shared, which keeps V8's GC out of core starts (see CoreBuildOptions); false only to measure that. */
  coreMemoryShared: boolean;
  heartbeatIntervalMs: number;
  /**
   * A worker that has run this long (CPU time of its thread, where Linux shows it; else wall
   * time) without answering a ping is declared hung, terminated and replaced.
   */
  hangThresholdMs: number;
  /** How long a new core may take to start before the attempt fails. */
  coreStartTimeoutMs: number;
  /** Level for the workers' own pino loggers (core output included). */
  logLevel: string;
  /** Root directory of the cores' local databases. */
  dataDir: string;
  /** A new core starts only while the process's used memory plus starting cores stay under this (bytes); undefined: no memory admission. */
  memoryBudgetBytes?: number | undefined;
}

export const POOL_DEFAULTS: Readonly<PoolOptions> = {
  core: 'official',
  workers: availableParallelism(),
  coresPerWorker: 50,
  coreMemoryLimitMiB: 256,
  coreGcPercent: DEFAULT_CORE_GOGC,
  coreMemoryShared: true,
  heartbeatIntervalMs: 250,
  hangThresholdMs: 1000,
  coreStartTimeoutMs: 15_000,
  logLevel: 'info',
  dataDir: './data/users',
};

export type PoolConfig = Partial<PoolOptions> & { logger?: Logger };

function positiveInt(name: keyof PoolOptions, v: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`pool option ${name} must be an integer 1..${max}, got ${v}`);
  return v;
}

export function resolvePoolOptions(config: PoolConfig): PoolOptions {
  const o: PoolOptions = { ...POOL_DEFAULTS, ...stripUndefined(config) };
  positiveInt('workers', o.workers, 256);
  positiveInt('coresPerWorker', o.coresPerWorker, 10_000);
  positiveInt('coreGcPercent', o.coreGcPercent, 10_000);
  positiveInt('heartbeatIntervalMs', o.heartbeatIntervalMs, 60_000);
  positiveInt('hangThresholdMs', o.hangThresholdMs, 600_000);
  positiveInt('coreStartTimeoutMs', o.coreStartTimeoutMs, 600_000);
  if (o.hangThresholdMs <= o.heartbeatIntervalMs) {
    throw new RangeError(`pool option hangThresholdMs (${o.hangThresholdMs}) must exceed heartbeatIntervalMs (${o.heartbeatIntervalMs})`);
  }
  return o;
}

/**
 * CPU time added to the hang threshold per core a worker holds. Each official core keeps
 * ≈ 2 MB of V8 heap in its worker (mostly the wasm instance's function table: ≈ 24 000 small
 * objects), so a full GC of a worker holding 250 cores marks ≈ 6 million objects — about a
 * second on a loaded 2-vCPU machine, in one turn of its event loop. Measured: workers with
 * ≈ 250 cores declared hung at 1.0–1.1 s of CPU under a login storm with a flat 1 s threshold.
 */
export const HANG_ALLOWANCE_PER_CORE_MS = 5;

/**
 * Silence after which a worker is hung however little CPU it got: long enough that an
 * overloaded machine does not cost a worker's sessions, short enough that a thread blocked
 * for ever does not hold them for long.
 */
export function hangCeilingMs(hangThresholdMs: number): number {
  return Math.max(30_000, 10 * hangThresholdMs);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== 'logger')) as Partial<T>;
}
