import { describe, expect, it } from 'vitest';

import {
  CLIENT_EVENTS,
  FORCE_CLOSE_EVENTS,
  NEW_MESSAGE_MODES,
  forceCloseReason,
  parseCoreEvent,
  translateCoreEvent,
} from '../../src/protocol/events.ts';

const coreEvent = (fields: Record<string, unknown>): string =>
  JSON.stringify({ errCode: 0, errMsg: '', operationID: '', ...fields });

/** The single envelope of an event that is not a new message. */
function one(json: string): ReturnType<typeof translateCoreEvent>[number] {
  const out = translateCoreEvent(json, 'batch');
  expect(out).toHaveLength(1);
  return out[0]!;
}

describe('event normalization', () => {
  it('clears the stale errCode/errMsg an OnConnecting inherits from OnConnectFailed', () => {
    const env = one(coreEvent({ event: 'OnConnecting', errCode: 1501, errMsg: 'token expired', operationID: 'init-op' }));
    expect(env).toEqual({ event: 'OnConnecting', errCode: 0, errMsg: '', data: '', operationID: '' });
  });

  it('keeps errCode/errMsg on OnConnectFailed', () => {
    const env = one(coreEvent({ event: 'OnConnectFailed', errCode: 10000, errMsg: 'dial failed', operationID: 'init-op' }));
    expect(env).toEqual({ event: 'OnConnectFailed', errCode: 10000, errMsg: 'dial failed', data: '', operationID: '' });
  });

  it('turns a non-numeric errCode on OnConnectFailed into 0', () => {
    expect(one(coreEvent({ event: 'OnConnectFailed', errCode: '5', errMsg: 3 }))).toMatchObject({ errCode: 0, errMsg: '' });
  });

  it.each([
    ['numeric', 7, '7'],
    ['boolean', true, 'true'],
    ['false', false, 'false'],
    ['zero', 0, '0'],
    ['missing', undefined, ''],
    ['null', null, ''],
    ['a string', '{"conversationID":"si_a_b"}', '{"conversationID":"si_a_b"}'],
    ['a raw string', 'token invalid', 'token invalid'],
    ['an object', { a: 1 }, '{"a":1}'],
  ])('sends %s data as a string', (_label, data, expected) => {
    expect(one(coreEvent({ event: 'OnTotalUnreadMessageCountChanged', data })).data).toBe(expected);
  });

  it('always clears operationID so an event can never settle a request', () => {
    expect(one(coreEvent({ event: 'OnProgress', data: '{"progress":5}', operationID: 'send-op' })).operationID).toBe('');
  });

  it('reads an event with only a name', () => {
    expect(one('{"event":"OnSyncServerStart"}')).toEqual({
      event: 'OnSyncServerStart',
      errCode: 0,
      errMsg: '',
      data: '',
      operationID: '',
    });
  });
});

describe('OnUserTokenInvalid', () => {
  it('reaches clients as OnUserTokenExpired, with its reason kept in data', () => {
    const env = one(coreEvent({ event: 'OnUserTokenInvalid', data: 'token malformed', errCode: 1503 }));
    expect(env).toEqual({ event: 'OnUserTokenExpired', errCode: 0, errMsg: '', data: 'token malformed', operationID: '' });
    expect(CLIENT_EVENTS.has(env.event)).toBe(true);
  });
});

describe('force-close events', () => {
  it('lists kick, expiry and invalid token', () => {
    expect(FORCE_CLOSE_EVENTS).toEqual({
      OnKickedOffline: 'kicked',
      OnUserTokenExpired: 'token-expired',
      OnUserTokenInvalid: 'token-invalid',
    });
  });

  it('recognizes every envelope that ends the session after translation', () => {
    for (const event of Object.keys(FORCE_CLOSE_EVENTS)) {
      const [env] = translateCoreEvent(coreEvent({ event }), 'batch');
      expect(forceCloseReason(env!.event), event).toBeDefined();
    }
  });

  it('does not flag ordinary events or prototype names', () => {
    for (const event of ['OnConnecting', 'OnRecvNewMessage', 'Logout', 'toString', 'constructor']) {
      expect(forceCloseReason(event), event).toBeUndefined();
    }
  });
});

describe('new-message modes', () => {
  // A seq too large for a double: the batch must carry the core's text, not a re-encoding.
  const message = '{"clientMsgID":"m1","seq":12345678901234567890,"content":"hi"}';
  const json = coreEvent({ event: 'OnRecvNewMessage', data: message });

  it('batch: one OnRecvNewMessages with a one-element array, no single event', () => {
    const out = translateCoreEvent(json, 'batch');
    expect(out).toEqual([{ event: 'OnRecvNewMessages', errCode: 0, errMsg: '', data: `[${message}]`, operationID: '' }]);
  });

  it('single: the event unchanged', () => {
    expect(translateCoreEvent(json, 'single')).toEqual([
      { event: 'OnRecvNewMessage', errCode: 0, errMsg: '', data: message, operationID: '' },
    ]);
  });

  it('both: the single event, then the batch', () => {
    expect(translateCoreEvent(json, 'both').map((e) => [e.event, e.data])).toEqual([
      ['OnRecvNewMessage', message],
      ['OnRecvNewMessages', `[${message}]`],
    ]);
  });

  it('wraps odd message data safely', () => {
    expect(translateCoreEvent(coreEvent({ event: 'OnRecvNewMessage' }), 'batch')[0]?.data).toBe('[]');
    expect(translateCoreEvent(coreEvent({ event: 'OnRecvNewMessage', data: 'not json' }), 'batch')[0]?.data).toBe(
      '["not json"]',
    );
  });

  it('leaves other events alone in every mode', () => {
    for (const mode of NEW_MESSAGE_MODES) {
      const out = translateCoreEvent(coreEvent({ event: 'OnRecvOfflineNewMessage', data: message }), mode);
      expect(out.map((e) => e.event), mode).toEqual(['OnRecvOfflineNewMessage']);
    }
  });
});

describe('malformed core events', () => {
  it.each([
    ['not JSON', '{oops', /not valid JSON/],
    ['an array', '[]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['nameless', '{"data":"x"}', /no event name/],
    ['an empty name', '{"event":""}', /no event name/],
    ['a numeric name', '{"event":5}', /no event name/],
  ])('yields nothing for %s, and parseCoreEvent says why', (_label, json, why) => {
    for (const mode of NEW_MESSAGE_MODES) expect(translateCoreEvent(json, mode)).toEqual([]);
    const parsed = parseCoreEvent(json);
    expect(parsed).toHaveProperty('malformed');
    expect((parsed as { malformed: string }).malformed).toMatch(why);
  });
});
