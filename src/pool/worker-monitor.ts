/**
 * Heartbeat for one worker. A core in a busy loop freezes its worker's event loop, so a
 * worker that stops answering pings for `hangThresholdMs` is declared hung. All timing
 * happens on the main thread, which a hung worker cannot block.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ControlReply, ControlRequest } from '../../workers/protocol.ts';

export interface WorkerHealth {
  cores: number;
  coreMemoryBytes: number;
  heapUsedBytes: number;
  /** Milliseconds since the worker last answered. */
  silentForMs: number;
}

export class WorkerMonitor {
  readonly workerId: number;
  #port: MessagePort;
  #timer: ReturnType<typeof setInterval>;
  #lastReplyAt = performance.now();
  #seq = 0;
  #last: ControlReply | undefined;

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
      this.#last = reply;
    });
    port.unref();
    this.#timer = setInterval(() => {
      const silent = performance.now() - this.#lastReplyAt;
      if (silent > opts.hangThresholdMs) {
        this.stop();
        onHang(silent);
        return;
      }
      const ping: ControlRequest = { type: 'ping', seq: ++this.#seq };
      port.postMessage(ping);
    }, opts.intervalMs);
    this.#timer.unref();
  }

  health(): WorkerHealth {
    return {
      cores: this.#last?.cores ?? 0,
      coreMemoryBytes: this.#last?.coreMemoryBytes ?? 0,
      heapUsedBytes: this.#last?.heapUsedBytes ?? 0,
      silentForMs: performance.now() - this.#lastReplyAt,
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#port.close();
  }
}
