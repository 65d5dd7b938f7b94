/**
 * The pool of core workers: compiles the core build once, keeps `workers` threads alive
 * with a heartbeat each, places each new core on the least-loaded worker, and reports
 * every core it loses (its own exit, or its worker's hang or death) so the gateway can
 * re-create it.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { pino, type Logger } from 'pino';
import { loadCoreBuild, type CoreBuildIdentity, type LoadedCoreBuild } from '../../core-wasm/core-build.ts';
import { CoreInstance } from '../../core-wasm/core-instance.ts';
import { CoreCallError, type CoreExitReason } from '../../core-wasm/call-result.ts';
import type { AttachControlResult, CoreWorkerData, CreateCoreResult } from './worker/protocol.ts';
import { CoreHandle, type CoreEnd, type CoreHandlers } from './worker/core-handle.ts';
import { Placement, type TaskRoute } from './placement.ts';
import { WorkerMonitor, type WorkerHealth } from './worker-monitor.ts';
import { coreWorkerEntry } from './worker/entry.ts';
import { HANG_ALLOWANCE_PER_CORE_MS, hangCeilingMs, resolvePoolOptions, type PoolConfig, type PoolOptions } from './pool-options.ts';
import { errorText } from '../shared/error-text.ts';
import { MemoryAdmission, MemoryFullError, readOwnUsedBytes, type AdmissionTicket } from '../memory/memory-admission.ts';

export interface CoreBuildInfo extends CoreBuildIdentity {
  /** Version the core printed about itself while warming up, if any. */
  reportedVersion: string | undefined;
  /** The API functions the core registers (its JS global names). */
  functions: readonly string[];
  memoryLimitMiB: number;
  /** Linear memory of a freshly started core. */
  startMemoryMiB: number;
}

export interface CoreLost {
  coreId: string;
  userID: string;
  platformID: number;
  workerId: number;
  reason: Exclude<CoreExitReason, 'disposed'>;
  message: string;
}

export interface WorkerStatus extends WorkerHealth {
  id: number;
  /** Cores placed on this worker, including ones still starting. */
  residentCores: number;
}

interface PoolEvents {
  coreLost: [CoreLost];
  workerReplaced: [{ workerId: number; reason: 'hang' | 'exit'; lostCores: number }];
  /** A worker silent past the hang threshold while barely getting CPU: kept, not replaced. */
  workerOverloaded: [{ workerId: number; silentMs: number; ranMs: number }];
}

export interface NewCore extends CoreHandlers {
  userID: string;
  platformID: number;
}

/**
 * How long a core start waits for a worker being replaced before it settles for a survivor
 * above its even share (the replacement normally attaches within a few hundred ms).
 */
const REPLACEMENT_WAIT_FOR_BALANCE_MS = 2000;

/**
 * A core's cost before merging, as a multiple of its linear memory at start: the official
 * core grows from 24 to ≈ 28 MiB through login and sync, plus its SQLite and JS objects.
 */
const START_COST_FACTOR = 1.25;

export class CorePool extends EventEmitter<PoolEvents> {
  readonly options: PoolOptions;
  readonly build: CoreBuildInfo;
  readonly #logger: Logger;
  readonly #piscina: Piscina;
  readonly #placement: Placement;
  readonly #monitors = new Map<number, WorkerMonitor>();
  readonly #cores = new Map<string, CoreHandle>();
  /** Why we are taking a worker down, so its loss is reported with the right reason. */
  readonly #takedown = new Map<number, { reason: 'hang' | 'exit'; lostCores: number }>();
  #closing = false;
  #workersAttached: Promise<void>;
  /** Callers waiting for a (replacement) worker to come up. */
  #attachWaiters: Array<() => void> = [];
  /** Lets a core start only while memory allows (undefined: counts are the only cap). */
  readonly memoryAdmission: MemoryAdmission | undefined;

