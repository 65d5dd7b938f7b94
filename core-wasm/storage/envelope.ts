/**
 * The JSON text every storage Promise resolves with: `{"errCode","errMsg","data"}`.
 *
 * `data` must have the JS type the Go side asserts: object and list results are a JSON
 * *string* (double-encoded), counts a number, flags a boolean. Go's `data.(string)` on
 * anything else fails the call with "from javascript data type err".
 */
import { STORAGE_ERR } from './errors.ts';

/** What a function hands back; the wrapper turns it into the envelope. */
export type ReturnKind = 'obj' | 'list' | 'ids' | 'num' | 'bool' | 'void' | 'bytes';

/** The success envelope prefix, built once. */
const OK_PREFIX = '{"errCode":0,"errMsg":"","data":';

export const VOID_OK = `${OK_PREFIX}""}`;

/** `text` is JSON already (an object or array); it travels as a string inside the envelope. */
export function okJsonText(text: string): string {
  return `${OK_PREFIX}${JSON.stringify(text)}}`;
}

export function okNumber(n: number): string {
  // A NaN or missing SUM would serialise as null and fail Go's float64 assertion.
  return `${OK_PREFIX}${Number.isFinite(n) ? n : 0}}`;
}

export function okBoolean(b: boolean): string {
  return `${OK_PREFIX}${b ? 'true' : 'false'}}`;
}

export function failure(errCode: number, errMsg: string): string {
  return JSON.stringify({ errCode, errMsg, data: '' });
}

export function notFound(fn: string): string {
  return failure(STORAGE_ERR.notFound, `${fn}: record not found`);
}
