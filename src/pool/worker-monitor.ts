/**
 * Heartbeat for one worker. A core in a busy loop freezes its worker's event loop, so a
 * worker that stops answering pings for `hangThresholdMs` is declared hung. All timing
 * happens on the main thread, which a hung worker cannot block.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ControlReply, ControlRequest } from './worker/protocol.ts';

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
  #seq = 0;
  #last: ControlReply | undefined;
  #stopped = false;

  constructor(
    workerId: number,
    port: MessagePort,
    opts: { intervalMs: number; hangThresholdMs: number },
    onHang: (silentForMs: number) => void,
  ) {
    this.workerId = workerId;
    this.#port = port;
    port.on('message', (reply: ControlReply) => {
      this.#lastReplyAt = performance.now();
      if (reply.seq === this.#seq) this.#waitingSince = undefined;
      this.#last = reply;
    });
    port.unref();
    const check = (): void => {
      if (this.#stopped) return;
      const now = performance.now();
      // Only time spent waiting on a ping counts. After a stall of the main thread itself,
      // no ping was outstanding (or its reply is read first, see setImmediate below), so a
      // busy main thread never gets healthy workers declared hung.
      if (this.#waitingSince !== undefined && now - this.#waitingSince > opts.hangThresholdMs) {
        this.stop();
        onHang(now - this.#waitingSince);
        return;
      }
      this.#waitingSince ??= now;
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
