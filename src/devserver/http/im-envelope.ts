/** The API's response envelope (docs/im-server.md#http-envelope). */
import type { ErrorFields } from '../protocol/im-error-codes.ts';

/** `data` is left out when the response message has no fields, as the real server does. */
export function successEnvelope(data: unknown): string {
  const base = { errCode: 0, errMsg: '', errDlt: '' };
  return JSON.stringify(data === undefined || data === null ? base : { ...base, data });
}

export function errorEnvelope(fields: ErrorFields): string {
  return JSON.stringify({ errCode: fields.errCode, errMsg: fields.errMsg, errDlt: fields.errDlt });
}