  private constructor(options: PoolOptions, loaded: LoadedCoreBuild, build: CoreBuildInfo, logger: Logger) {
    super();
    this.options = options;
    this.build = build;
    this.#logger = logger;
    this.#placement = new Placement(options.coresPerWorker);
    if (options.memoryBudgetBytes !== undefined) {
      this.memoryAdmission = new MemoryAdmission({
        budgetBytes: options.memoryBudgetBytes,
        // A fresh core's linear memory plus what its login and sync add before ksmd merges it.
        startCostBytes: Math.ceil(build.startMemoryMiB * START_COST_FACTOR) * 2 ** 20,
        maxWaitMs: options.coreStartTimeoutMs,
        readUsedBytes: readOwnUsedBytes,
      });
    }
    const { filename, execArgv } = coreWorkerEntry();
    const workerData: CoreWorkerData = {
      module: loaded.module,
      abi: build.goAbi,
      logLevel: options.logLevel,
      dataDir: resolve(options.dataDir),
      gcPercent: options.coreGcPercent,
    };
    let attachedAll: () => void = () => {};
    this.#workersAttached = new Promise((resolve) => (attachedAll = resolve));
    this.#piscina = new Piscina({
      filename,
      execArgv,
      workerData,
      // 'sync' would park idle workers in Atomics.wait, freezing their event loops and
      // with them every core's timers, sockets and ports.
      atomics: 'disabled',
      minThreads: options.workers,
      maxThreads: options.workers,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 64,
      loadBalancer: this.#placement.balancer(),
    });
    this.#piscina.on('workerCreate', (w: { id: number }) => {
      this.#attach(w.id).then(
        () => {
          if (this.#monitors.size >= options.workers) attachedAll();
        },
        (err: unknown) => this.#logger.error({ err, workerId: w.id }, 'could not attach to core worker'),
      );
    });
    // A destroyed worker's id already reads -1 here, so find which of ours is gone.
    this.#piscina.on('workerDestroy', () => setImmediate(() => this.#reconcileWorkers()));
    // Without a listener, piscina's 'error' (a worker failing with no task) would throw.
    this.#piscina.on('error', (err: unknown) => this.#logger.error({ err }, 'core worker error'));
  }

  /**
   * Loads and checks the core build, warms one instance, and starts the workers.
   * Rejects with a CoreBuildError (one line naming the file) for an unusable build.
   */
  static async start(config: PoolConfig = {}): Promise<CorePool> {
    const options = resolvePoolOptions(config);
    const logger = config.logger ?? pino({ level: options.logLevel });
    const loaded = await loadCoreBuild(options.core, { memoryLimitMiB: options.coreMemoryLimitMiB, sharedMemory: options.coreMemoryShared });
    const build = await warmUp(loaded, logger);
    logger.info({ core: { ...build, functions: build.functions.length } }, 'core build loaded');
    const pool = new CorePool(options, loaded, build, logger);
    await pool.#workersAttached;
    return pool;
  }

  /** The loaded core's API function names, for membership tests. */
  get coreFunctions(): ReadonlySet<string> {
    this.#coreFunctions ??= new Set(this.build.functions);
    return this.#coreFunctions;
  }
  #coreFunctions: ReadonlySet<string> | undefined;

  get coreCount(): number {
    return this.#cores.size;
  }

  cores(): CoreHandle[] {
    return [...this.#cores.values()];
  }

  workers(): WorkerStatus[] {
    return [...this.#monitors.values()].map((m) => ({
      id: m.workerId,
      residentCores: this.#placement.count(m.workerId),
      ...m.health(),
    }));
  }

  /** Starts a new core on the worker with the fewest cores that has room. */
  async startCore(spec: NewCore): Promise<CoreHandle> {
    const name = `${spec.userID}/${spec.platformID}`;
    if (this.#closing) throw new CoreCallError({ kind: 'pool-closed', message: `cannot start core ${name}: the pool is closed` });
    // A worker being replaced brings its room back shortly. Cores lost with it (which the
    // gateway re-creates at once) wait for it rather than be refused when the survivors are
    // full, and rather than pile onto the survivors beyond an even share: otherwise the
    // survivors would start every lost core one after another and carry them for good
    // while the replacement stays empty.
    if (this.#monitors.size - this.#takedown.size < this.options.workers) {
      if (this.#placement.freeSlots() === 0) await this.#workerAttached(this.options.coreStartTimeoutMs);
      else if (this.#placement.leastLoaded() >= Math.ceil((this.#placement.total() + 1) / this.options.workers)) {
        await this.#workerAttached(REPLACEMENT_WAIT_FOR_BALANCE_MS);
      }
    }
    if (this.#closing) throw new CoreCallError({ kind: 'pool-closed', message: `cannot start core ${name}: the pool is closed` });
    let ticket: AdmissionTicket | undefined;
    try {
      ticket = await this.memoryAdmission?.admit();
    } catch (err) {
      if (!(err instanceof MemoryFullError)) throw err;
      throw new CoreCallError({ kind: 'pool-full', message: `cannot start core ${name}: ${err.message}` });
    }
    try {
      return await this.#placeCore(spec, name);
    } finally {
      ticket?.done();
    }
  }

  async #placeCore(spec: NewCore, name: string): Promise<CoreHandle> {
    if (this.#closing) throw new CoreCallError({ kind: 'pool-closed', message: `cannot start core ${name}: the pool is closed` });
    if (this.#placement.freeSlots() === 0) {
      throw new CoreCallError({
        kind: 'pool-full',
        message: `cannot start core ${name}: all ${this.#monitors.size} workers hold ${this.options.coresPerWorker} cores`,
      });
    }
    const coreId = randomUUID();
    const { port1, port2 } = new MessageChannel();
    let workerId: number | undefined;
    const route: TaskRoute = { kind: 'new-core', placed: (id) => (workerId = id) };
    const task = {
      type: 'create-core' as const,
      coreId,
      userID: spec.userID,
      platformID: spec.platformID,
      port: port2,
      [Piscina.queueOptionsSymbol]: route,
    };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.options.coreStartTimeoutMs);
    let result: CreateCoreResult;
    try {
      result = (await this.#piscina.run(task, { transferList: [port2], signal: abort.signal })) as CreateCoreResult;
    } catch (err) {
      if (workerId !== undefined) this.#placement.release(workerId);
      port1.close();
      const why = abort.signal.aborted ? `no answer within ${this.options.coreStartTimeoutMs} ms` : errorText(err);
      throw new CoreCallError({ kind: 'core-exited', message: `cannot start core ${name}: ${why}` });
    } finally {
      clearTimeout(timer);
    }
    const core = new CoreHandle({ id: coreId, userID: spec.userID, platformID: spec.platformID, workerId: result.threadId, port: port1 }, spec, (s) =>
      this.#coreEnded(s),
    );
    this.#cores.set(coreId, core);
    if (!this.#monitors.has(result.threadId)) {
      core.end({ reason: 'exit', message: `worker ${result.threadId} went away while core ${name} was starting` });
    }
    return core;
  }

  /**
   * Terminates a worker and lets piscina start a fresh one. Its cores are reported
   * lost (reason `exit`) so their owners can re-create them elsewhere.
   */
  restartWorker(workerId: number, why = 'restarted on request'): boolean {
    return this.#takeDown(workerId, 'exit', why);
  }

  /** Stops the workers. Cores still running end with reason `disposed`. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.memoryAdmission?.close();
    for (const wake of this.#attachWaiters.splice(0)) wake();
    for (const m of this.#monitors.values()) m.stop();
    await Promise.all([...this.#cores.values()].map((s) => s.dispose()));
    await this.#piscina.destroy();
    this.#monitors.clear();
  }

  #workerAttached(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#attachWaiters.push(done);
    });
  }

  async #attach(workerId: number): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const route: TaskRoute = { kind: 'worker', workerId };
    const attached = (await this.#piscina.run(
      { type: 'attach-control', port: port2, [Piscina.queueOptionsSymbol]: route },
      { transferList: [port2] },
    )) as AttachControlResult;
    if (this.#closing) {
      port1.close();
      return;
    }
    const monitor = new WorkerMonitor(
      workerId,
      port1,
      {
        intervalMs: this.options.heartbeatIntervalMs,
        hangThresholdMs: this.options.hangThresholdMs,
        hangAllowancePerCoreMs: HANG_ALLOWANCE_PER_CORE_MS,
        hangCeilingMs: hangCeilingMs(this.options.hangThresholdMs),
        tid: attached.tid,
      },
      {
        onHang: (silentMs, ranMs) =>
          this.#takeDown(workerId, 'hang', `no heartbeat for ${Math.round(silentMs)} ms` + (ranMs === undefined ? '' : ` (running ${Math.round(ranMs)} ms of it)`)),
        onOverloaded: (silentMs, ranMs) => {
          this.emit('workerOverloaded', { workerId, silentMs, ranMs });
          this.#logger.warn(
            { workerId, silentMs: Math.round(silentMs), ranMs: Math.round(ranMs) },
            'core worker silent past --hang-threshold but barely running: the machine is overloaded (CPU), the worker is not hung',
          );
        },
      },
    );
    this.#monitors.set(workerId, monitor);
    this.#placement.addWorker(workerId);
    for (const wake of this.#attachWaiters.splice(0)) wake();
    this.#logger.debug({ workerId }, 'core worker ready');
  }

  #takeDown(workerId: number, reason: 'hang' | 'exit', message: string): boolean {
    const thread = this.#piscina.threads.find((t) => t.threadId === workerId);
    if (!thread || this.#takedown.has(workerId)) return false;
    this.#placement.close(workerId);
    this.#logger.warn({ workerId, reason }, `taking down core worker: ${message}`);
    // Report now rather than on exit: re-creating the lost cores elsewhere should not wait
    // for the thread to finish dying.
    const what = reason === 'hang' ? 'hung' : 'was restarted';
    // Marked first: the lost cores are re-created from inside the loss reports, and
    // placement must already know that a replacement is coming.
    const takedown = { reason, lostCores: 0 };
    this.#takedown.set(workerId, takedown);
    takedown.lostCores = this.#loseWorkerCores(workerId, reason, `worker ${workerId} ${what} (${message})`);
    void thread.terminate();
    return true;
  }

  #reconcileWorkers(): void {
    const alive = new Set(this.#piscina.threads.map((t) => t.threadId));
    for (const id of [...this.#monitors.keys()]) if (!alive.has(id)) this.#workerGone(id);
  }

  #workerGone(workerId: number): void {
    this.#monitors.get(workerId)?.stop();
    this.#monitors.delete(workerId);
    if (this.#closing) return;
    const takedown = this.#takedown.get(workerId);
    this.#takedown.delete(workerId);
    const reason = takedown?.reason ?? 'exit';
    // Out of placement first: the lost cores are re-created from inside the loss reports.
    this.#placement.removeWorker(workerId);
    const lost = this.#loseWorkerCores(workerId, reason, `worker ${workerId} exited unexpectedly`);
    this.emit('workerReplaced', { workerId, reason, lostCores: lost + (takedown?.lostCores ?? 0) });
  }

  #loseWorkerCores(workerId: number, reason: 'hang' | 'exit', message: string): number {
    let lost = 0;
    for (const s of [...this.#cores.values()]) {
      if (s.workerId !== workerId) continue;
      s.end({ reason, message });
      lost++;
    }
    return lost;
  }

  #coreEnded(core: CoreHandle): void {
    if (!this.#cores.delete(core.id)) return;
    this.#placement.release(core.workerId);
    const end = core.ended as CoreEnd;
    if (end.reason === 'disposed' || this.#closing) return;
    const lost: CoreLost = {
      coreId: core.id,
      userID: core.userID,
      platformID: core.platformID,
      workerId: core.workerId,
      reason: end.reason,
      message: end.message,
    };
    this.#logger.warn({ userID: core.userID, platformID: core.platformID, reason: end.reason }, `core lost: ${end.message}`);
    this.emit('coreLost', lost);
  }
}

/** Starts one instance in this thread: proves the build runs and learns what it offers. */
async function warmUp(loaded: LoadedCoreBuild, logger: Logger): Promise<CoreBuildInfo> {
  const core = await CoreInstance.start({
    module: loaded.module,
    abi: loaded.identity.goAbi,
    name: 'warm-up',
    logger: logger.child({ core: 'warm-up' }, { level: 'warn' }),
  }).catch((err: unknown) => {
    throw new Error(`core build ${loaded.identity.file}: does not start: ${errorText(err)}`);
  });
  // Give the core's init goroutines a turn to print their banner.
  await new Promise((r) => setTimeout(r, 10));
  const info: CoreBuildInfo = {
    ...loaded.identity,
    reportedVersion: core.version,
    functions: core.functionNames().sort(),
    memoryLimitMiB: loaded.memoryLimitMiB,
    startMemoryMiB: core.memoryBytes / 2 ** 20,
  };
  core.dispose();
  if (info.functions.length === 0) {
    throw new Error(`core build ${loaded.identity.file}: registered no API functions; is it an OpenIM core?`);
  }
  return info;
}
