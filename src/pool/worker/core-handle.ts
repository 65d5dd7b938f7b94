/**
 * Main-thread handle of one core living in a worker. Calls go over the core's own
 * MessagePort with comlink; events and the core's exit come back on the same port.
 * Comlink cannot notice a dead peer, so the handle keeps its own list of calls in flight
 * and fails them itself when the core or its worker goes away.
 */
import type { MessagePort } from 'node:worker_threads';
import { wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { CoreCallError, type CallFailure, type CoreExitReason, type CoreValue } from '../../../core-wasm/call-result.ts';
import { isCoreNotice, type CoreApi } from './protocol.ts';

export interface CoreEnd {
  reason: CoreExitReason;
  code?: number;
  message: string;
}

export interface CoreHandlers {
  /** A listener event, as the JSON text the core emitted. */
  onEvent?(json: string): void;
  /** The core is gone (its own exit, its worker's loss, or dispose). Called once. */
  onEnd?(end: CoreEnd): void;
}

export class CoreHandle {
  readonly id: string;
  readonly userID: string;
  readonly platformID: number;
  readonly workerId: number;
  #port: MessagePort;
  #remote: Remote<CoreApi>;
  /**
   * comlink builds a fresh Proxy (with a finalizer) on every property access; the call
   * path is hot, so its method proxy is taken once.
   */
  #remoteCall: Remote<CoreApi>['call'];
  #handlers: CoreHandlers;
  #failPending = new Set<(failure: CallFailure) => void>();
  #end: CoreEnd | undefined;
  #onEnded: (core: CoreHandle) => void;
  #markEnded!: () => void;
  readonly #ended = new Promise<void>((resolve) => {
    this.#markEnded = resolve;
  });

  /** @internal created by CorePool */
  constructor(
    init: { id: string; userID: string; platformID: number; workerId: number; port: MessagePort },
    handlers: CoreHandlers,
    onEnded: (core: CoreHandle) => void,
  ) {
    this.id = init.id;
    this.userID = init.userID;
    this.platformID = init.platformID;
    this.workerId = init.workerId;
    this.#port = init.port;
    this.#handlers = handlers;
    this.#onEnded = onEnded;
    this.#remote = wrap<CoreApi>(nodeEndpoint(init.port));
    this.#remoteCall = this.#remote.call;
    init.port.on('message', (data: unknown) => {
      if (!isCoreNotice(data)) return;
      if (data.type === 'core-event') this.#handlers.onEvent?.(data.json);
      else this.end({ ...data.info });
    });
  }

  get ended(): CoreEnd | undefined {
    return this.#end;
  }

  /**
   * Calls core function `fn` (its JS global name) with operationID and arguments.
   * Resolves with the core's answer; rejects with CoreCallError for every failure.
   */
  call(fn: string, operationID: string, args: unknown[] = []): Promise<CoreValue> {
    if (this.#end) return Promise.reject(new CoreCallError(this.#endFailure(fn)));
    return new Promise<CoreValue>((resolve, reject) => {
      const fail = (failure: CallFailure): void => {
        this.#failPending.delete(fail);
        reject(new CoreCallError(failure));
      };
      this.#failPending.add(fail);
      this.#remoteCall(fn, operationID, args).then(
        (result) => {
          if (!this.#failPending.delete(fail)) return;
          if (result.ok) resolve(result.value);
          else reject(new CoreCallError(result.error));
        },
        (err: unknown) => fail({ kind: 'core-error', message: `call ${fn} on ${this.#name()} failed in transit: ${String(err)}` }),
      );
    });
  }

  /** Memory and activity of the core, read from its worker. */
  async stats(): Promise<{ memoryBytes: number; inFlight: number; openSockets: number }> {
    if (this.#end) throw new CoreCallError(this.#endFailure('stats'));
    return this.#remote.stats();
  }

  /** Ends the core (no logout: callers log out first if they want one). Idempotent. */
  async dispose(): Promise<void> {
    if (this.#end) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // Whichever comes first: comlink's answer, the core's exit notice (it can overtake
      // that answer and closes the port), or a bound for a worker that no longer answers.
      await Promise.race([
        this.#remote.dispose(),
        this.#ended,
        new Promise((r) => {
          timer = setTimeout(r, 1000);
        }),
      ]);
    } catch {
      // The port may already be closed by a worker that died meanwhile; the end stands.
    } finally {
      clearTimeout(timer);
    }
    this.end({ reason: 'disposed', message: `core ${this.#name()} was disposed` });
  }

  /** @internal Marks the core over: fails calls in flight, closes the port, notifies. */
  end(end: CoreEnd): void {
    if (this.#end) return;
    this.#end = end;
    this.#markEnded();
    const failure = this.#endFailure('the call');
    for (const fail of [...this.#failPending]) fail(failure);
    this.#port.close();
    // comlink's finalizer registry keeps the port alive, and the port's listener would keep
    // this handle (and its session) alive with it: cut that link.
    this.#port.removeAllListeners();
    this.#onEnded(this);
    this.#handlers.onEnd?.(end);
  }

  #name(): string {
    return `${this.userID}/${this.platformID}`;
  }

  #endFailure(fn: string): CallFailure {
    const end = this.#end;
    const lost = end?.reason === 'hang' || (end?.reason === 'exit' && end.code === undefined);
    return {
      kind: lost ? 'core-lost' : 'core-exited',
      message: `core ${this.#name()} cannot answer ${fn}: ${end?.message ?? 'it has ended'}`,
    };
  }
}
