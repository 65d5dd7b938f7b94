/**
 * The parent's handle on a gateway running in a child process (see gateway-child.ts):
 * start it, ask it for its figures, watch it for lost cores, error logs and crashes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, GatewayChildOptions, GatewayFigures, LostCore, ParentRequest } from './gateway-ipc.ts';
import { procFigures, type ProcFigures } from './proc-figures.ts';
import { withTimeout } from './timing.ts';
import { tsxLoaderUrl } from '../../src/tsx-loader.ts';
import { parsePinoLine } from './pino-line.ts';

export type GatewayStartOptions = Omit<GatewayChildOptions, 'dataDir'>;

/** A request without its id (Omit over each member: a plain Omit would merge the union). */
type RequestBody = ParentRequest extends infer R ? (R extends ParentRequest ? Omit<R, 'id'> : never) : never;

/** One distinct gateway log message at warn level or above, with how often it was logged. */
export interface LogTally {
  level: number;
  msg: string;
  count: number;
  /** The first such line, for the report. */
  example: string;
}

const START_TIMEOUT_MS = 120_000;
const HTTP_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Non-JSON stderr lines kept (crash traces, Node warnings). */
const STDERR_TAIL_LINES = 60;

export class GatewayProcess {
  readonly url: string;
  readonly port: number;
  /** The loaded core's API function names (its JS globals). */
  readonly coreFunctions: readonly string[];
  /** Every core the pool lost (pool `coreLost`), in order. */
  readonly lostCores: LostCore[] = [];
  readonly workerReplacements: Array<{ workerId: number; reason: string; lostCores: number }> = [];
  /** Gateway log lines at warn or above, by level and message. */
  readonly logs = new Map<string, LogTally>();
  readonly stderrTail: string[] = [];
  #child: ChildProcess;
  #dataDir: string;
  #seq = 0;
  #pending = new Map<number, { resolve: (m: ChildMessage) => void; reject: (e: Error) => void }>();
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #closing = false;

