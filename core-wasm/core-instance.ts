/**
 * One user's core: a Go wasm program in its own scope, with its calls, its events and
 * its death kept to itself.
 */
import type { Logger } from 'pino';
import { GoHost, type GoExitCause } from './host/go-host.ts';
import { createCoreScope, type CoreScope } from './host/core-scope.ts';
import { OutputLines } from './output-lines.ts';
import { redactTokens } from './redact-tokens.ts';
import { HOST_ONLY_FUNCTIONS, SYNC_FUNCTIONS, checkSyncArguments } from './core-functions.ts';
import type { CallFailure, CallResult, CoreExitInfo, CoreValue } from './call-result.ts';
import type { GoAbi } from './wasm-binary.ts';
import { errorText } from '../src/shared/error-text.ts';

export interface CoreInstanceOptions {
  module: WebAssembly.Module;
  abi: GoAbi;
  /** Names the core in errors and logs, e.g. `alice/5`. */
  name: string;
  logger: Logger;
  /** Per-core globals (storage bridge functions). */
  globals?: Readonly<Record<string, unknown>>;
  /** Each listener event, as the JSON text the core produced. */
  onEvent?(json: string): void;
  /** Called once when the core ends for any reason. */
  onExit?(info: CoreExitInfo): void;
  /** A line of output matching this is taken as the core's version (first match wins). */
  versionPattern?: RegExp;
  /** Go's GOGC for this core (default DEFAULT_CORE_GOGC). */
  gcPercent?: number;
}

/**
 * GOGC for cores. A core lets go of the JavaScript values it was handed (promises,
 * callbacks, argument strings) only when its Go GC runs, so Go's default of 100 lets them
 * pile up in V8's heap between collections. Measured with 10 cores under a stream of
 * getLoginStatus calls: at 50 the official core holds 2.7× fewer values (89 000 vs
 * 238 000) and grows its linear memory to 24 instead of 29 MiB, at the same call rate.
 */
export const DEFAULT_CORE_GOGC = 50;

const DEFAULT_VERSION_PATTERN = /\bv\d+\.\d+\.\d+[\w.+-]*/;

interface PendingCall {
  settle(result: CallResult): void;
}

export class CoreInstance {
  readonly name: string;
  #go: GoHost;
  #scope: CoreScope;
  #opts: CoreInstanceOptions;
  #pending = new Set<PendingCall>();
  /** First line of a Go crash report (`panic: …`, `fatal error: …`), for the exit message. */
  #crashHeadline: string | undefined;
  #sawOutOfMemory = false;
  #lastStderrLine: string | undefined;
  #stdout: OutputLines;
  #stderr: OutputLines;
  #exitInfo: CoreExitInfo | undefined;
  #version: string | undefined;
  #exitWaiters: Array<(info: CoreExitInfo) => void> = [];

