/**
 * WebSocket load generator for the gateway bench, on its own thread.
 *
 * The clients run in a worker thread rather than next to the gateway so that the gateway's
 * main thread is charged only for its own work (frame parsing, JSON, the hop to the core
 * worker, the reply), not also for the clients' masking, encoding and decoding. The thread
 * still takes CPU from the same machine; the bench reports how much.
 *
 * One module, two sides: `LoadGenerator` (used by the bench) starts this same file as a
 * worker, and the code at the bottom runs only inside that worker.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { WebSocket } from 'ws';
import { tsxLoaderUrl } from '../../../src/tsx-loader.ts';
import { errorText } from '../../../src/shared/error-text.ts';

export interface LoadUser {
  userID: string;
  token: string;
}

/** The reply every GetLoginStatus must get once its session is logged in (the core's `[3]`). */
const LOGGED_IN = '3';
const PLATFORM_ID = 5;
const CALL = 'GetLoginStatus';
/** Outstanding replies still missing this long after a run's window are a broken setup. */
const DRAIN_TIMEOUT_MS = 10_000;

type Command =
  | { type: 'connect'; url: string; users: LoadUser[] }
  | { type: 'closed-loop'; perClient: number; warmupMs: number; measureMs: number }
  | { type: 'paced'; rate: number; maxOutstanding: number; warmupMs: number; measureMs: number }
  | { type: 'close' };

export interface ClosedLoopResult {
  /** Replies received inside the measuring window, per second. */
  rate: number;
  /** CPU time this thread used during the window, ms (undefined without /proc). */
  cpuMs: number | undefined;
}

export interface PacedResult {
  /** Round-trip percentiles of the requests sent inside the window, in ms. */
  p50Ms: number;
  p99Ms: number;
  samples: number;
  /** Requests actually sent per second in the window (sends are skipped at maxOutstanding). */
  sentRate: number;
  skipped: number;
  cpuMs: number | undefined;
}

type Reply =
  | { type: 'ready' }
  | { type: 'window-start' }
  | { type: 'closed-loop'; result: ClosedLoopResult }
  | { type: 'paced'; result: PacedResult }
  | { type: 'closed' }
  | { type: 'failed'; message: string };

/** CPU time (user + system) of the calling thread in ms, from /proc; undefined elsewhere. */
export function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // Fields after the parenthesised name; utime and stime are fields 14 and 15 overall.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    // USER_HZ is 100 on every Linux Node supports; there is no portable way to ask.
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

const WORKER_ROLE = 'bench-ws-load';

/** Main-thread handle: one command at a time, each answered by the worker. */
export class LoadGenerator {
  #worker: Worker;
  #waiting: { expect: Reply['type']; resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  #onWindowStart: (() => void) | undefined;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: Reply) => {
      if (reply.type === 'window-start') {
        this.#onWindowStart?.();
        return;
      }
      const w = this.#waiting;
      this.#waiting = undefined;
      if (!w) return;
      if (reply.type === 'failed') w.reject(new Error(`load generator: ${reply.message}`));
      else if (reply.type !== w.expect) w.reject(new Error(`load generator answered ${reply.type}, expected ${w.expect}`));
      else w.resolve(reply);
    });
    const fail = (err: Error): void => {
      this.#failure = err;
      this.#waiting?.reject(err);
      this.#waiting = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`load generator thread exited with code ${code}`)));
  }

  /** Starts the thread, opens one socket per user and logs each one in. */
  static async start(url: string, users: LoadUser[]): Promise<LoadGenerator> {
    // On Node 20, tsx's --import gives a worker only its require() hook (its ESM hooks stay
    // on the main thread), and an eval worker gets neither. So the thread starts from a
    // small data: module that require()s this file, as piscina does with the core worker.
    const self = fileURLToPath(import.meta.url);
    const boot = `import { createRequire } from 'node:module'; createRequire(${JSON.stringify(import.meta.url)})(${JSON.stringify(self)});`;
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), {
      execArgv: import.meta.url.endsWith('.ts') ? ['--import', tsxLoaderUrl()] : [],
      workerData: { role: WORKER_ROLE },
    });
    const gen = new LoadGenerator(worker);
    await gen.#send({ type: 'connect', url, users }, 'ready');
    return gen;
  }

  /** Every client keeps `perClient` requests in flight; `onWindowStart` fires when counting begins. */
  async closedLoop(perClient: number, warmupMs: number, measureMs: number, onWindowStart?: () => void): Promise<ClosedLoopResult> {
    this.#onWindowStart = onWindowStart;
    const r = await this.#send({ type: 'closed-loop', perClient, warmupMs, measureMs }, 'closed-loop');
    return (r as Extract<Reply, { type: 'closed-loop' }>).result;
  }

  /** Open loop at `rate` requests/s over all clients, as long as fewer than `maxOutstanding` await replies. */
  async paced(rate: number, maxOutstanding: number, warmupMs: number, measureMs: number, onWindowStart?: () => void): Promise<PacedResult> {
    this.#onWindowStart = onWindowStart;
    const r = await this.#send({ type: 'paced', rate, maxOutstanding, warmupMs, measureMs }, 'paced');
    return (r as Extract<Reply, { type: 'paced' }>).result;
  }

  /** Closes the sockets, waits for their close handshakes, ends the thread. */
  async close(): Promise<void> {
    try {
      if (!this.#failure) await this.#send({ type: 'close' }, 'closed');
    } finally {
      this.#worker.removeAllListeners('exit');
      await this.#worker.terminate();
    }
  }

  #send(command: Command, expect: Reply['type']): Promise<Reply> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#waiting) return Promise.reject(new Error('load generator is busy'));
    return new Promise((resolve, reject) => {
      this.#waiting = { expect, resolve, reject };
      this.#worker.postMessage(command);
    });
  }
}

