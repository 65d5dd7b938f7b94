/**
 * Shapes that cross the thread boundary between the pool (main thread) and a core
 * (worker). Plain data only: they travel by structured clone, and thrown Errors would
 * lose their fields on the way.
 */

/** What a core call can resolve with: JSON text, a sync-style result array, a boolean... */
export type CoreValue = string | number | boolean | null | CoreValue[];

/** Every way a call can fail without the core answering it, in one place. */
export const CALL_FAILURES = {
  /** The core itself rejected the call: `errCode`/`errMsg` are the core's own. */
  'core-error': 'the core rejected the call',
  /** The loaded core build has no such function (or it is host plumbing). */
  'unknown-function': 'the core has no such function',
  /** Arguments that would crash a sync-style function were refused before the call. */
  'invalid-arguments': 'invalid arguments',
  /** The core exited (panic, out of memory, disposed) before or while answering. */
  'core-exited': 'the core has exited',
  /** The worker holding the core died or hung; the core is gone with it. */
  'core-lost': 'the core was lost with its worker',
  /** Every worker already holds `coresPerWorker` cores. */
  'pool-full': 'no room for another core',
  /** The pool is shutting down. */
  'pool-closed': 'the pool is closed',
} as const;

export type CallFailureKind = keyof typeof CALL_FAILURES;

export interface CallFailure {
  kind: CallFailureKind;
  /** Human-readable, names the core and the function. */
  message: string;
  /** Present for `core-error`. */
  errCode?: number;
  errMsg?: string;
}

export type CallResult = { ok: true; value: CoreValue } | { ok: false; error: CallFailure };

/** Why a core ended. `hang` and worker-level `exit` are decided by the pool. */
export type CoreExitReason = 'exit' | 'panic' | 'oom' | 'hang' | 'disposed';

export interface CoreExitInfo {
  reason: CoreExitReason;
  /** Go exit code when the program exited itself. */
  code?: number;
  message: string;
}

/** Error type a core's handle (and the pool, starting one) throws; `kind` says which of CALL_FAILURES it is. */
export class CoreCallError extends Error {
  readonly kind: CallFailureKind;
  readonly errCode: number | undefined;
  readonly errMsg: string | undefined;

  constructor(failure: CallFailure) {
    super(failure.message);
    this.name = 'CoreCallError';
    this.kind = failure.kind;
    this.errCode = failure.errCode;
    this.errMsg = failure.errMsg;
  }
}