  private constructor(opts: CoreInstanceOptions) {
    this.name = opts.name;
    this.#opts = opts;
    const log = opts.logger;
    const versionPattern = opts.versionPattern ?? DEFAULT_VERSION_PATTERN;
    this.#stdout = new OutputLines((line) => {
      if (this.#version === undefined) this.#version = versionPattern.exec(line)?.[0];
      log.info({ stream: 'stdout' }, redactTokens(line));
    });
    this.#stderr = new OutputLines((line) => {
      if (/out of memory/i.test(line)) this.#sawOutOfMemory = true;
      if (this.#crashHeadline === undefined && /^(panic|fatal error):/.test(line)) this.#crashHeadline = redactTokens(line);
      if (line.trim()) this.#lastStderrLine = redactTokens(line);
      log.warn({ stream: 'stderr' }, redactTokens(line));
    });
    this.#scope = createCoreScope({
      output: (fd, text) => (fd === 1 ? this.#stdout : this.#stderr).push(text),
      globals: opts.globals,
    });
    const decoder = new TextDecoder();
    this.#go = new GoHost({
      scope: this.#scope.scope,
      env: { GOGC: String(opts.gcPercent ?? DEFAULT_CORE_GOGC) },
      write: (fd, bytes) => (fd === 1 ? this.#stdout : this.#stderr).push(decoder.decode(bytes)),
      onExit: (cause) => this.#onExit(cause),
    });
  }

  /** Instantiates the core and runs it until it has registered its API. */
  static async start(opts: CoreInstanceOptions): Promise<CoreInstance> {
    const core = new CoreInstance(opts);
    await core.#go.start(opts.module, opts.abi);
    if (core.#exitInfo) throw new Error(`core ${core.name} exited during start: ${core.#exitInfo.message}`);
    const register = core.#scope.scope.commonEventFunc;
    if (typeof register === 'function') {
      // The core registers `commonEventFunc(listener)`: it calls the listener with each event's JSON.
      (register as (listener: (json: unknown) => void) => void)((json: unknown) => {
        // Runs inside a Go callback: an exception here would crash the core.
        try {
          if (typeof json === 'string') opts.onEvent?.(json);
        } catch (err) {
          opts.logger.error({ err }, 'core event handler failed');
        }
      });
    }
    return core;
  }

  get exitInfo(): CoreExitInfo | undefined {
    return this.#exitInfo;
  }

  get version(): string | undefined {
    return this.#version;
  }

  get memoryBytes(): number {
    return this.#go.memoryBytes;
  }

  /** JavaScript values the core's Go code still references (see GoHost.heldValues). */
  get heldValues(): number {
    return this.#go.heldValues;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  get openSockets(): number {
    return this.#scope.openSockets;
  }

  /** Resolves when the core has ended (immediately if it already has). */
  exited(): Promise<CoreExitInfo> {
    if (this.#exitInfo) return Promise.resolve(this.#exitInfo);
    return new Promise((resolve) => this.#exitWaiters.push(resolve));
  }

  /** Names of the API functions this core registered. */
  functionNames(): string[] {
    return Object.keys(this.#scope.scope).filter((k) => this.#callable(k) !== undefined);
  }

  #callable(fn: string): ((...args: unknown[]) => unknown) | undefined {
    if (HOST_ONLY_FUNCTIONS.has(fn) || this.#scope.hostNames.has(fn)) return undefined;
    if (!Object.hasOwn(this.#scope.scope, fn)) return undefined;
    const f = this.#scope.scope[fn];
    return typeof f === 'function' ? (f as (...args: unknown[]) => unknown) : undefined;
  }

  /**
   * Calls core global `fn` with `operationID` then `args`. Never throws and never hangs
   * past the core's death: every outcome is a CallResult.
   */
  call(fn: string, operationID: string, args: readonly unknown[]): Promise<CallResult> {
    if (this.#exitInfo) return Promise.resolve(this.#exitedFailure(fn));
    const f = this.#callable(fn);
    if (!f) {
      return Promise.resolve(fail('unknown-function', `core ${this.name} has no function ${JSON.stringify(fn)}`));
    }
    const sync = SYNC_FUNCTIONS[fn];
    if (sync) {
      const problem = checkSyncArguments(fn, sync, args);
      if (problem) return Promise.resolve(fail('invalid-arguments', problem));
    }
    let returned: unknown;
    try {
      returned = f(operationID, ...args);
    } catch (err) {
      return Promise.resolve(fail('core-error', `core ${this.name} ${fn} threw: ${errorText(err)}`));
    }
    // A sync-style function that crashed the core returns nothing; say why.
    if (this.#exitInfo) return Promise.resolve(this.#exitedFailure(fn));
    if (!isThenable(returned)) return Promise.resolve({ ok: true, value: toCoreValue(returned) });
    return new Promise<CallResult>((resolve) => {
      const pending: PendingCall = {
        settle: (result) => {
          if (!this.#pending.delete(pending)) return;
          resolve(result);
        },
      };
      this.#pending.add(pending);
      returned.then(
        (value) => pending.settle({ ok: true, value: toCoreValue(value) }),
        (reason) => pending.settle(rejection(this.name, fn, reason)),
      );
    });
  }

  /** Ends the core now: timers, sockets and fetches go with it; later calls fail fast. */
  dispose(): void {
    this.#go.dispose();
  }

  #exitedFailure(fn: string): CallResult {
    const info = this.#exitInfo;
    return fail('core-exited', `core ${this.name} cannot answer ${fn}: ${info?.message ?? 'it has exited'}`);
  }

  #onExit(cause: GoExitCause): void {
    this.#stdout.flush();
    this.#stderr.flush();
    this.#scope.teardown();
    const info = classifyExit(this.name, cause, {
      oom: this.#sawOutOfMemory,
      headline: this.#crashHeadline ?? this.#lastStderrLine,
    });
    this.#exitInfo = info;
    const log = this.#opts.logger;
    if (info.reason === 'disposed') log.debug({ reason: info.reason }, info.message);
    else log.error({ reason: info.reason, code: info.code }, info.message);
    for (const p of [...this.#pending]) p.settle(this.#exitedFailure('the call'));
    // Go may have stopped in the middle of a call that is still unwinding; notify after it.
    queueMicrotask(() => {
      this.#opts.onExit?.(info);
      for (const w of this.#exitWaiters.splice(0)) w(info);
    });
  }
}

function fail(kind: CallFailure['kind'], message: string, extra?: Partial<CallFailure>): CallResult {
  return { ok: false, error: { kind, message, ...extra } };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** The core rejects with `{errCode, errMsg, operationID}`; anything else is reported as is. */
function rejection(core: string, fn: string, reason: unknown): CallResult {
  if (typeof reason === 'object' && reason !== null && 'errCode' in reason) {
    const { errCode, errMsg } = reason as { errCode: unknown; errMsg: unknown };
    const code = Number(errCode);
    const msg = typeof errMsg === 'string' ? errMsg : errMsg === undefined || errMsg === null ? '' : errorText(errMsg);
    return fail('core-error', `core ${core} ${fn} failed: ${code} ${msg}`, { errCode: code, errMsg: msg });
  }
  return fail('core-error', `core ${core} ${fn} failed: ${errorText(reason)}`);
}

/** Keeps results clone-safe: primitives and arrays pass, anything else becomes JSON text. */
function toCoreValue(v: unknown): CoreValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(toCoreValue);
  try {
    return JSON.stringify(v) ?? null;
  } catch {
    // A value JSON cannot hold (a BigInt, a cycle): its text is the best we can pass on.
    return errorText(v);
  }
}

function classifyExit(name: string, cause: GoExitCause, stderr: { oom: boolean; headline: string | undefined }): CoreExitInfo {
  if (cause.kind === 'disposed') return { reason: 'disposed', message: `core ${name} was disposed` };
  if (cause.kind === 'trap') {
    const oom = stderr.oom || /memory/i.test(cause.error.message);
    return {
      reason: oom ? 'oom' : 'panic',
      message: `core ${name} crashed (${oom ? 'out of memory' : 'wasm trap'}): ${cause.error.message}`,
    };
  }
  if (cause.code === 0) return { reason: 'exit', code: 0, message: `core ${name} exited with code 0` };
  const reason = stderr.oom ? 'oom' : 'panic';
  const detail = stderr.headline ?? 'no output';
  return { reason, code: cause.code, message: `core ${name} exited with code ${cause.code} (${reason}): ${detail}` };
}
