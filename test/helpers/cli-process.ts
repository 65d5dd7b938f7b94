/**
 * The real server process for tests: `src/cli.ts` spawned with the given flags, so that what
 * a test measures (RSS, the process staying alive) is the server's own, not the test's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tsxLoaderUrl } from '../../src/tsx-loader.ts';

const tsxLoader = tsxLoaderUrl();
const cliPath = new URL('../../src/cli.ts', import.meta.url).pathname;

const START_TIMEOUT_MS = 60_000;
const LOG_TAIL_CHARS = 20_000;

/** Flags for a small gateway in front of a fake IM server: one worker of test cores, no merging, its own data dir. */
export function testCoreFlags(imUrl: string, dataDir: string): string[] {
  return ['--core', 'test', '--workers', '1', '--memory-merge', 'off', '--openim-api', imUrl, '--openim-ws', 'ws://127.0.0.1:1', '--data-dir', dataDir];
}

export class CliGateway {
  readonly port: number;
  readonly url: string;
  #child: ChildProcess;
  #exit: Promise<number | null>;
  #exited = false;
  #log = '';

  #logChars: number;

  private constructor(child: ChildProcess, port: number, log: string, logChars: number) {
    this.#child = child;
    this.#logChars = logChars;
    this.port = port;
    this.url = `ws://127.0.0.1:${port}`;
    this.#log = log;
    this.#exit = new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      child.once('exit', (code) => {
        this.#exited = true;
        resolve(code);
      });
    });
    const keep = (c: Buffer): void => {
      this.#log = (this.#log + c.toString()).slice(-this.#logChars);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  /**
   * Starts the CLI (`--host 127.0.0.1 --port 0` added; log level info or below, to see it listen) and resolves once it listens.
   * `nodeArgs` go to node after the TypeScript loader (e.g. another `--import`).
   */
  static start(args: readonly string[], env: NodeJS.ProcessEnv = {}, logChars = LOG_TAIL_CHARS, nodeArgs: readonly string[] = []): Promise<CliGateway> {
    const child = spawn(process.execPath, ['--import', tsxLoader, ...nodeArgs, cliPath, '--host', '127.0.0.1', '--port', '0', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise<CliGateway>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`server did not start within ${START_TIMEOUT_MS} ms: ${out.slice(-2000)}`)), START_TIMEOUT_MS);
      const onData = (c: Buffer): void => {
        out += c.toString();
        const m = /"port":(\d+)[^\n]*gateway listening/.exec(out);
        if (!m) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        child.off('exit', onExit);
        resolve(new CliGateway(child, Number(m[1]), out, logChars));
      };
      const onExit = (code: number | null): void => fail(new Error(`server exited (${code}) before listening: ${out.slice(-2000)}`));
      const fail = (err: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(err);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', onExit);
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  get alive(): boolean {
    return !this.#exited && this.#child.exitCode === null;
  }

  /** What the process printed (stdout and stderr): its last `logChars` characters. */
  get log(): string {
    return this.#log;
  }

  /** Resident memory of the server process. */
  rssBytes(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0) * 1024;
  }

  async healthz(): Promise<number> {
    return (await fetch(`http://127.0.0.1:${this.port}/healthz`)).status;
  }

  /** Sum of the samples of a Prometheus metric whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
      if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
    }
    return sum;
  }

  /** SIGTERM (graceful stop); resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.alive) this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    try {
      return await this.#exit;
    } finally {
      clearTimeout(timer);
    }
  }
}
