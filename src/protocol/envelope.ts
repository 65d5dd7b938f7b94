/**
 * The wire envelopes: parsing a client's request frame, building the response.
 */
import { protocolError, type ErrorName, type ProtocolError } from './error-codes.ts';
import { CLIENT_EVENTS } from './events.ts';
import { JsonBudget, parseBoundedJson } from './json-guard.ts';
import { LIMITS } from '../limits.ts';

/** Server → client, for responses and listener events alike. */
export interface ClientEnvelope {
  event: string;
  errCode: number;
  errMsg: string;
  /** Always a string: JSON text of the result, a raw string for some events, or "". */
  data: string;
  operationID: string;
}

/** A request as the gateway uses it. The frame's `userID` is deliberately not here: the user is who the handshake proved. */
export interface ClientRequest {
  reqFuncName: string;
  operationID: string;
  /** The positional parameters, decoded from the frame's `data` text. */
  data: unknown[];
}

/** A frame that is not a usable request, with what could be read of it so the error can be addressed. */
export interface FrameError extends ProtocolError {
  /** "" when the frame had no usable reqFuncName. */
  readonly reqFuncName: string;
  /** "" when the frame had no usable operationID: the client then cannot match the error. */
  readonly operationID: string;
}

/**
 * Response event for a frame whose name cannot be echoed. Not a client CbEvents name, not
 * InitSDK/Login/Logout, so the client settles the request by operationID and nothing else.
 */
export const FALLBACK_RESPONSE_EVENT = 'Error';

/**
 * Decodes one inbound text frame (binary frames are decoded to text by the caller).
 * `data` absent or "" means no parameters, as some clients omit it for parameterless calls.
 * The frame and its `data` are charged to `budget` (the request's) and refused past its
 * limits before they are parsed.
 */
export function parseRequestFrame(frame: string, budget: JsonBudget = new JsonBudget()): ClientRequest | FrameError {
  // Strings of the frame are not bounded on their own: `data`, the only one that matters,
  // is a JSON text scanned next, and the frame's size is bounded by the socket.
  const decoded = parseBoundedJson(frame, budget, 'request frame', Number.POSITIVE_INFINITY);
  if (!decoded.ok) {
    if ('limit' in decoded) return frameError('LimitExceeded', decoded.limit.message, '', '');
    return frameError('InvalidFrame', `request frame is not valid JSON: ${decoded.syntax}`, '', '');
  }
  const parsed = decoded.value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return frameError('InvalidFrame', `request frame must be a JSON object, got ${kindOf(parsed)}`, '', '');
  }
  const frameObj = parsed as Record<string, unknown>;
  const { reqFuncName, operationID, data } = frameObj;
  // Keep what is usable so that the error still reaches the right pending request; names
  // past their limits are not echoed (no client sends them, and they would fill logs).
  const name = typeof reqFuncName === 'string' && reqFuncName.length <= LIMITS.reqFuncNameLength ? reqFuncName : '';
  const opID = typeof operationID === 'string' && operationID.length <= LIMITS.operationIdLength ? operationID : '';

  if (typeof reqFuncName !== 'string' || reqFuncName === '') {
    const got = typeof reqFuncName === 'string' ? 'an empty string' : kindOf(reqFuncName);
    return frameError('InvalidEnvelope', `request reqFuncName must be a non-empty string, got ${got}`, name, opID);
  }
  if (name === '') {
    return frameError('InvalidEnvelope', `request reqFuncName is longer than ${LIMITS.reqFuncNameLength} characters`, '', opID);
  }
  if (typeof operationID !== 'string') {
    return frameError('InvalidEnvelope', `${reqFuncName}: request operationID must be a string, got ${kindOf(operationID)}`, name, opID);
  }
  if (opID === '' && operationID !== '') {
    return frameError('InvalidEnvelope', `${reqFuncName}: request operationID is longer than ${LIMITS.operationIdLength} characters`, name, '');
  }
  const params = decodeData(data, budget);
  if (typeof params === 'object' && !Array.isArray(params)) {
    return frameError('LimitExceeded', `${reqFuncName}: ${params.limit}`, name, opID);
  }
  if (typeof params === 'string') {
    return frameError('InvalidEnvelope', `${reqFuncName}: request data ${params}`, name, opID);
  }
  return { reqFuncName, operationID, data: params };
}

/** The array in `data`, what is wrong with it, or the limit it is over. */
function decodeData(data: unknown, budget: JsonBudget): unknown[] | string | { limit: string } {
  if (data === undefined || data === '') return [];
  if (typeof data !== 'string') return `must be JSON text of an array, got ${kindOf(data)}`;
  const decoded = parseBoundedJson(data, budget, 'request data');
  if (!decoded.ok) return 'limit' in decoded ? { limit: decoded.limit.message } : `is not valid JSON: ${decoded.syntax}`;
  const value = decoded.value;
  if (!Array.isArray(value)) return `must be JSON text of an array, got JSON text of ${kindOf(value)}`;
  const items: unknown[] = value;
  return items;
}

function frameError(name: ErrorName, errMsg: string, reqFuncName: string, operationID: string): FrameError {
  return { ...protocolError(name, errMsg), reqFuncName, operationID };
}

/**
 * The `event` of a response: the request's name (clients match it with the request), unless the client would act on that
 * name instead of settling the request — a CbEvents name would be emitted to listeners (and
 * OnKickedOffline would close the socket), InitSDK is swallowed.
 */
export function responseEvent(reqFuncName: string): string {
  if (reqFuncName === '' || reqFuncName === 'InitSDK' || CLIENT_EVENTS.has(reqFuncName)) return FALLBACK_RESPONSE_EVENT;
  return reqFuncName;
}

/** The response to a request: `data` on success, errCode/errMsg otherwise. */
export function buildResponse(
  request: { readonly reqFuncName: string; readonly operationID: string },
  outcome: { readonly data: string } | ProtocolError,
): ClientEnvelope {
  // One literal per branch (no spreads): this runs once per reply.
  if ('data' in outcome) {
    return { event: responseEvent(request.reqFuncName), errCode: 0, errMsg: '', data: outcome.data, operationID: request.operationID };
  }
  return {
    event: responseEvent(request.reqFuncName),
    errCode: outcome.errCode,
    errMsg: outcome.errMsg,
    data: '',
    operationID: request.operationID,
  };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
