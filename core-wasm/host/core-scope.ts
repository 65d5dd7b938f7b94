/**
 * The global scope one core sees. Reads fall through to the worker's real globalThis
 * (Promise, JSON, crypto, TextEncoder...); everything a core writes (its ~115 API
 * functions) and everything it must not share (process, fs, sockets, timers, fetch,
 * console) lives on its own object, so cores in one worker never see each other and a
 * dead core can have all of its resources torn down.
 */
import { WebSocket as WsWebSocket } from 'ws';

export interface CoreScopeOptions {
  /** Lines written by the core to stdout (fd 1) or stderr (fd 2), or through console. */
  output(this: void, fd: 1 | 2, text: string): void;
  /** Extra per-core globals (the storage bridge installs its functions here). */
  globals?: Readonly<Record<string, unknown>>;
}

export interface CoreScope {
  readonly scope: Record<string, unknown>;
  /** Names of the host-installed globals (never callable as core API). */
  readonly hostNames: ReadonlySet<string>;
  /** Clears timers, aborts fetches, closes sockets. Idempotent. */
  teardown(this: void): void;
  readonly openSockets: number;
}

function enosys(): Error {
  return Object.assign(new Error('not implemented'), { code: 'ENOSYS' });
}

type NodeCallback = (err: Error | null, ...result: unknown[]) => void;

/**
 * What Go's syscall package finds as `fs`: the core has no file system of its own (exactly
 * as in a browser), only fd 1 and 2 for its log output.
 */
function makeFs(output: CoreScopeOptions['output']): Record<string, unknown> {
  const decoder = new TextDecoder();
  const unsupported = (...args: unknown[]): void => {
    const callback = args[args.length - 1];
    if (typeof callback === 'function') (callback as NodeCallback)(enosys());
  };
  const writeSync = (fd: number, buf: Uint8Array): number => {
    if (fd === 1 || fd === 2) output(fd, decoder.decode(buf));
    else throw enosys();
    return buf.length;
  };
  return new Proxy<Record<string, unknown>>(
    {
      // Go only needs the flag values to exist; every open fails with ENOSYS anyway.
      constants: { O_WRONLY: -1, O_RDWR: -1, O_CREAT: -1, O_TRUNC: -1, O_APPEND: -1, O_EXCL: -1, O_DIRECTORY: -1 },
      writeSync,
      write(fd: number, buf: Uint8Array, offset: number, length: number, position: unknown, callback: NodeCallback) {
        if (offset !== 0 || length !== buf.length || position !== null) {
          callback(enosys());
          return;
        }
        try {
          callback(null, writeSync(fd, buf));
        } catch (err) {
          callback(err as Error);
        }
      },
      fsync(_fd: number, callback: NodeCallback) {
        callback(null);
      },
    },
    {
      // Any other fs call Go makes (stat, mkdir, open...) answers ENOSYS through its callback.
      get: (target, key) => (typeof key === 'string' && !(key in target) ? unsupported : target[key as string]),
    },
  );
}

/**
 * What Go reads as `process`. `argv0` must not start with "node": Go's net/http then uses
 * `fetch` instead of a fake network that fails every request.
 */
function makeProcess(): Record<string, unknown> {
  return {
    argv0: 'openim-core',
    argv: ['openim-core'],
    env: {},
    pid: -1,
    ppid: -1,
    platform: 'js',
    getuid: () => -1,
    getgid: () => -1,
    geteuid: () => -1,
    getegid: () => -1,
    getgroups: () => {
      throw enosys();
    },
    umask: () => {
      throw enosys();
    },
    cwd: () => {
      throw enosys();
    },
    chdir: () => {
      throw enosys();
    },
  };
}

