/**
 * Heartbeat for one worker. A core in a busy loop freezes its worker's event loop, so a
 * worker that stops answering pings is declared hung. All timing happens on the main
 * thread, which a hung worker cannot block.
 *
 * Silence alone does not make a worker hung: on an overloaded machine (a login storm, or
 * other processes) a healthy worker can wait seconds for the scheduler. Where the worker's
 * thread CPU time is readable (Linux), it is hung once it has *run* for the threshold
 * without answering; the threshold grows with the cores the worker holds, because one turn of
 * a dense worker's event loop (a full GC of its heap, which grows ≈ 2 MB per core) legitimately
 * takes longer; a worker silent for long but barely running is only overloaded (reported
 * once per silence). A silence past `hangCeilingMs` is a hang whatever the CPU says (a thread
 * blocked in a system call for ever).
 */
import type { MessagePort } from 'node:worker_threads';
import type { ControlReply, ControlRequest } from './worker/protocol.ts';
import { threadCpuMs } from './thread-cpu.ts';

export interface MonitorOptions {
  intervalMs: number;
  hangThresholdMs: number;
  /** Added to the threshold per core the worker holds (see HANG_ALLOWANCE_PER_CORE_MS). */
  hangAllowancePerCoreMs: number;
  hangCeilingMs: number;
  /** The worker's kernel thread id; without it, hangs are judged by wall time. */
  tid: number | undefined;
  /** Reads a thread's CPU time in ms (tests replace it). */
  readThreadCpuMs?: (tid: number) => number | undefined;
}

export interface MonitorCallbacks {
  onHang(silentForMs: number, ranForMs: number | undefined): void;
  /** Silent past the threshold while barely getting CPU: the machine, not the worker. */
  onOverloaded?(silentForMs: number, ranForMs: number): void;
}

export interface WorkerHealth {
  cores: number;
  coreMemoryBytes: number;
  coreHeldValues: number;
  heapUsedBytes: number;
  /** Milliseconds since the worker last answered. */
  silentForMs: number;
}

export class WorkerMonitor {
  readonly workerId: number;
  #port: MessagePort;
  #timer: ReturnType<typeof setInterval>;
  #lastReplyAt = performance.now();
  /** When the oldest ping still unanswered was sent; undefined when all are answered. */
  #waitingSince: number | undefined;
  /** The worker thread's CPU time then. */
  #cpuAtWaitStart: number | undefined;
  #overloadReported = false;
  #seq = 0;
  #last: ControlReply | undefined;
  #stopped = false;

  constructor(workerId: number, port: MessagePort, opts: MonitorOptions, callbacks: MonitorCallbacks) {
    this.workerId = workerId;
    this.#port = port;
    const readCpu = (): number | undefined => (opts.tid === undefined ? undefined : (opts.readThreadCpuMs ?? threadCpuMs)(opts.tid));
    port.on('message', (reply: ControlReply) => {
      this.#lastReplyAt = performance.now();
      if (reply.seq === this.#seq) {
        this.#waitingSince = undefined;
        this.#overloadReported = false;
      }
      this.#last = reply;
    });
    port.unref();
    const check = (): void => {
      if (this.#stopped) return;
      const now = performance.now();
      // Only time spent waiting on a ping counts. After a stall of the main thread itself,
      // no ping was outstanding (or its reply is read first, see setImmediate below), so a
      // busy main thread never gets healthy workers declared hung.
      const silentMs = this.#waitingSince === undefined ? 0 : now - this.#waitingSince;
      const thresholdMs = opts.hangThresholdMs + opts.hangAllowancePerCoreMs * (this.#last?.cores ?? 0);
      if (silentMs > thresholdMs) {
        const cpuNow = readCpu();
        const ranMs = cpuNow === undefined || this.#cpuAtWaitStart === undefined ? undefined : cpuNow - this.#cpuAtWaitStart;
        if (ranMs === undefined || ranMs > thresholdMs || silentMs > opts.hangCeilingMs) {
          this.stop();
          callbacks.onHang(silentMs, ranMs);
          return;
        }
        // Reported when the worker got under half the time: a running worker's CPU time lags
        // the wall clock by a tick or two, which is not the machine's fault.
        if (!this.#overloadReported && ranMs < silentMs / 2) {
          this.#overloadReported = true;
          callbacks.onOverloaded?.(silentMs, ranMs);
        }
      }
      if (this.#waitingSince === undefined) {
        this.#waitingSince = now;
        this.#cpuAtWaitStart = readCpu();
      }
      const ping: ControlRequest = { type: 'ping', seq: ++this.#seq };
      port.postMessage(ping);
    };
    // Timers run before queued port messages are read; checking in the next check phase
    // lets replies that arrived meanwhile count first.
    this.#timer = setInterval(() => setImmediate(check), opts.intervalMs);
    this.#timer.unref();
  }

  health(): WorkerHealth {
    return {
      cores: this.#last?.cores ?? 0,
      coreMemoryBytes: this.#last?.coreMemoryBytes ?? 0,
      coreHeldValues: this.#last?.coreHeldValues ?? 0,
      heapUsedBytes: this.#last?.heapUsedBytes ?? 0,
      silentForMs: performance.now() - this.#lastReplyAt,
    };
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#port.close();
  }
}