  private constructor(child: ChildProcess, dataDir: string, ready: Extract<ChildMessage, { type: 'ready' }>) {
    this.#child = child;
    this.#dataDir = dataDir;
    this.url = ready.url;
    this.port = ready.port;
    this.coreFunctions = ready.coreFunctions;
    child.on('message', (m: ChildMessage) => this.#onMessage(m));
    child.on('exit', (code, signal) => {
      this.#exit = { code, signal };
      const err = new Error(`gateway process exited (code ${code}, signal ${signal})`);
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    });
  }

  static async start(options: GatewayStartOptions): Promise<GatewayProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), 'openim-jssdk-soak-'));
    const childOptions: GatewayChildOptions = { ...options, dataDir };
    const entry = fileURLToPath(new URL('./gateway-child.ts', import.meta.url));
    const child = fork(entry, [JSON.stringify(childOptions)], {
      execArgv: ['--expose-gc', '--import', tsxLoaderUrl()],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const early: string[] = [];
    const lines = createInterface({ input: child.stderr! });
    const stdoutLines = createInterface({ input: child.stdout! });
    // Lines wait in `early` until the handle exists.
    let onLine = (line: string): void => {
      early.push(line);
    };
    lines.on('line', (line) => onLine(line));
    stdoutLines.on('line', (line) => onLine(line));

    const ready = await withTimeout(
      new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
        child.on('message', (m: ChildMessage) => {
          if (m.type === 'ready') resolve(m);
          if (m.type === 'start-failed') reject(new Error(`gateway did not start: ${m.message}`));
        });
        child.once('exit', (code, signal) => reject(new Error(`gateway process exited during start (code ${code}, signal ${signal}):\n${early.slice(-20).join('\n')}`)));
      }),
      START_TIMEOUT_MS,
      'gateway start',
    ).catch((err: unknown) => {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    });
    const handle = new GatewayProcess(child, dataDir, ready);
    for (const l of early) handle.#onStderr(l);
    onLine = (line) => handle.#onStderr(line);
    return handle;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** SIGKILL: the process dies at once (what `kill -9` or a lost machine does); resolves once it has. `close` then only cleans up. */
  kill(): Promise<void> {
    if (this.#exit) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill('SIGKILL');
    return exited;
  }

  /** Set once the child has exited; before close() that is a crash. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  get crashed(): boolean {
    return this.#exit !== undefined && !this.#closing;
  }

  figures(): Promise<GatewayFigures> {
    return this.#request({ type: 'figures' });
  }

  /** Figures after `rounds` garbage collections `pauseMs` apart (RSS is measured then). */
  settledFigures(rounds = 4, pauseMs = 250): Promise<GatewayFigures> {
    return this.#request({ type: 'settle-memory', rounds, pauseMs });
  }

  /** Writes a heap snapshot of the gateway's main thread (for leak hunting with DevTools). */
  heapSnapshot(path: string): Promise<GatewayFigures> {
    return this.#request({ type: 'heap-snapshot', path });
  }

  /** GET /healthz: its status and JSON body ({status, sessions, connections}). */
  async healthz(): Promise<{ status: number; body: { status?: string; sessions?: number; connections?: number } }> {
    const res = await this.#get('/healthz');
    return { status: res.status, body: JSON.parse(res.body) as { status?: string; sessions?: number; connections?: number } };
  }

  /** GET /metrics: the Prometheus text. */
  async metricsText(): Promise<string> {
    const res = await this.#get('/metrics');
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
    return res.body;
  }

  /** The kernel's view of the gateway process (fds, sockets, threads, wasm memories). */
  procFigures(): ProcFigures {
    const pid = this.#child.pid;
    if (pid === undefined || this.#exit)
      return { fds: undefined, sockets: undefined, threads: undefined, wasmMemories: undefined, coreMemories: undefined, wasmResidentBytes: undefined };
    return procFigures(pid);
  }

  /**
   * One GET on a connection of its own, closed after the answer: a kept-alive connection
   * would stay open in the gateway for seconds and count among its sockets when the soak
   * reads them.
   */
  #get(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: this.port, path, method: 'GET', agent: false, headers: { Connection: 'close' }, timeout: HTTP_TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${HTTP_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Logs at error level or above (pino 50+): each is a finding. */
  errorLogs(): LogTally[] {
    return [...this.logs.values()].filter((l) => l.level >= 50);
  }

  /** Graceful stop (the gateway's own close), then removes the data directory. */
  async close(): Promise<void> {
    this.#closing = true;
    try {
      if (!this.#exit) {
        await withTimeout(this.#request({ type: 'close' }), 20_000, 'gateway close').catch(() => {});
        if (!this.#exit) {
          await withTimeout(new Promise((r) => this.#child.once('exit', r)), 5000, 'gateway exit').catch(() => {
            this.#child.kill('SIGKILL');
          });
        }
      }
    } finally {
      rmSync(this.#dataDir, { recursive: true, force: true });
    }
  }

  async #request(req: RequestBody): Promise<GatewayFigures> {
    if (this.#exit) throw new Error(`gateway process has exited (code ${this.#exit.code}, signal ${this.#exit.signal})`);
    const id = ++this.#seq;
    const reply = new Promise<ChildMessage>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#child.send({ ...req, id });
    const m = await withTimeout(reply, REQUEST_TIMEOUT_MS, `gateway ${req.type}`).finally(() => this.#pending.delete(id));
    if (m.type !== 'reply') throw new Error(`unexpected answer ${m.type}`);
    if (m.error !== undefined) throw new Error(`gateway ${req.type}: ${m.error}`);
    // 'close' answers without figures; its callers ignore the value.
    return m.figures as GatewayFigures;
  }

  #onMessage(m: ChildMessage): void {
    switch (m.type) {
      case 'reply':
        this.#pending.get(m.id)?.resolve(m);
        return;
      case 'core-lost':
        this.lostCores.push(m.lost);
        return;
      case 'worker-replaced':
        this.workerReplacements.push({ workerId: m.workerId, reason: m.reason, lostCores: m.lostCores });
        return;
      default:
        return;
    }
  }

  #onStderr(line: string): void {
    const entry = parsePinoLine(line);
    if (entry) {
      if (entry.level < 40) return;
      const msg = entry.msg;
      // Messages embed IDs and numbers; group them by their wording.
      const key = `${entry.level} ${msg
        .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>')
        .replace(/\d+/g, 'N')
        .slice(0, 160)}`;
      const tally = this.logs.get(key);
      if (tally) tally.count++;
      else this.logs.set(key, { level: entry.level, msg, count: 1, example: line.slice(0, 2000) });
      return;
    }
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
  }
}
