/**
 * The gateway under attack, run the way an operator runs it: the real command line
 * (`src/cli.ts`) in a process of its own, against an OpenIM dev server in another process
 * (`src/cli.ts dev-server`), both on free loopback ports.
 *
 * The CLI is started from source with Node's `--import tsx` rather than from `dist/`: the
 * harness then attacks exactly the code in the tree (a `dist/` left from an older build would
 * be attacked instead of the code under review), and needs no build step; tsx only strips
 * types when a module is first loaded, so after start-up the process runs the same JS.
 *
 * Between the gateway and the dev server's API sits the proxy of attack-im-proxy.ts. The
 * process is observed only from outside: its exit, its log lines (pino JSON on stdout,
 * anything else on stderr), `/proc/<pid>/status` and `/proc/<pid>/fd`, `/healthz`, `/metrics`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { procFigures } from './proc-figures.ts';
import { metricSum } from './prom-text.ts';
import { withTimeout } from './timing.ts';
import { parsePinoLine } from './pino-line.ts';

/**
 * The CLI attacked: this tree's, or the `src/cli.ts` named by ATTACK_CLI (another checkout
 * of the project, e.g. to attack a branch's code with this harness).
 */
const CLI = process.env['ATTACK_CLI'] ?? fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const CLI_ROOT = dirname(dirname(CLI));
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;
/** Lines of stderr kept for reports (crash traces are a few dozen lines). */
const TAIL_LINES = 80;

/** One gateway log message at error level or above, with how often it was logged. */
export interface ErrorLog {
  msg: string;
  count: number;
  /** The first such line, clipped. */
  example: string;
}

/** A child process running the CLI, with its output collected line by line. */
class CliChild {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderrTail: string[] = [];
  readonly errorLogs = new Map<string, ErrorLog>();
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #listeners: Array<(line: string) => void> = [];

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    // `--import tsx` is resolved from the working directory: the attacked checkout's own tsx.
    this.child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: CLI_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.#onLine(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.#onLine(line));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves with the first match of `pattern` in any output line. */
  waitFor(pattern: RegExp, what: string): Promise<RegExpExecArray> {
    return withTimeout(
      new Promise<RegExpExecArray>((resolve, reject) => {
        const listener = (line: string): void => {
          const m = pattern.exec(line);
          if (m) resolve(m);
        };
        this.#listeners.push(listener);
        void this.exited.then((e) =>
          reject(new Error(`${what}: the process exited first (code ${e.code}, signal ${e.signal}):\n${this.stderrTail.slice(-30).join('\n')}`)),
        );
      }),
      START_TIMEOUT_MS,
      what,
    );
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    return withTimeout(this.exited, STOP_TIMEOUT_MS, 'graceful stop').catch(() => {
      this.child.kill('SIGKILL');
      return this.exited;
    });
  }

  #onLine(line: string): void {
    for (const l of this.#listeners) l(line);
    const entry = parsePinoLine(line);
    if (entry === undefined) {
      this.stderrTail.push(line);
      if (this.stderrTail.length > TAIL_LINES) this.stderrTail.shift();
      return;
    }
    // pino: 50 error, 60 fatal.
    if (entry.level < 50) return;
    const msg = entry.msg;
    const seen = this.errorLogs.get(msg);
    if (seen) seen.count++;
    else this.errorLogs.set(msg, { msg, count: 1, example: line.slice(0, 1500) });
  }
}

/** `openim-jssdk-server dev-server` on free ports. */
export class DevServerProcess {
  private constructor(
    readonly cli: CliChild,
    readonly apiUrl: string,
    readonly wsUrl: string,
  ) {}

  static async start(): Promise<DevServerProcess> {
    const cli = new CliChild(['dev-server', '--host', '127.0.0.1', '--api-port', '0', '--ws-port', '0', '--log-level', 'warn']);
    try {
      const [api, ws] = await Promise.all([
        cli.waitFor(/^\s*API:\s+(http:\S+)/, 'dev server API address'),
        cli.waitFor(/^\s*Gateway:\s+(ws:\S+)/, 'dev server gateway address'),
      ]);
      return new DevServerProcess(cli, api[1] as string, ws[1] as string);
    } catch (err) {
      cli.child.kill('SIGKILL');
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.cli.stop();
  }
}

export interface GatewayCliOptions {
  core: 'test' | 'official';
  openimApi: string;
  openimWs: string;
  workers: number;
  maxConnsPerUser: number;
  hangThresholdMs: number;
}

/** What `/proc` says about the process: its resident memory, and what proc-figures.ts counts. */
export interface ProcFigures {
  rssBytes: number;
  threads: number | undefined;
  fds: number | undefined;
  sockets: number | undefined;
}

/** `openim-jssdk-server` itself, from the command line. */
export class GatewayCli {
  private constructor(
    readonly cli: CliChild,
    readonly port: number,
    readonly options: GatewayCliOptions,
    readonly dataDir: string,
  ) {}

  static async start(options: GatewayCliOptions): Promise<GatewayCli> {
    const dataDir = mkdtempSync(join(tmpdir(), 'openim-jssdk-attack-'));
    // Info level: the "gateway listening" line carries the port (0 asks for a free one).
    const cli = new CliChild([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--core',
      options.core,
      '--workers',
      String(options.workers),
      '--openim-api',
      options.openimApi,
      '--openim-ws',
      options.openimWs,
      '--data-dir',
      dataDir,
      '--max-conns-per-user',
      String(options.maxConnsPerUser),
      '--grace-period',
      '1',
      '--hang-threshold',
      String(options.hangThresholdMs),
      '--log-level',
      'info',
    ]);
    try {
      const m = await cli.waitFor(/"port":(\d+).*"msg":"gateway listening"/, 'gateway start');
      return new GatewayCli(cli, Number(m[1]), options, dataDir);
    } catch (err) {
      cli.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.cli.pid;
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.cli.exit;
  }

  get alive(): boolean {
    return this.cli.exit === undefined;
  }

  get exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.cli.exited;
  }

  get stderrTail(): readonly string[] {
    return this.cli.stderrTail;
  }

  get errorLogs(): ErrorLog[] {
    return [...this.cli.errorLogs.values()];
  }

  proc(): ProcFigures | undefined {
    let status: string;
    try {
      status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    } catch {
      return undefined; // gone
    }
    // A process that has exited but not been reaped yet has a status without VmRSS.
    const rssKiB = /^VmRSS:\s+(\d+)/m.exec(status)?.[1];
    if (rssKiB === undefined) return undefined;
    const { fds, sockets, threads } = procFigures(this.pid);
    return { rssBytes: Number(rssKiB) * 1024, threads, fds, sockets };
  }

  async healthz(timeoutMs = 5000): Promise<number> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  async metrics(timeoutMs = 5000): Promise<string | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
      return res.status === 200 ? await res.text() : undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGTERM as an operator would; SIGKILL if it does not exit in time. Removes the data directory. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    try {
      return await this.cli.stop();
    } finally {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}

/**
 * The sum of metric `name` in Prometheus text: 0 when it is exported without samples yet
 * (a labelled counter nothing has counted), undefined when it is not exported at all.
 */
export function exportedMetric(text: string, name: string): number | undefined {
  return metricSum(text, name) ?? (text.includes(`# TYPE ${name} `) ? 0 : undefined);
}
