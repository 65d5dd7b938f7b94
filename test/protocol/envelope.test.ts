import { describe, expect, it } from 'vitest';

import { FALLBACK_RESPONSE_EVENT, buildResponse, parseRequestFrame, responseEvent, type FrameError } from '../../src/protocol/envelope.ts';
import { isProtocolError, protocolError } from '../../src/protocol/error-codes.ts';

function expectFrameError(frame: string, errCode: number, text: RegExp): FrameError {
  const result = parseRequestFrame(frame);
  if (!isProtocolError(result)) throw new Error(`expected an error for ${frame}`);
  expect(result.errCode).toBe(errCode);
  expect(result.errMsg).toMatch(text);
  return result;
}

const frame = (fields: Record<string, unknown>): string => JSON.stringify(fields);

describe('parseRequestFrame limits (pinned: README documents them)', () => {
  it('takes a reqFuncName of 128 characters and an operationID of 256, refuses longer ones without echoing them', () => {
    const name = 'N'.repeat(128);
    const op = 'o'.repeat(256);
    expect(parseRequestFrame(frame({ reqFuncName: name, operationID: op, data: '[]' }))).toEqual({ reqFuncName: name, operationID: op, data: [] });
    const longName = expectFrameError(frame({ reqFuncName: `${name}N`, operationID: 'op', data: '[]' }), 20001, /reqFuncName is longer than 128 characters/);
    expect([longName.reqFuncName, longName.operationID]).toEqual(['', 'op']);
    const longOp = expectFrameError(frame({ reqFuncName: 'X', operationID: `${op}o`, data: '[]' }), 20001, /X: request operationID is longer than 256 characters/);
    expect([longOp.reqFuncName, longOp.operationID]).toEqual(['X', '']);
  });

  it('bounds the frame and its data before parsing, and tells which (20006)', () => {
    const deepFrame = `{"reqFuncName":"X","operationID":"o","junk":${'['.repeat(101)}${']'.repeat(101)}}`;
    expectFrameError(deepFrame, 20006, /^request frame nests arrays and objects deeper than 100 levels$/);
    const deepData = frame({ reqFuncName: 'X', operationID: 'o', data: '['.repeat(101) + ']'.repeat(101) });
    const e = expectFrameError(deepData, 20006, /^X: request data nests arrays and objects deeper than 100 levels$/);
    expect(e.operationID).toBe('o');
  });

  it("does not hold the frame's data text to the string limit: its own strings are what count", () => {
    const pieces = ['a'.repeat(3 * 2 ** 20), 'b'.repeat(3 * 2 ** 20)];
    const ok = parseRequestFrame(frame({ reqFuncName: 'X', operationID: 'o', data: JSON.stringify(pieces) }));
    expect(isProtocolError(ok)).toBe(false);
    const over = frame({ reqFuncName: 'X', operationID: 'o', data: JSON.stringify(['c'.repeat(4 * 2 ** 20 + 1)]) });
    expectFrameError(over, 20006, /request data holds a string longer than 4194304 characters/);
  });
});

