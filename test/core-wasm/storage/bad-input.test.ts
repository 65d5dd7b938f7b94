/**
 * Bad input from the core (or from whoever controls conversation IDs and payloads):
 * every function, every parameter, refused with an error naming the function, and the
 * database exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageBridge } from '../../../core-wasm/storage/bridge.ts';
import { STORAGE_FUNCTIONS } from '../../../core-wasm/storage/catalogue.ts';
import { MESSAGE_SEARCH_FUNCTIONS } from '../../../core-wasm/storage/functions/message-search.ts';
import { MESSAGE_FUNCTIONS } from '../../../core-wasm/storage/functions/messages.ts';
import type { Param } from '../../../core-wasm/storage/params.ts';
import { BATCH_INSERT_FRIEND, CONVERSATION, INSERT_LOGIN_USER, SENT_MESSAGE } from './fixtures.ts';
import { call, dumpDatabase, expectFailure, expectVoid, openBridge, tempDir } from './helpers.ts';

let b: StorageBridge;
let remove: () => void;
let before: Record<string, unknown[]>;

beforeAll(async () => {
  const t = tempDir();
  remove = t.remove;
  b = await openBridge(t.dir, 'u1');
  expectVoid(await call(b, 'insertLoginUser', INSERT_LOGIN_USER));
  expectVoid(await call(b, 'batchInsertFriend', BATCH_INSERT_FRIEND));
  expectVoid(await call(b, 'insertConversation', JSON.stringify(CONVERSATION)));
  expectVoid(await call(b, 'insertMessage', 'si_u1_u2', JSON.stringify(SENT_MESSAGE)));
  before = dumpDatabase(b);
});
afterAll(() => {
  b.close();
  remove();
});

/** A value of the right JS type for a parameter (its content does not matter here). */
function goodValue(p: Param): unknown {
  switch (p.kind) {
    case 'string':
      return p.name === 'conversationID' ? 'si_u1_fresh' : 'x';
    case 'int':
      return 1;
    case 'bool':
      return false;
    case 'json':
      return '[]';
    case 'object':
      return {};
  }
}

/** Values of the wrong type (or malformed JSON) for a parameter. */
function badValues(p: Param): unknown[] {
  switch (p.kind) {
    case 'string':
      return [5, null, undefined, { toString: () => 'x' }];
    case 'int':
      return ['5', 1.5, Number.NaN, 2 ** 60, null];
    case 'bool':
      return [1, 'true', null];
    case 'json':
      return ['{bad', '', '[1,', 42, { already: 'an object' }];
    case 'object':
      return ['{"name":"x"}', null, [1]];
  }
}

const withParams = Object.entries(STORAGE_FUNCTIONS).filter(([, f]) => f.params.length > 0);

describe('malformed arguments', () => {
  it.each(withParams)('%s: each bad argument → errCode 10001 naming the function', async (name, f) => {
    for (let i = 0; i < f.params.length; i++) {
      for (const bad of badValues(f.params[i] as Param)) {
        const args = f.params.map(goodValue);
        args[i] = bad;
        expectFailure(await call(b, name, ...args), name);
      }
    }
    // Missing trailing arguments.
    expectFailure(await call(b, name, ...f.params.slice(0, -1).map(goodValue)), name, /expected \d+ argument/);
  });

  it('JSON of the wrong shape fails inside the transaction and leaves nothing behind', async () => {
    const shapes: Array<[string, unknown[]]> = [
      ['batchInsertMessageList', ['si_u1_u9', '"not a list"']],
      ['batchInsertMessageList', ['si_u1_u9', '[{"clientMsgID":"ok","seq":1},{"clientMsgID":"bad","seq":"one"}]']],
      ['batchInsertMessageList', ['si_u1_u9', '[{"clientMsgID":"ok"},7]']],
      ['insertMessage', ['si_u1_u9', '[1,2]']],
      ['insertMessage', ['si_u1_u9', '{"clientMsgID":"m","isRead":"yes"}']],
      ['batchInsertFriend', ['[{"ownerUserID":"u1","userID":"u7"},{"ownerUserID":"u1","userID":8}]']],
      ['batchInsertConversationList', ['[{"conversationID":"si_u1_u7","isPinned":1.5}]']],
      ['getFriendInfoList', ['[1,2]']],
      ['getMessagesBySeqs', ['si_u1_u2', '["1"]']],
      ['updateConversation', ['si_u1_u2', '"text"']],
      ['updateColumnsConversation', ['si_u1_u2', '{"unread_count":"0"}']],
      ['updateColumnsConversation', ['si_u1_u2', '{"unread_count":0,"no_such_column":1}']],
      ['setVersionSync', ['{"tableName":"t","entityID":"e","version":"1"}']],
      ['markConversationMessageAsReadDB', ['si_u1_u2', '{"a":1}', 'u1']],
      ['updateMessage', ['si_u1_u2', SENT_MESSAGE.clientMsgID, '{"status":2,"seq":9007199254740993}']],
    ];
    for (const [name, args] of shapes) expectFailure(await call(b, name, ...args), name);
    expect(dumpDatabase(b)).toEqual(before);
  });

  it('left the database unchanged after all of the above', () => {
    expect(dumpDatabase(b)).toEqual(before);
  });
});

describe('conversation IDs used as table names', () => {
  const hostile = [
    'si_u1_u2"; DROP TABLE local_users; --',
    'si_u1_u2" (x); --',
    "sg_g1'",
    '../../etc/passwd',
    'chat_logs_si_u1_u2',
    'x_y',
    'sg_',
    'si_onlyone',
    'si__u2',
    'si_u1_',
    'sg_g1 ',
    'sg_g\u0000',
    'sg_g1\n',
    'sg_[g1]',
    `sg_${'a'.repeat(130)}`,
    '',
  ];
  const messageFns = Object.entries({ ...MESSAGE_FUNCTIONS, ...MESSAGE_SEARCH_FUNCTIONS });

  it.each(messageFns)('%s refuses malformed conversation IDs and creates nothing', async (name, f) => {
    for (const id of hostile) {
      const args = f.params.map(goodValue);
      args[0] = id;
      expectFailure(await call(b, name, ...args), name, /invalid conversationID/);
    }
    expect(dumpDatabase(b)).toEqual(before);
  });

  it('nothing was created or dropped', () => {
    expect(dumpDatabase(b)).toEqual(before);
  });

  it('accepts every format the core builds', async () => {
    for (const id of ['si_u1_u2', 'si_1001_1002', 'sg_3108741512', 'g_legacy', 'sn_sys_u1', 'n_u1', 'si_a.b@c_d-e', 'sg_群组1', 'si_user_with_underscores_u2']) {
      expectVoid(await call(b, 'batchInsertMessageList', id, 'null'));
    }
  });
});
