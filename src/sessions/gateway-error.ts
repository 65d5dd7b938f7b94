/**
 * An error answered to the client as `{errCode, errMsg}`. Every code comes from the
 * protocol's error table; this class only carries one to the response writer.
 */
import type { CoreCallError } from '../../core-wasm/call-result.ts';
import { ERROR_CODES, errorForCoreFailure, type ProtocolError } from '../protocol/error-codes.ts';

export class GatewayError extends Error {
  readonly errCode: number;
  readonly errMsg: string;
  /** For the operator's log only (e.g. the core's raw error text). */
  readonly detail: string | undefined;

  constructor(errCode: number, errMsg: string, detail?: string) {
    super(errMsg);
    this.name = 'GatewayError';
    this.errCode = errCode;
    this.errMsg = errMsg;
    this.detail = detail;
  }

  static fromCore(err: CoreCallError): GatewayError {
    return GatewayError.from(errorForCoreFailure(err));
  }

  static from(e: ProtocolError): GatewayError {
    return new GatewayError(e.errCode, e.errMsg, e.detail);
  }

  static notLoggedIn(fn: string): GatewayError {
    return new GatewayError(ERROR_CODES.ResourceLoadNotComplete.code, `${fn} needs a logged-in session: send Login first`);
  }

  static sessionClosed(): GatewayError {
    return new GatewayError(ERROR_CODES.ResourceLoadNotComplete.code, 'this session has logged out or is closing; reconnect and log in again');
  }

  static internal(message: string): GatewayError {
    return new GatewayError(ERROR_CODES.SdkInternalError.code, message);
  }
}
