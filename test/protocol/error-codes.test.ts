import { describe, expect, it } from 'vitest';

import { CALL_FAILURES, CoreCallError, type CallFailureKind } from '../../core-wasm/call-result.ts';
import { ERROR_CODES, errorForCoreFailure, isProtocolError, protocolError } from '../../src/protocol/error-codes.ts';

const failure = (kind: CallFailureKind, extra: { errCode?: number; errMsg?: string } = {}): CoreCallError =>
  new CoreCallError({ kind, message: `core alice/5 fn: ${kind}`, ...extra });

describe('ERROR_CODES', () => {
  it('gives every entry its own code', () => {
    const codes = Object.values(ERROR_CODES).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('keeps the core sdkerrs numbers the client already knows', () => {
    expect(ERROR_CODES.ArgsError.code).toBe(10002);
    expect(ERROR_CODES.ResourceLoadNotComplete.code).toBe(10004);
    expect(ERROR_CODES.Unknown.code).toBe(10005);
    expect(ERROR_CODES.SdkInternalError.code).toBe(10006);
    expect(ERROR_CODES.LoginRepeat.code).toBe(10102);
  });

  it('puts gateway-only codes outside the core, IM-server and glue ranges', () => {
    for (const info of Object.values(ERROR_CODES)) {
      if (info.origin === 'gateway') expect(info.code).toBeGreaterThanOrEqual(20000);
      else expect(info.code).toBeGreaterThanOrEqual(10000);
      expect(info.meaning).not.toBe('');
    }
  });
});

describe('protocolError', () => {
  it('builds a tagged error', () => {
    const err = protocolError('UnknownFunction', 'nope');
    expect(err).toEqual({ kind: 'error', errCode: 20002, errMsg: 'nope' });
    expect(isProtocolError(err)).toBe(true);
    expect(isProtocolError({ data: '""' })).toBe(false);
    expect(isProtocolError(null)).toBe(false);
  });
});

describe('errorForCoreFailure', () => {
  it('maps every failure kind to a non-zero code', () => {
    for (const kind of Object.keys(CALL_FAILURES) as CallFailureKind[]) {
      const err = errorForCoreFailure(failure(kind, { errCode: 1501, errMsg: 'token expired' }));
      expect(err.errCode, kind).not.toBe(0);
      expect(err.errMsg, kind).not.toBe('');
    }
  });

  it("passes the core's own code and text through unchanged", () => {
    const msg = 'error *errors.withStack: 10004 Resource initialization incomplete';
    expect(errorForCoreFailure(failure('core-error', { errCode: 10005, errMsg: msg }))).toEqual({
      kind: 'error',
      errCode: 10005,
      errMsg: msg,
    });
    expect(errorForCoreFailure(failure('core-error', { errCode: 100, errMsg: 'input args type err index:1' })).errCode).toBe(100);
  });

  it('reports a core rejection without a numeric code as Unknown', () => {
    expect(errorForCoreFailure(failure('core-error')).errCode).toBe(10005);
    expect(errorForCoreFailure(failure('core-error', { errCode: Number.NaN, errMsg: 'x' })).errCode).toBe(10005);
  });

  it.each([
    ['invalid-arguments', 10002, /invalid-arguments/],
    ['unknown-function', 20002, /unknown-function/],
    ['core-exited', 10006, /exited.*log in again/],
    ['core-lost', 10006, /lost.*log in again/],
    ['pool-full', 20003, /no room/],
    ['pool-closed', 20004, /shutting down/],
  ] as const)('maps %s to %i', (kind, code, text) => {
    const err = errorForCoreFailure(failure(kind));
    expect(err.errCode).toBe(code);
    expect(err.errMsg).toMatch(text);
  });

  it('treats anything that is not a CoreCallError as an internal error', () => {
    expect(errorForCoreFailure(new Error('boom')).errCode).toBe(10006);
    expect(errorForCoreFailure('boom').errCode).toBe(10006);
  });
});
