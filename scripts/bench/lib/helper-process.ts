/**
 * A child Node process that a bench drives by request and reply over the IPC channel.
 *
 * Memory benches need what they measure alone in a process: the process's RSS then
 * holds the server or pool under test and nothing of the clients, the dev server or an
 * earlier measurement. The child runs under the same loader (tsx) as the bench.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface RequestMessage {
  id: number;
  body: unknown;
}

type ReplyMessage = { id: number; ok: true; body: unknown } | { id: number; ok: false; error: string };

/** How long a child may take to exit after its last request before it is killed. */
const EXIT_GRACE_MS = 10_000;

export class HelperProcess<Req, Res> {
  readonly #child: ChildProcess;
  #seq = 0;
  #pending = new Map<number, { resolve: (r: Res) => void; reject: (e: Error) => void }>();
  #exited: Promise<number | null>;
  #failure: Error | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (m: ReplyMessage) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.body as Res);
      else p.reject(new Error(m.error));
    });
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.#failure = new Error(`helper process exited (${signal ?? `code ${code}`})`);
        for (const p of this.#pending.values()) p.reject(this.#failure);
        this.#pending.clear();
        resolve(code);
      }),
    );
  }

  /**
   * Forks `moduleUrl` with `args`. `--expose-gc` lets the child collect its main thread's
   * garbage before a reading, so leftovers of setup do not count as per-session memory.
   */
  static start<Req, Res>(moduleUrl: string, args: readonly string[]): HelperProcess<Req, Res> {
    const child = fork(fileURLToPath(moduleUrl), [...args], {
      execArgv: [...process.execArgv, '--expose-gc'],
      // Its stdout must not reach the bench's: the last line there is the result.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    return new HelperProcess<Req, Res>(child);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  request(body: Req): Promise<Res> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const message: RequestMessage = { id, body };
      this.#child.send(message);
    });
  }

  /** Waits for the child to exit on its own (after a request that ends it), then kills it. */
  async exited(): Promise<number | null> {
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), EXIT_GRACE_MS);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

/** Child side: answers each request with `handle`'s result, or its error's message. */
export function serveRequests(handle: (body: unknown) => Promise<unknown>): void {
  process.on('message', (m: RequestMessage) => {
    handle(m.body).then(
      (body) => process.send?.({ id: m.id, ok: true, body } satisfies ReplyMessage),
      (err: unknown) => process.send?.({ id: m.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies ReplyMessage),
    );
  });
  // A bench that died must not leave its helpers running.
  process.on('disconnect', () => process.exit(0));
}
