/**
 * Bare cores for the gateway bench, on a thread of their own.
 *
 * A core keeps every JavaScript value it was handed (promises, callbacks, argument arrays)
 * until the Go GC finalizes its reference, so a core that has answered ten thousand calls
 * holds several MB of V8 heap. Fifty of them beside the gateway grew its main thread's heap
 * past 500 MB, and the major GCs that followed stalled the gateway mid-measurement. Here
 * the bare side costs the gateway nothing, and is still "the same calls on one thread".
 *
 * One module, two sides, as lib/ws-load.ts: `BareHost` starts this file as a worker; the
 * code at the bottom runs only inside it.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { pino } from 'pino';
import { CoreInstance } from '../../../core-wasm/core-instance.ts';
import type { GoAbi } from '../../../core-wasm/wasm-binary.ts';
import { closedLoopRate, pacedLatencies, sequentialLatencies, type LoopCall } from './closed-loop.ts';
import { errorText } from '../../../src/shared/error-text.ts';

export interface BareUser {
  userID: string;
  token: string;
}

/** The core's getLoginStatus answer once logged in. */
const LOGGED_IN = 3;
const WORKER_ROLE = 'bench-bare-host';

type Command =
  | { type: 'start'; module: WebAssembly.Module; abi: GoAbi; platformID: number; sdkConfig: string; users: BareUser[] }
  | { type: 'closed-loop'; inFlight: number; warmupMs: number; measureMs: number }
  | { type: 'paced'; rate: number; warmupMs: number; measureMs: number }
  | { type: 'sequential'; warmupMs: number; measureMs: number }
  | { type: 'close' };

/** Latencies in ms, ascending. */
type Reply = { type: 'ok'; rate?: number; samples?: number[] } | { type: 'failed'; message: string };

/** Main-thread handle: one command at a time. */
export class BareHost {
  #worker: Worker;
  #waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: Reply) => {
      const w = this.#waiting;
      this.#waiting = undefined;
      if (reply.type === 'failed') w?.reject(new Error(`bare host: ${reply.message}`));
      else w?.resolve(reply);
    });
    const fail = (err: Error): void => {
      this.#waiting?.reject(err);
      this.#waiting = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`bare host thread exited with code ${code}`)));
  }

  /** Starts the thread and one logged-in core per user in it. */
  static async start(module: WebAssembly.Module, abi: GoAbi, platformID: number, sdkConfig: string, users: BareUser[]): Promise<BareHost> {
    // As in ws-load.ts: on Node 20 a worker gets tsx's require hook only, so the thread
    // starts from a data: module that require()s this file.
    const self = fileURLToPath(import.meta.url);
    const boot = `import { createRequire } from 'node:module'; createRequire(${JSON.stringify(import.meta.url)})(${JSON.stringify(self)});`;
    const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), {
      execArgv: import.meta.url.endsWith('.ts') ? ['--import', tsx] : [],
      workerData: { role: WORKER_ROLE },
    });
    const host = new BareHost(worker);
    await host.#send({ type: 'start', module, abi, platformID, sdkConfig, users });
    return host;
  }

  /** Calls per second with `inFlight` loops spread over the cores (see closedLoopRate). */
  async closedLoopRate(inFlight: number, warmupMs: number, measureMs: number): Promise<number> {
    return (await this.#send({ type: 'closed-loop', inFlight, warmupMs, measureMs })).rate as number;
  }

  /** Latencies of an open loop at `rate` (see pacedLatencies), ascending. */
  async pacedLatencies(rate: number, warmupMs: number, measureMs: number): Promise<number[]> {
    return (await this.#send({ type: 'paced', rate, warmupMs, measureMs })).samples as number[];
  }

  /** Latencies of one call at a time (see sequentialLatencies), ascending. */
  async sequentialLatencies(warmupMs: number, measureMs: number): Promise<number[]> {
    return (await this.#send({ type: 'sequential', warmupMs, measureMs })).samples as number[];
  }

  async close(): Promise<void> {
    try {
      await this.#send({ type: 'close' });
    } finally {
      this.#worker.removeAllListeners('exit');
      await this.#worker.terminate();
    }
  }

  #send(command: Command): Promise<Extract<Reply, { type: 'ok' }>> {
    if (this.#waiting) return Promise.reject(new Error('bare host is busy'));
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve: resolve as (r: Reply) => void, reject };
      this.#worker.postMessage(command);
    });
  }
}

// ───────────────────────────── worker side ─────────────────────────────

function runHost(port: MessagePort): void {
  const silent = pino({ level: 'silent' });
  const cores: CoreInstance[] = [];
  let calls: LoopCall[] = [];
  let seq = 0;
  const op = (): string => `bare-${++seq}`;

  async function start(command: Extract<Command, { type: 'start' }>): Promise<void> {
    for (const user of command.users) {
      const name = `bare-${user.userID}/${command.platformID}`;
      const core = await CoreInstance.start({ module: command.module, abi: command.abi, name, logger: silent });
      cores.push(core);
      const init = await core.call('initSDK', op(), [command.sdkConfig]);
      if (!init.ok || !Array.isArray(init.value) || init.value[0] !== true) throw new Error(`initSDK on ${name} answered ${JSON.stringify(init)}`);
      const login = await core.call('login', op(), [user.userID, user.token]);
      if (!login.ok) throw new Error(`login on ${name} failed: ${login.error.message} (does this core need a real IM server?)`);
    }
    calls = cores.map((core) => async () => {
      const r = await core.call('getLoginStatus', op(), []);
      if (!r.ok) throw new Error(`getLoginStatus on ${core.name}: ${r.error.kind}: ${r.error.message}`);
      // Anything else would mean the core is not logged in and answers on a shorter path.
      if (!(Array.isArray(r.value) && r.value[0] === LOGGED_IN)) {
        throw new Error(`getLoginStatus on ${core.name} answered ${JSON.stringify(r.value)}, expected [${LOGGED_IN}]`);
      }
    });
  }

  port.on('message', (command: Command) => {
    const run = async (): Promise<Reply> => {
      switch (command.type) {
        case 'start':
          await start(command);
          return { type: 'ok' };
        case 'closed-loop':
          return { type: 'ok', rate: await closedLoopRate(calls, command.inFlight, command.warmupMs, command.measureMs) };
        case 'paced':
          return { type: 'ok', samples: await pacedLatencies(calls, command.rate, command.warmupMs, command.measureMs) };
        case 'sequential':
          return { type: 'ok', samples: await sequentialLatencies(calls, command.warmupMs, command.measureMs) };
        case 'close':
          for (const core of cores.splice(0)) core.dispose();
          return { type: 'ok' };
      }
    };
    run().then(
      (reply) => port.postMessage(reply),
      (err: unknown) => port.postMessage({ type: 'failed', message: errorText(err) }),
    );
  });
}

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === WORKER_ROLE && parentPort) {
  runHost(parentPort);
}
