/**
 * Running a real service binary (redis-server, nginx) for a test or a script: on loopback, on a
 * free port, with its files in a fresh temporary directory, stopped and cleaned up after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port nothing listens on right now (the OS picks it; someone may take it before we do, so callers retry). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function tempDir(name: string): { dir: string; remove(this: void): void } {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A started child whose output is kept (its tail) for error messages. */
export class ServiceProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #output = '';

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
  ) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (c: Buffer): void => {
      this.#output = (this.#output + c.toString()).slice(-8000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.#output += `\n${err.message}`;
        resolve(null);
      });
      this.child.once('exit', (code) => resolve(code));
    });
  }

  get output(): string {
    return this.#output;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when `ready` matches the output; rejects when the process exits first or `ms` pass. */
  waitFor(ready: RegExp, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (ready.test(this.#output)) finish();
      };
      const timer = setTimeout(() => finish(new Error(`${this.name} not ready within ${ms} ms: ${this.#output.slice(-1500)}`)), ms);
      const onExit = (): void => finish(new Error(`${this.name} exited before it was ready: ${this.#output.slice(-1500)}`));
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.child.stdout!.off('data', check);
        this.child.stderr!.off('data', check);
        this.child.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      this.child.stdout!.on('data', check);
      this.child.stderr!.on('data', check);
      this.child.once('exit', onExit);
      check();
    });
  }

  /** SIGTERM, then SIGKILL if it is still there after `ms`. */
  async stop(ms = 5000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Tries `start` on fresh free ports until one works (a port can be taken between the look and the bind). */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start(await freePort());
    } catch (err) {
      last = err;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