export function createCoreScope(opts: CoreScopeOptions): CoreScope {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const intervals = new Set<ReturnType<typeof setInterval>>();
  const sockets = new Set<WsWebSocket>();
  const aborter = new AbortController();
  let tornDown = false;

  const trackedSetTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    if (tornDown) return undefined;
    const t = setTimeout(() => {
      timers.delete(t);
      fn(...args);
    }, ms);
    timers.add(t);
    return t;
  };
  const trackedClearTimeout = (t: ReturnType<typeof setTimeout> | undefined) => {
    if (t === undefined) return;
    clearTimeout(t);
    timers.delete(t);
  };
  const trackedSetInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    if (tornDown) return undefined;
    const t = setInterval(fn, ms, ...args);
    intervals.add(t);
    return t;
  };
  const trackedClearInterval = (t: ReturnType<typeof setInterval> | undefined) => {
    if (t === undefined) return;
    clearInterval(t);
    intervals.delete(t);
  };

  /**
   * The browser's WebSocket, built on a `ws` socket that the core never sees. The socket
   * is tracked so a dead core's connection to the IM server is closed with it. An 'error'
   * listener is always present: `ws` throws an unhandled 'error' event otherwise, which
   * would end the worker for every core in it.
   *
   * A wrapper rather than a subclass because `close()` must differ from `ws`'s (see
   * there), and `ws` calls its own `close()` when it answers a close frame or a protocol
   * error; those calls must keep `ws`'s semantics.
   */
  class CoreWebSocket {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSING = 2;
    readonly CLOSED = 3;
    readonly #ws: WsWebSocket;

    constructor(url: string | URL, protocols?: string | string[]) {
      if (tornDown) throw new Error('core has exited');
      const ws = new WsWebSocket(url, protocols);
      this.#ws = ws;
      sockets.add(ws);
      ws.on('error', () => {});
      ws.on('close', () => sockets.delete(ws));
    }

    get url(): string {
      return this.#ws.url;
    }
    get readyState(): number {
      return this.#ws.readyState;
    }
    get protocol(): string {
      return this.#ws.protocol;
    }
    get extensions(): string {
      return this.#ws.extensions;
    }
    get bufferedAmount(): number {
      return this.#ws.bufferedAmount;
    }
    get binaryType(): string {
      return this.#ws.binaryType;
    }
    set binaryType(type: string) {
      this.#ws.binaryType = type as WsWebSocket['binaryType'];
    }
    get onopen(): WsWebSocket['onopen'] {
      return this.#ws.onopen;
    }
    set onopen(fn: WsWebSocket['onopen']) {
      this.#ws.onopen = fn;
    }
    get onmessage(): WsWebSocket['onmessage'] {
      return this.#ws.onmessage;
    }
    set onmessage(fn: WsWebSocket['onmessage']) {
      this.#ws.onmessage = fn;
    }
    get onerror(): WsWebSocket['onerror'] {
      return this.#ws.onerror;
    }
    set onerror(fn: WsWebSocket['onerror']) {
      this.#ws.onerror = fn;
    }
    get onclose(): WsWebSocket['onclose'] {
      return this.#ws.onclose;
    }
    set onclose(fn: WsWebSocket['onclose']) {
      this.#ws.onclose = fn;
    }

    addEventListener(...args: Parameters<WsWebSocket['addEventListener']>): void {
      this.#ws.addEventListener(...args);
    }
    removeEventListener(...args: Parameters<WsWebSocket['removeEventListener']>): void {
      this.#ws.removeEventListener(...args);
    }
    send(data: Parameters<WsWebSocket['send']>[0]): void {
      this.#ws.send(data);
    }

    /**
     * `close()` as a browser has it: a code other than 1000 or 3000–4999 (or a reason over
     * 123 UTF-8 bytes) throws, even on a socket that is already closing. `ws` accepts any
     * protocol code and returns quietly instead, and the core depends on the throw: its
     * WebSocket library (github.com/coder/websocket, ws_js.go) answers every 'error' event
     * with close(1011) and then waits for the 'close' event unless close() threw. That
     * wait happens inside the JS → Go callback, so the 'close' event could never be
     * delivered and the core's thread spun forever (a refused dial was enough).
     * Unlike a browser's, the socket is still closed when close() throws, so a connection
     * the core gave up on (dial timeout, CloseNow) does not linger on the IM server.
     */
    close(code?: number, reason?: string): void {
      const checked = browserClose(code, reason);
      if (!checked.error) {
        this.#ws.close(checked.code, reason);
        return;
      }
      try {
        this.#ws.close(checked.code, reason);
      } catch {
        this.#ws.close();
      }
      throw checked.error;
    }
  }

  const trackedFetch = (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const signal = init?.signal ? AbortSignal.any([init.signal, aborter.signal]) : aborter.signal;
    return fetch(input, { ...init, signal });
  };

  const log =
    (fd: 1 | 2) =>
    (...parts: unknown[]): void =>
      opts.output(fd, `${parts.map((p) => (typeof p === 'string' ? p : safeInspect(p))).join(' ')}\n`);
  const consoleForCore = { log: log(1), info: log(1), debug: log(1), warn: log(2), error: log(2), trace: log(2) };

  const hostGlobals: Record<string, unknown> = {
    process: makeProcess(),
    fs: makeFs(opts.output),
    WebSocket: CoreWebSocket,
    setTimeout: trackedSetTimeout,
    clearTimeout: trackedClearTimeout,
    setInterval: trackedSetInterval,
    clearInterval: trackedClearInterval,
    fetch: trackedFetch,
    console: consoleForCore,
    ...opts.globals,
  };
  const scope = Object.create(globalThis) as Record<string, unknown>;
  // Code that looks for the global object by name must find this scope, not the worker's.
  // (No `window`/`self`: libraries would take the core for a browser page.)
  hostGlobals.globalThis = scope;
  // defineProperty, not assignment: several of Node's globals (process, crypto, fetch...)
  // are accessors, and assigning through the prototype chain would call their setters and
  // replace the worker's real global for everyone.
  for (const [name, value] of Object.entries(hostGlobals)) {
    Object.defineProperty(scope, name, { value, writable: true, configurable: true, enumerable: true });
  }

  return {
    scope,
    hostNames: new Set(Object.keys(hostGlobals)),
    get openSockets() {
      return sockets.size;
    },
    teardown() {
      if (tornDown) return;
      tornDown = true;
      for (const t of timers) clearTimeout(t);
      for (const t of intervals) clearInterval(t);
      timers.clear();
      intervals.clear();
      aborter.abort(new Error('core has exited'));
      for (const ws of sockets) ws.terminate();
      sockets.clear();
    },
  };
}

/**
 * A browser's checks in `WebSocket.close(code, reason)`: the code as WebIDL converts it
 * ([Clamp] unsigned short) and the exception the browser throws, if any.
 */
function browserClose(code: unknown, reason: unknown): { code?: number; error?: DOMException } {
  let c: number | undefined;
  if (code !== undefined) {
    const n = Number(code);
    c = Number.isNaN(n) ? 0 : Math.min(65535, Math.max(0, Math.round(n)));
    if (c !== 1000 && (c < 3000 || c > 4999)) {
      const message = `Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${c} is neither.`;
      return { code: c, error: new DOMException(message, 'InvalidAccessError') };
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- WebIDL converts the reason with ToString, as a browser does
  if (reason !== undefined && Buffer.byteLength(String(reason)) > 123) {
    const message = "Failed to execute 'close' on 'WebSocket': The close reason must not be greater than 123 UTF-8 bytes.";
    return { code: c, error: new DOMException(message, 'SyntaxError') };
  }
  return { code: c };
}

function safeInspect(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
