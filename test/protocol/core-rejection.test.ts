import { describe, expect, it } from 'vitest';
import { normalizeCoreRejection } from '../../src/protocol/core-rejection.ts';

// Texts as the official core (@openim/wasm-client-sdk 3.8.5) answered them through the gateway.
const USER_NOT_FOUND =
  'error *stack.stackError not implement CodeError: Error: 10100 User ID not found fetch data not found, keys=[nobody] | ' +
  '-> errs.(*codeError).WrapMsg() github.com/openimsdk/tools@v0.0.50-alpha.80/errs/coderr.go:67 -> ' +
  'cache.(*UserCache[...]).batchFetch() github.com/openimsdk/openim-sdk-core/v3/pkg/cache/user_cache.go:103';
const OUT_OF_RANGE =
  'error *stack.stackError not implement CodeError: Error: 10006 Internal SDK error go call json.Unmarshal error: ' +
  'strconv.ParseInt: parsing "1099511627776": value out of range | -> errs.(*codeError).WrapMsg() ' +
  'github.com/openimsdk/tools@v0.0.50-alpha.80/errs/coderr.go:67 -> open_im_sdk.call_() caller.go:149';
const NO_CODE = 'error *errors.errorString not implement CodeError: keywordlist and messageTypelist all null';
// The official core's not-logged-in answer: a 10004 wrapped twice (docs/client-protocol.md#error-codes).
const NOT_LOGGED_IN = 'error *errors.withStack not implement CodeError: error *errors.withMessage not implement CodeError: 10004 Resource initialization incomplete';

describe('normalizeCoreRejection', () => {
  it('recovers the wrapped code and message and drops the Go stack, keeping the original as detail', () => {
    expect(normalizeCoreRejection(10005, USER_NOT_FOUND)).toEqual({
      errCode: 10100,
      errMsg: 'User ID not found fetch data not found, keys=[nobody]',
      detail: USER_NOT_FOUND,
    });
    expect(normalizeCoreRejection(10005, OUT_OF_RANGE)).toMatchObject({
      errCode: 10002,
      errMsg: 'an argument does not hold what the core expects: strconv.ParseInt: parsing "1099511627776": value out of range',
    });
  });

  it.each([
    [
      'Internal SDK error go call json.Unmarshal error: json: cannot unmarshal bool into Go struct field MsgStruct.recvID of type string',
      'an argument does not hold what the core expects: json: cannot unmarshal bool into Go struct field MsgStruct.recvID of type string',
    ],
    [
      "Internal SDK error go call json.Unmarshal error: invalid character '<' looking for beginning of value",
      "an argument does not hold what the core expects: invalid character '<' looking for beginning of value",
    ],
    ['Internal SDK error go code error: fn in args type is not match', 'an argument has a type the core does not take'],
    ['Internal SDK error go code error: fn in args num is not match', 'the core takes another number of arguments'],
  ])('an argument the core could not read is 10002, not an internal error: %s', (core, client) => {
    expect(normalizeCoreRejection(10006, core)).toEqual({ errCode: 10002, errMsg: client, detail: core });
  });

  it('keeps other internal errors as they are', () => {
    expect(normalizeCoreRejection(10006, 'Internal SDK error db closed')).toEqual({ errCode: 10006, errMsg: 'Internal SDK error db closed' });
  });

  it('answers a recovered panic with its value, not its goroutine stack', () => {
    const panic =
      'call panic: panic: runtime error: index out of range [0] with length 0\ngoroutine 186 [running]:\nruntime/debug.Stack()\n\truntime/debug/stack.go:26 +0x6\n' +
      'github.com/openimsdk/openim-sdk-core/v3/internal/group.(*Group).SearchGroupMembers(0x1641420, {0x390100, 0xc0})';
    const r = normalizeCoreRejection(10005, panic);
    expect(r).toEqual({ errCode: 10005, errMsg: 'the core failed on this request: runtime error: index out of range [0] with length 0', detail: panic });
  });

  it('unwraps several wrappers (the not-logged-in answer becomes 10004)', () => {
    expect(normalizeCoreRejection(10005, NOT_LOGGED_IN)).toMatchObject({ errCode: 10004, errMsg: 'Resource initialization incomplete' });
  });

  it('keeps 10005 when the wrapped error has no code, without the wrapper noise', () => {
    expect(normalizeCoreRejection(10005, NO_CODE)).toEqual({
      errCode: 10005,
      errMsg: 'keywordlist and messageTypelist all null',
      detail: NO_CODE,
    });
  });

  it('passes clean rejections through untouched, with no detail', () => {
    expect(normalizeCoreRejection(1004, '1004 RecordNotFoundError')).toEqual({ errCode: 1004, errMsg: '1004 RecordNotFoundError' });
    expect(normalizeCoreRejection(10102, 'login repeat')).toEqual({ errCode: 10102, errMsg: 'login repeat' });
    expect(normalizeCoreRejection(10005, '')).toEqual({ errCode: 10005, errMsg: '' });
  });

  it('never takes a code out of text the core did not wrap, nor overrides a precise outer code', () => {
    expect(normalizeCoreRejection(10005, '1302 looks like a code but is plain text')).toEqual({
      errCode: 10005,
      errMsg: '1302 looks like a code but is plain text',
    });
    expect(normalizeCoreRejection(1501, 'error *x not implement CodeError: 10006 inner')).toMatchObject({ errCode: 1501, errMsg: '10006 inner' });
  });

  it('bounds a very long message and keeps text that is only a stack', () => {
    const long = normalizeCoreRejection(10005, `error *e not implement CodeError: ${'x'.repeat(2000)}`);
    expect(long.errMsg.length).toBe(500);
    expect(long.errMsg.endsWith('…')).toBe(true);
    const onlyStack = ' | -> main.f() main.go:1';
    expect(normalizeCoreRejection(10005, onlyStack).errMsg).toBe(onlyStack);
  });

  it("keeps the IM server's address out of errMsg (raw text kept as detail)", () => {
    const raw = 'Network error ApiPost http.Client.Do failed Post "http://10.0.0.5:10002/user/get_users_info": dial tcp 10.0.0.5:10002: connect: connection refused';
    expect(normalizeCoreRejection(10000, raw)).toEqual({
      errCode: 10000,
      errMsg: 'Network error ApiPost http.Client.Do failed Post "<url>": dial tcp <address>: connect: connection refused',
      detail: raw,
    });
    const wrapped = `error *stack.stackError not implement CodeError: Error: 10000 ${raw} | -> main.f() main.go:1`;
    expect(normalizeCoreRejection(10005, wrapped).errMsg).not.toMatch(/10\.0\.0\.5/);
  });

  it('stays fast on long texts the core may echo (a sanity bound, not a benchmark)', () => {
    const started = performance.now();
    for (const text of [' '.repeat(128 * 1024), `error *e not implement CodeError: ${'a.'.repeat(64 * 1024)}`]) {
      expect(normalizeCoreRejection(10005, text).errMsg.length).toBeLessThanOrEqual(500);
    }
    // A quadratic pattern takes tens of seconds here; a linear one milliseconds.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
