/**
 * Every errCode the gateway itself puts in a response, in one table.
 *
 * Codes a client can already get from the core keep the core's sdkerrs numbers (docs/client-protocol.md#error-codes),
 * so a client sees the same number whether the core or the gateway noticed the problem.
 * Problems the core has no word for (frames that are not requests, names nobody serves,
 * capacity) use 20000+: oimws answered protocol errors with 20000, and that range collides
 * with neither sdkerrs (10000–10499), the IM server (≤ 1801) nor the wasm glue (100, 200).
 * Clients only test `errCode !== 0`, so the exact numbers are for people reading logs.
 */
import { CoreCallError, type CallFailureKind } from '../../core-wasm/call-result.ts';
import { normalizeCoreRejection } from './core-rejection.ts';

export interface ErrorCodeInfo {
  readonly code: number;
  /** Where the number comes from: the core's sdkerrs list, or chosen by this gateway. */
  readonly origin: 'sdkerrs' | 'gateway';
  readonly meaning: string;
}

export const ERROR_CODES = {
  ArgsError: { code: 10002, origin: 'sdkerrs', meaning: 'a request argument is missing or has the wrong type or shape' },
  ResourceLoadNotComplete: {
    code: 10004,
    origin: 'sdkerrs',
    meaning: 'the session is not logged in (yet), so the core cannot serve the request',
  },
  Unknown: { code: 10005, origin: 'sdkerrs', meaning: 'the core failed without a usable error code' },
  SdkInternalError: {
    code: 10006,
    origin: 'sdkerrs',
    meaning: 'the core could not answer: it exited, was lost with its worker, or answered in an unexpected shape',
  },
  LoginRepeat: { code: 10102, origin: 'sdkerrs', meaning: 'login while this connection is already logged in' },
  InvalidFrame: { code: 20000, origin: 'gateway', meaning: 'the frame is not a JSON object' },
  InvalidEnvelope: {
    code: 20001,
    origin: 'gateway',
    meaning: 'reqFuncName, operationID or data is missing or has the wrong type',
  },
  UnknownFunction: {
    code: 20002,
    origin: 'gateway',
    meaning: 'no such request: not a client API this server serves and not a function of the loaded core',
  },
  ServerBusy: { code: 20003, origin: 'gateway', meaning: 'no room for another core on this server; retry later' },
  ServerClosing: { code: 20004, origin: 'gateway', meaning: 'the server is shutting down' },
  TooManyRequests: {
    code: 20005,
    origin: 'gateway',
    meaning: 'too many requests of this socket are still unanswered; wait for some answers',
  },
  LimitExceeded: {
    code: 20006,
    origin: 'gateway',
    meaning: 'the request is beyond a limit of the gateway (nesting depth, values, entries or string length); the message names it',
  },
  GatewayInternalError: {
    code: 20007,
    origin: 'gateway',
    meaning: 'the gateway failed unexpectedly on this request (a bug, logged with its operationID); the socket and every other session go on',
  },
  ClusterUnavailable: {
    code: 20008,
    origin: 'gateway',
    meaning:
      "several nodes: this node cannot reach the cluster's session directory (Redis) or has lost its lease, so it may not log anyone in; the socket is closed 4001 and the client reconnects",
  },
  SessionMoved: {
    code: 20009,
    origin: 'gateway',
    meaning:
      'several nodes: another node holds this user+platform and did not let go in time, or took it over meanwhile; the socket is closed 1012 and the client reconnects',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorName = keyof typeof ERROR_CODES;

/** A failure to put in a response instead of `data`. `kind` tells it apart from plans and results. */
export interface ProtocolError {
  readonly kind: 'error';
  readonly errCode: number;
  readonly errMsg: string;
  /** More than the client is told (e.g. the core's raw error with its Go stack), for logs only. */
  readonly detail?: string;
}

export function protocolError(name: ErrorName, errMsg: string): ProtocolError {
  return { kind: 'error', errCode: ERROR_CODES[name].code, errMsg };
}

export function isProtocolError(value: unknown): value is ProtocolError {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'error';
}

/**
 * How each pool/core failure reaches the client. Typed over every CallFailureKind so a new
 * kind cannot be added without deciding what clients see.
 */
const CORE_FAILURES: { readonly [K in CallFailureKind]: (err: CoreCallError) => ProtocolError } = {
  'core-error': (err) => {
    // The core's own code, or the one it wrapped (see core-rejection.ts), without its Go
    // stack. Rejections without a numeric code are not the core's protocol.
    if (err.errCode !== undefined && Number.isSafeInteger(err.errCode)) {
      return { kind: 'error', ...normalizeCoreRejection(err.errCode, err.errMsg ?? '') };
    }
    return protocolError('Unknown', err.errMsg ?? err.message);
  },
  'invalid-arguments': (err) => protocolError('ArgsError', err.message),
  'unknown-function': (err) => protocolError('UnknownFunction', err.message),
  'core-exited': () => protocolError('SdkInternalError', 'the IM core of this session has exited; log in again'),
  'core-lost': () => protocolError('SdkInternalError', 'the IM core of this session was lost with its worker; log in again'),
  'pool-full': () => protocolError('ServerBusy', 'the server has no room for another IM core; retry later'),
  'pool-closed': () => protocolError('ServerClosing', 'the server is shutting down'),
};

/**
 * What to tell the client about a failed core call. Anything that is not a CoreCallError is
 * a bug on our side, reported as an internal error (the caller logs the original).
 */
export function errorForCoreFailure(err: unknown): ProtocolError {
  if (err instanceof CoreCallError) return CORE_FAILURES[err.kind](err);
  return protocolError('SdkInternalError', 'internal error while calling the IM core');
}