// ───────────────────────────── worker side ─────────────────────────────

interface Client {
  ws: WebSocket;
  userID: string;
  /** operationID → send time (performance.now()). */
  pending: Map<string, number>;
  seq: number;
}

/** What to do with each reply; swapped per run. */
type ReplyHandler = (client: Client, sentAt: number, now: number, ok: boolean) => void;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function runWorker(port: MessagePort): void {
  const clients: Client[] = [];
  let onReply: ReplyHandler = () => {};
  let firstError: string | undefined;
  let outstanding = 0;

  const post = (reply: Reply): void => port.postMessage(reply);

  const send = (client: Client): void => {
    const operationID = `${client.userID}-${++client.seq}`;
    client.pending.set(operationID, performance.now());
    outstanding++;
    client.ws.send(JSON.stringify({ reqFuncName: CALL, operationID, userID: client.userID, data: '[]' }));
  };

  const listen = (client: Client): void => {
    client.ws.on('message', (data: Buffer) => {
      const now = performance.now();
      let env: { event?: unknown; errCode?: unknown; errMsg?: unknown; data?: unknown; operationID?: unknown };
      try {
        env = JSON.parse(data.toString('utf8')) as typeof env;
      } catch {
        firstError ??= `unparseable frame for ${client.userID}`;
        return;
      }
      if (typeof env.operationID !== 'string') return; // a listener event, not a reply
      const sentAt = client.pending.get(env.operationID);
      if (sentAt === undefined) return; // e.g. the Login reply, awaited separately
      client.pending.delete(env.operationID);
      outstanding--;
      const ok = env.errCode === 0 && env.data === LOGGED_IN;
      if (!ok) firstError ??= `${CALL} for ${client.userID} answered ${JSON.stringify(env)}`;
      onReply(client, sentAt, now, ok);
    });
  };

  async function connect(url: string, users: LoadUser[]): Promise<void> {
    await Promise.all(
      users.map(async ({ userID, token }) => {
        const q = new URLSearchParams({ sendID: userID, token, platformID: String(PLATFORM_ID), operationID: `hs-${userID}` });
        const ws = new WebSocket(`${url}/?${q}`);
        await new Promise<void>((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
          ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake for ${userID}: HTTP ${res.statusCode}`)));
        });
        const client: Client = { ws, userID, pending: new Map(), seq: 0 };
        const operationID = `login-${userID}`;
        const answer = new Promise<string>((resolve) => {
          const onLogin = (data: Buffer): void => {
            const env = JSON.parse(data.toString('utf8')) as { operationID?: unknown; errCode?: unknown; errMsg?: unknown };
            if (env.operationID !== operationID) return;
            ws.off('message', onLogin);
            resolve(env.errCode === 0 ? '' : `${String(env.errCode)} ${String(env.errMsg)}`);
          };
          ws.on('message', onLogin);
        });
        ws.send(JSON.stringify({ reqFuncName: 'Login', operationID, userID, data: JSON.stringify([userID, token]) }));
        const problem = await answer;
        if (problem) throw new Error(`Login of ${userID} failed: ${problem}`);
        listen(client);
        clients.push(client);
      }),
    );
  }

  /** Resolves once every reply is in, or rejects after DRAIN_TIMEOUT_MS. */
  function drained(): Promise<void> {
    const giveUp = performance.now() + DRAIN_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (outstanding === 0) return resolve();
        if (performance.now() > giveUp) return reject(new Error(`${outstanding} replies missing ${DRAIN_TIMEOUT_MS} ms after the run`));
        setTimeout(check, 5);
      };
      check();
    });
  }

  function checkErrors(): void {
    if (firstError !== undefined) throw new Error(firstError);
  }

  async function closedLoop(perClient: number, warmupMs: number, measureMs: number): Promise<ClosedLoopResult> {
    const from = performance.now() + warmupMs;
    const to = from + measureMs;
    let counted = 0;
    let cpuAtStart: number | undefined;
    const windowTimer = setTimeout(() => {
      cpuAtStart = threadCpuMs();
      post({ type: 'window-start' });
    }, warmupMs);
    onReply = (client, _sentAt, now) => {
      if (now >= from && now < to) counted++;
      if (now < to) send(client);
    };
    for (const c of clients) for (let i = 0; i < perClient; i++) send(c);
    await new Promise((r) => setTimeout(r, to - performance.now()));
    const cpuAtEnd = threadCpuMs();
    await drained();
    clearTimeout(windowTimer);
    onReply = () => {};
    checkErrors();
    return {
      rate: (counted * 1000) / measureMs,
      cpuMs: cpuAtStart !== undefined && cpuAtEnd !== undefined ? cpuAtEnd - cpuAtStart : undefined,
    };
  }

  /**
   * Open loop: requests go out on a schedule, whatever the replies do, so the gateway sees
   * a steady arrival rate instead of the synchronised bursts of a closed loop. Timers tick
   * at ~1 ms, so at a few thousand per second a handful leave together, much as 50
   * independent clients would now and then.
   */
  async function paced(rate: number, maxOutstanding: number, warmupMs: number, measureMs: number): Promise<PacedResult> {
    const start = performance.now();
    const from = start + warmupMs;
    const to = from + measureMs;
    const samples: number[] = [];
    let due = 0;
    let sentInWindow = 0;
    let skipped = 0;
    let next = 0;
    let cpuAtStart: number | undefined;
    let windowOpen = false;
    onReply = (_client, sentAt, now) => {
      if (sentAt >= from && sentAt < to) samples.push(now - sentAt);
    };
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now();
        if (!windowOpen && now >= from) {
          windowOpen = true;
          cpuAtStart = threadCpuMs();
          post({ type: 'window-start' });
        }
        if (now >= to) return resolve();
        const target = Math.floor(((now - start) * rate) / 1000);
        for (; due < target; due++) {
          if (outstanding >= maxOutstanding) {
            if (now >= from) skipped++;
            continue;
          }
          send(clients[next] as Client);
          next = (next + 1) % clients.length;
          if (now >= from) sentInWindow++;
        }
        setTimeout(tick, 1);
      };
      tick();
    });
    const cpuAtEnd = threadCpuMs();
    await drained();
    onReply = () => {};
    checkErrors();
    samples.sort((a, b) => a - b);
    return {
      p50Ms: percentile(samples, 0.5),
      p99Ms: percentile(samples, 0.99),
      samples: samples.length,
      sentRate: (sentInWindow * 1000) / measureMs,
      skipped,
      cpuMs: cpuAtStart !== undefined && cpuAtEnd !== undefined ? cpuAtEnd - cpuAtStart : undefined,
    };
  }

  async function closeAll(): Promise<void> {
    await Promise.all(
      clients.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === c.ws.CLOSED) return resolve();
            c.ws.once('close', () => resolve());
            c.ws.close();
            // A gateway already gone would never complete the close handshake.
            setTimeout(() => {
              c.ws.terminate();
              resolve();
            }, 2000).unref();
          }),
      ),
    );
  }

  port.on('message', (command: Command) => {
    const run = async (): Promise<Reply> => {
      switch (command.type) {
        case 'connect':
          await connect(command.url, command.users);
          return { type: 'ready' };
        case 'closed-loop':
          return { type: 'closed-loop', result: await closedLoop(command.perClient, command.warmupMs, command.measureMs) };
        case 'paced':
          return {
            type: 'paced',
            result: await paced(command.rate, command.maxOutstanding, command.warmupMs, command.measureMs),
          };
        case 'close':
          await closeAll();
          return { type: 'closed' };
      }
    };
    run().then(post, (err: unknown) => post({ type: 'failed', message: errorText(err) }));
  });
}

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === WORKER_ROLE && parentPort) {
  runWorker(parentPort);
}
