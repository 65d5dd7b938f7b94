import { describe, expect, it } from 'vitest';

import {
  CLIENT_EVENTS,
  FORCE_CLOSE_EVENTS,
  INPUT_STATUS_EVENT,
  TYPING,
  splitJsonArray,
  NEW_MESSAGE_MODES,
  forceCloseReason,
  parseCoreEvent,
  translateCoreEvent,
} from '../../src/protocol/events.ts';

const coreEvent = (fields: Record<string, unknown>): string => JSON.stringify({ errCode: 0, errMsg: '', operationID: '', ...fields });

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
    expect(translateCoreEvent(json, 'single')).toEqual([{ event: 'OnRecvNewMessage', errCode: 0, errMsg: '', data: message, operationID: '' }]);
  });

  it('both: the single event, then the batch', () => {
    expect(translateCoreEvent(json, 'both').map((e) => [e.event, e.data])).toEqual([
      ['OnRecvNewMessage', message],
      ['OnRecvNewMessages', `[${message}]`],
    ]);
  });

  it('wraps odd message data safely', () => {
    expect(translateCoreEvent(coreEvent({ event: 'OnRecvNewMessage' }), 'batch')[0]?.data).toBe('[]');
    expect(translateCoreEvent(coreEvent({ event: 'OnRecvNewMessage', data: 'not json' }), 'batch')[0]?.data).toBe('["not json"]');
  });

  it('leaves other events alone in every mode', () => {
    for (const mode of NEW_MESSAGE_MODES) {
      const out = translateCoreEvent(coreEvent({ event: 'OnConversationChanged', data: '[]' }), mode);
      expect(
        out.map((e) => e.event),
        mode,
      ).toEqual(['OnConversationChanged']);
    }
  });
});

describe('new messages under 3.8 names client 3.5.2 does not know', () => {
  const m1 = '{"clientMsgID":"m1","seq":12345678901234567890,"content":"a, [b] {c}"}';
  const m2 = '{"clientMsgID":"m2","seq":2,"textElem":{"content":"q\\"uote]"}}';

  it.each(['OnRecvOfflineNewMessage', 'OnRecvOnlineOnlyMessage'])('%s with one message is a new message in every mode', (event) => {
    const json = coreEvent({ event, data: m1 });
    expect(translateCoreEvent(json, 'batch').map((e) => [e.event, e.data])).toEqual([['OnRecvNewMessages', `[${m1}]`]]);
    expect(translateCoreEvent(json, 'single').map((e) => [e.event, e.data])).toEqual([['OnRecvNewMessage', m1]]);
    expect(translateCoreEvent(json, 'both').map((e) => [e.event, e.data])).toEqual([
      ['OnRecvNewMessage', m1],
      ['OnRecvNewMessages', `[${m1}]`],
    ]);
  });

  it.each(['OnRecvOfflineNewMessage', 'OnRecvOfflineNewMessages', 'OnRecvOnlineOnlyMessages', 'OnRecvNewMessages'])(
    '%s with a list keeps the text of each message (no re-encoding)',
    (event) => {
      const json = coreEvent({ event, data: `[ ${m1} ,${m2}]` });
      expect(translateCoreEvent(json, 'batch').map((e) => [e.event, e.data])).toEqual([['OnRecvNewMessages', `[${m1},${m2}]`]]);
      expect(translateCoreEvent(json, 'single').map((e) => [e.event, e.data])).toEqual([
        ['OnRecvNewMessage', m1],
        ['OnRecvNewMessage', m2],
      ]);
      expect(translateCoreEvent(json, 'both').map((e) => e.event)).toEqual(['OnRecvNewMessage', 'OnRecvNewMessage', 'OnRecvNewMessages']);
    },
  );

  it('an empty list yields an empty batch and no single event', () => {
    const json = coreEvent({ event: 'OnRecvOfflineNewMessage', data: '[]' });
    expect(translateCoreEvent(json, 'batch').map((e) => e.data)).toEqual(['[]']);
    expect(translateCoreEvent(json, 'single')).toEqual([]);
  });
});

describe('splitJsonArray', () => {
  it.each([
    ['[]', []],
    ['[1, "a,b", {"x":[1,2]}, [3,[4]], null]', ['1', '"a,b"', '{"x":[1,2]}', '[3,[4]]', 'null']],
    ['["\\\\", "\\"]"]', ['"\\\\"', '"\\"]"']],
  ])('splits %s', (text, items) => {
    expect(splitJsonArray(text)).toEqual(items);
    for (const [i, item] of (splitJsonArray(text) ?? []).entries()) expect(JSON.parse(item)).toEqual((JSON.parse(text) as unknown[])[i]);
  });

  it.each(['{}', '"[1]"', 'not json', '[1,'])('is undefined for %s', (text) => {
    expect(splitJsonArray(text)).toBeUndefined();
  });
});

describe('typing (input status reports)', () => {
  const report = (fields: Record<string, unknown>): string => coreEvent({ event: INPUT_STATUS_EVENT, data: JSON.stringify(fields) });

  it('a single chat report becomes a 3.5 typing message from the typist to the session user', () => {
    const [env] = translateCoreEvent(report({ conversationID: 'si_amy_bob', userID: 'amy', platformIDs: [5] }), 'single', { userID: 'bob' });
    expect(env?.event).toBe('OnRecvNewMessage');
    expect(JSON.parse(env!.data)).toMatchObject({
      sendID: 'amy',
      recvID: 'bob',
      groupID: '',
      sessionType: 1,
      contentType: TYPING.contentType,
      senderPlatformID: 5,
      typingElem: { msgTips: 'yes' },
    });
  });

  it('stopped typing ([] platforms) says "no"; a group report names the group', () => {
    const [env] = translateCoreEvent(report({ conversationID: 'sg_g_1', userID: 'amy', platformIDs: [] }), 'batch', { userID: 'bob' });
    expect(env?.event).toBe('OnRecvNewMessages');
    const [msg] = JSON.parse(env!.data) as Record<string, unknown>[];
    expect(msg).toMatchObject({ sendID: 'amy', recvID: '', groupID: 'g_1', sessionType: 3, typingElem: { msgTips: 'no' } });
  });

  it('an unreadable report, or one without a session, is forwarded as it is', () => {
    for (const json of [
      report({ conversationID: 'xx_1', userID: 'a', platformIDs: [] }),
      report({ userID: 'a' }),
      coreEvent({ event: INPUT_STATUS_EVENT, data: 'nope' }),
    ]) {
      expect(translateCoreEvent(json, 'batch', { userID: 'bob' }).map((e) => e.event)).toEqual([INPUT_STATUS_EVENT]);
    }
    expect(translateCoreEvent(report({ conversationID: 'si_a_b', userID: 'a', platformIDs: [] }), 'batch').map((e) => e.event)).toEqual([INPUT_STATUS_EVENT]);
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