describe('parseRequestFrame', () => {
  it('decodes the positional params from data', () => {
    const data = JSON.stringify(['alice', 'token']);
    expect(parseRequestFrame(frame({ reqFuncName: 'Login', operationID: 'op1', userID: 'alice', data }))).toEqual({
      reqFuncName: 'Login',
      operationID: 'op1',
      data: ['alice', 'token'],
    });
  });

  it('ignores the userID field entirely', () => {
    const req = parseRequestFrame(frame({ reqFuncName: 'X', operationID: 'o', userID: 42, data: '[]' }));
    expect(req).not.toHaveProperty('userID');
    expect(isProtocolError(req)).toBe(false);
  });

  it.each([
    ['absent', {}],
    ['empty', { data: '' }],
    ['an empty array', { data: '[]' }],
  ])('treats data %s as no params', (_label, extra) => {
    expect(parseRequestFrame(frame({ reqFuncName: 'X', operationID: '', ...extra }))).toEqual({
      reqFuncName: 'X',
      operationID: '',
      data: [],
    });
  });

  it('keeps nested values (a string item holding JSON stays a string)', () => {
    const data = JSON.stringify(['{"a":1}', 3, true, null]);
    const req = parseRequestFrame(frame({ reqFuncName: 'X', operationID: 'o', data }));
    expect(req).toMatchObject({ data: ['{"a":1}', 3, true, null] });
  });

  it('rejects text that is not JSON', () => {
    const err = expectFrameError('{nope', 20000, /not valid JSON/);
    expect(err.operationID).toBe('');
    expect(err.reqFuncName).toBe('');
  });

  it.each([
    ['[]', /an array/],
    ['null', /null/],
    ['42', /a number/],
    ['"Login"', /a string/],
  ])('rejects the non-object frame %s', (text, got) => {
    expectFrameError(text, 20000, got);
  });

  it.each([
    ['missing', {}, /got nothing/],
    ['a number', { reqFuncName: 5 }, /got a number/],
    ['empty', { reqFuncName: '' }, /got an empty string/],
  ])('rejects a reqFuncName that is %s, keeping the operationID', (_label, fields, got) => {
    const err = expectFrameError(frame({ operationID: 'op9', data: '[]', ...fields }), 20001, /reqFuncName/);
    expect(err.errMsg).toMatch(got);
    expect(err.operationID).toBe('op9');
  });

  it.each([
    ['missing', {}],
    ['a number', { operationID: 7 }],
    ['null', { operationID: null }],
  ])('rejects an operationID that is %s, naming the function', (_label, fields) => {
    const err = expectFrameError(frame({ reqFuncName: 'GetSelfUserInfo', data: '[]', ...fields }), 20001, /operationID/);
    expect(err.errMsg).toContain('GetSelfUserInfo');
    expect(err.reqFuncName).toBe('GetSelfUserInfo');
    expect(err.operationID).toBe('');
  });

  it.each([
    ['a real array', { data: ['a'] }, /got an array/],
    ['a number', { data: 1 }, /got a number/],
    ['null', { data: null }, /got null/],
    ['JSON of an object', { data: '{"a":1}' }, /got JSON text of an object/],
    ['JSON of a string', { data: '"a"' }, /got JSON text of a string/],
    ['not JSON', { data: '[1,' }, /not valid JSON/],
  ])('rejects data that is %s', (_label, fields, got) => {
    const err = expectFrameError(frame({ reqFuncName: 'CreateTextMessage', operationID: 'op2', ...fields }), 20001, got);
    expect(err.errMsg).toContain('CreateTextMessage');
    expect(err.operationID).toBe('op2');
    expect(err.reqFuncName).toBe('CreateTextMessage');
  });
});

describe('responseEvent', () => {
  it('echoes the request name', () => {
    expect(responseEvent('Login')).toBe('Login');
    expect(responseEvent('GetSelfUserInfo')).toBe('GetSelfUserInfo');
    expect(responseEvent('DebugEcho')).toBe('DebugEcho');
  });

  it('never answers with a name the client would act on instead of settling the request', () => {
    for (const name of ['OnKickedOffline', 'OnUserTokenExpired', 'OnRecvNewMessages', 'InitSDK', '']) {
      expect(responseEvent(name), name).toBe(FALLBACK_RESPONSE_EVENT);
    }
  });
});

describe('buildResponse', () => {
  it('builds a success response', () => {
    expect(buildResponse({ reqFuncName: 'GetLoginStatus', operationID: 'op' }, { data: '3' })).toEqual({
      event: 'GetLoginStatus',
      errCode: 0,
      errMsg: '',
      data: '3',
      operationID: 'op',
    });
  });

  it('builds an error response with empty data', () => {
    expect(buildResponse({ reqFuncName: 'Foo', operationID: 'op' }, protocolError('UnknownFunction', 'no Foo'))).toEqual({
      event: 'Foo',
      errCode: 20002,
      errMsg: 'no Foo',
      data: '',
      operationID: 'op',
    });
  });

  it('addresses a frame error with what was readable of the frame', () => {
    const err = parseRequestFrame('{"operationID":"op5"}');
    if (!isProtocolError(err)) throw new Error('expected an error');
    const envelope = buildResponse(err, err);
    expect(envelope).toMatchObject({ event: FALLBACK_RESPONSE_EVENT, operationID: 'op5', errCode: 20001, data: '' });
  });
});
