/**
 * A real redis-server (the Debian package) on a free loopback port, with nothing persisted,
 * for the cluster tests and the hand-over bench. It can be paused (SIGSTOP: connections stay
 * open, nothing answers — what a hung or partitioned Redis looks like) and stopped and started
 * again on the same port.
 */
import { onFreePort, ServiceProcess, tempDir } from './local-service.ts';

const READY = /Ready to accept connections/;
const START_MS = 10_000;

export class LocalRedis {
  readonly port: number;
  readonly url: string;
  #process: ServiceProcess;
  readonly #dir: { dir: string; remove(): void };

  private constructor(port: number, process: ServiceProcess, dir: { dir: string; remove(): void }) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#process = process;
    this.#dir = dir;
  }

  static async start(): Promise<LocalRedis> {
    const dir = tempDir('jssdk-redis');
    try {
      return await onFreePort(async (port) => {
        const process = await LocalRedis.#spawn(port, dir.dir);
        return new LocalRedis(port, process, dir);
      });
    } catch (err) {
      dir.remove();
      throw err;
    }
  }

  static async #spawn(port: number, dir: string): Promise<ServiceProcess> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice'];
    const process = new ServiceProcess(`redis-server :${port}`, 'redis-server', args);
    try {
      await process.waitFor(READY, START_MS);
    } catch (err) {
      await process.stop();
      throw err;
    }
    return process;
  }

  get pid(): number {
    return this.#process.child.pid!;
  }

  /** Freezes the server: sockets stay open, nothing is answered. */
  pause(): void {
    this.#process.child.kill('SIGSTOP');
  }

  resume(): void {
    this.#process.child.kill('SIGCONT');
  }

  /** Stops the server (its data is lost: nothing is persisted). */
  async stop(): Promise<void> {
    this.resume();
    await this.#process.stop();
  }

  /** Starts a fresh, empty server on the same port after `stop`. */
  async restart(): Promise<void> {
    await this.stop();
    this.#process = await LocalRedis.#spawn(this.port, this.#dir.dir);
  }

  async close(): Promise<void> {
    await this.stop();
    this.#dir.remove();
  }
}
