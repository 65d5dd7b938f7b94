import BetterSqlite3 from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StorageBridge } from '../../../core-wasm/storage/bridge.ts';
import { RECEIVED_ATTACHED_INFO, SENT_MESSAGE, message } from './fixtures.ts';
import { NOW, call, expectFailure, expectList, expectNotFound, expectNum, expectObj, expectRows, expectVoid, freshBridgePerTest, tableNames } from './helpers.ts';

let b: StorageBridge;
freshBridgePerTest((fresh) => (b = fresh.bridge));

const C = 'si_u1_u3';
const batch = async (conv: string, msgs: Array<Record<string, unknown>>): Promise<void> =>
  expectVoid(await call(b, 'batchInsertMessageList', conv, JSON.stringify(msgs)));
const ids = (rows: Array<Record<string, unknown>>): unknown[] => rows.map((m) => m.clientMsgID);
const getMsg = async (id: string, conv = C): Promise<Record<string, unknown>> => expectObj(await call(b, 'getMessage', conv, id));

/** Five received messages from u3 (seq 1..5, one second apart) and one own unsent one. */
async function seedHistory(): Promise<void> {
  await batch(
    C,
    [1, 2, 3, 4, 5].map((seq) => message({ clientMsgID: `m${seq}`, sendID: 'u3', recvID: 'u1', seq, sendTime: 1000 * seq, attachedInfo: RECEIVED_ATTACHED_INFO })),
  );
  expectVoid(await call(b, 'insertMessage', C, JSON.stringify({ ...SENT_MESSAGE, clientMsgID: 'mine', sendTime: 5000, seq: 0, recvID: 'u3' })));
}

describe('messages: send path (appendix)', () => {
  it('getMessage 10002 creates the table; insertMessage; ack; sending list', async () => {
    expect(tableNames(b)).not.toContain('chat_logs_si_u1_u2');
    expectNotFound(await call(b, 'getMessage', 'si_u1_u2', SENT_MESSAGE.clientMsgID), 'getMessage');
    expect(tableNames(b)).toContain('chat_logs_si_u1_u2');
    expectVoid(await call(b, 'insertMessage', 'si_u1_u2', JSON.stringify(SENT_MESSAGE)));
    expect(await getMsg(SENT_MESSAGE.clientMsgID, 'si_u1_u2')).toEqual(SENT_MESSAGE);
    expectFailure(await call(b, 'insertMessage', 'si_u1_u2', JSON.stringify(SENT_MESSAGE)), 'insertMessage', /constraint/i);
    // Server ack: only the unsequenced row is touched; zero values are not written.
    expectVoid(await call(b, 'updateMessageTimeAndStatus', 'si_u1_u2', SENT_MESSAGE.clientMsgID, 'srv-1', 1795497735061, 2));
    expect(await getMsg(SENT_MESSAGE.clientMsgID, 'si_u1_u2')).toMatchObject({ serverMsgID: 'srv-1', sendTime: 1795497735061, status: 2 });
    expectVoid(await call(b, 'updateMessageTimeAndStatus', 'si_u1_u2', SENT_MESSAGE.clientMsgID, '', 0, 3));
    expect(await getMsg(SENT_MESSAGE.clientMsgID, 'si_u1_u2')).toMatchObject({ serverMsgID: 'srv-1', sendTime: 1795497735061, status: 3 });
    expectVoid(await call(b, 'updateMessageTimeAndStatus', 'si_u1_u2', 'no-such', 'x', 1, 2));
  });

  it('insertMessage also works before any getMessage (creates the table)', async () => {
    expectVoid(await call(b, 'insertMessage', 'sg_g1', JSON.stringify(SENT_MESSAGE)));
    expect(await getMsg(SENT_MESSAGE.clientMsgID, 'sg_g1')).toMatchObject({ content: '{"content":"hello"}', attachedInfo: 'null' });
  });

  it('batchInsertMessageList: null is a no-op; a duplicate fails the whole batch', async () => {
    expectVoid(await call(b, 'batchInsertMessageList', C, 'null'));
    await batch(C, [message({ clientMsgID: 'a', seq: 1 })]);
    const env = await call(b, 'batchInsertMessageList', C, JSON.stringify([message({ clientMsgID: 'b', seq: 2 }), message({ clientMsgID: 'a', seq: 1 })]));
    expectFailure(env, 'batchInsertMessageList', /constraint/i);
    expectNotFound(await call(b, 'getMessage', C, 'b'), 'getMessage');
    // Unknown keys are ignored, booleans stored as 0/1 and returned as booleans.
    await batch(C, [{ ...message({ clientMsgID: 'c', seq: 3, isRead: true }), extraField: 1, isReact: true }]);
    expect(await getMsg('c')).toMatchObject({ isRead: true });
    expect(Object.keys(await getMsg('c')).sort()).toEqual(Object.keys(SENT_MESSAGE).sort());
  });
});

describe('messages: conversation IDs differing only in case', () => {
  it('are refused instead of sharing one table (SQLite table names ignore case)', async () => {
    await batch('si_u1_bob', [message({ clientMsgID: 'to-bob', seq: 1 })]);
    expectFailure(await call(b, 'getMessage', 'si_u1_Bob', 'x'), 'getMessage', /differs only in letter case from "si_u1_bob"/);
    expectFailure(await call(b, 'batchInsertMessageList', 'si_u1_Bob', JSON.stringify([message({ clientMsgID: 'to-Bob', seq: 1 })])), 'batchInsertMessageList');
    expect(ids(expectRows(await call(b, 'getMessageList', 'si_u1_bob', 20, 0, 0, '', false, 'u1')))).toEqual(['to-bob']);
    // Mixed case on its own is fine.
    await batch('si_Alice_u1', [message({ clientMsgID: 'a', seq: 1 })]);
    expect(await getMsg('a', 'si_Alice_u1')).toMatchObject({ seq: 1 });
  });
});

describe('messages: history and seqs', () => {
  beforeEach(seedHistory);

  it('getMessageList pages older messages by (send_time, seq)', async () => {
    const page = async (...a: unknown[]): Promise<unknown[]> => ids(expectRows(await call(b, 'getMessageList', C, ...a, 'u1')));
    // Same send time: the higher seq first (an unsent message has seq 0).
    expect(await page(20, 0, 0, '', false)).toEqual(['m5', 'mine', 'm4', 'm3', 'm2', 'm1']);
    expect(await page(2, 0, 0, '', false)).toEqual(['m5', 'mine']);
    // Older than m5 (time 5000, seq 5): 'mine' shares the time but has seq 0 → included.
    expect(await page(2, 5000, 5, 'm5', false)).toEqual(['mine', 'm4']);
    expect(await page(2, 5000, 0, 'mine', false)).toEqual(['m4', 'm3']);
    expect(await page(20, 2000, 2, 'm2', true)).toEqual(['m3', 'm4', 'mine', 'm5']);
    expect(await page(20, 0, 0, '', true)).toEqual(['m1', 'm2', 'm3', 'm4', 'mine', 'm5']);
    expect(expectList(await call(b, 'getMessageList', 'sg_empty', 20, 0, 0, '', false, 'u1'))).toEqual([]);
  });

  it('getMessageBySeq, getMessagesBySeqs, getMessagesByClientMsgIDs', async () => {
    expect(await call(b, 'getMessageBySeq', C, 3).then(expectObj)).toMatchObject({ clientMsgID: 'm3' });
    expectNotFound(await call(b, 'getMessageBySeq', C, 99), 'getMessageBySeq');
    expect(ids(expectRows(await call(b, 'getMessagesBySeqs', C, '[1,4,99]')))).toEqual(['m4', 'm1']);
    expect(ids(expectRows(await call(b, 'getMessagesByClientMsgIDs', C, '["m2","m5","nope"]')))).toEqual(['m5', 'm2']);
    expect(expectList(await call(b, 'getMessagesByClientMsgIDs', C, '["nope"]'))).toEqual([]);
    expect(expectList(await call(b, 'getMessagesByClientMsgIDs', 'sg_new', 'null'))).toEqual([]);
    expect(expectList(await call(b, 'getMessagesBySeqs', 'sg_missing', '[1]'))).toEqual([]);
    expect(tableNames(b)).not.toContain('chat_logs_sg_missing');
  });

  it('latest active / latest valid server message', async () => {
    expect(ids(expectRows(await call(b, 'getLatestActiveMessage', C, false)))).toHaveLength(1);
    expect(ids(expectRows(await call(b, 'getLatestActiveMessage', C, true)))).toEqual(['m1']);
    expectVoid(await call(b, 'updateColumnsMessage', C, 'm1', '{"status":4}'));
    expect(ids(expectRows(await call(b, 'getLatestActiveMessage', C, true)))).toEqual(['m2']);
    expect(await call(b, 'getLatestValidServerMessage', C, 5000, true).then(expectObj)).toMatchObject({ clientMsgID: 'm4' });
    expect(await call(b, 'getLatestValidServerMessage', C, 2000, false).then(expectObj)).toMatchObject({ clientMsgID: 'm3' });
    expectNotFound(await call(b, 'getLatestValidServerMessage', C, 5000, false), 'getLatestValidServerMessage');
    expectNotFound(await call(b, 'getLatestValidServerMessage', 'sg_none', 1, false), 'getLatestValidServerMessage');
  });

  it('normal seqs: max, checked without creating, peer uses the initDB user', async () => {
    expect(expectNum(await call(b, 'getConversationNormalMsgSeq', C))).toBe(5);
    expect(expectNum(await call(b, 'checkConversationNormalMsgSeq', C))).toBe(5);
    expect(expectNum(await call(b, 'checkConversationNormalMsgSeq', 'sg_never'))).toBe(0);
    expect(tableNames(b)).not.toContain('chat_logs_sg_never');
    expect(expectNum(await call(b, 'getConversationNormalMsgSeq', 'sg_new'))).toBe(0);
    expect(tableNames(b)).toContain('chat_logs_sg_new');
    await batch(C, [message({ clientMsgID: 'own7', sendID: 'u1', seq: 7, sendTime: 7000 })]);
    expect(expectNum(await call(b, 'getConversationPeerNormalMsgSeq', C))).toBe(5);
    expect(expectNum(await call(b, 'getConversationPeerNormalMsgSeq', 'sg_none'))).toBe(0);
  });

  it('unread and mark-as-read (appendix): counts peers only, stamps hasReadTime, keeps attachedInfo', async () => {
    expect(ids(expectRows(await call(b, 'getUnreadMessage', C, 'u1'))).sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(expectNum(await call(b, 'markConversationMessageAsReadDB', C, '["m1","m2","mine","nope"]', 'u1'))).toBe(2);
    const m1 = await getMsg('m1');
    expect(m1.isRead).toBe(true);
    expect(JSON.parse(m1.attachedInfo as string)).toEqual({ ...JSON.parse(RECEIVED_ATTACHED_INFO), hasReadTime: NOW });
    expect(await getMsg('mine')).toMatchObject({ isRead: false, attachedInfo: 'null' });
    expect(ids(expectRows(await call(b, 'getUnreadMessage', C, 'u1'))).sort()).toEqual(['m3', 'm4', 'm5']);
    expect(expectNum(await call(b, 'markConversationMessageAsReadBySeqs', C, '[3,4]', 'u1'))).toBe(2);
    expect(expectNum(await call(b, 'markConversationMessageAsReadBySeqs', C, '[]', 'u1'))).toBe(0);
    expect(expectNum(await call(b, 'markConversationAllMessageAsRead', C, 'u1'))).toBe(1);
    expect(expectList(await call(b, 'getUnreadMessage', C, 'u1'))).toEqual([]);
    expect(expectNum(await call(b, 'markConversationMessageAsReadDB', 'sg_none', '["x"]', 'u1'))).toBe(0);
  });

  it('updateMessage writes present keys only; updateMessageBySeq; updateColumnsMessage whitelist', async () => {
    expectVoid(await call(b, 'updateMessage', C, 'm2', '{"content":"edited","isRead":true}'));
    expect(await getMsg('m2')).toMatchObject({ content: 'edited', isRead: true, seq: 2, senderNickname: 'nick_u1', status: 2 });
    expectFailure(await call(b, 'updateMessage', C, 'nope', '{"content":"x"}'), 'updateMessage', /no message "nope"/);
    expectVoid(await call(b, 'updateMessageBySeq', C, 3, '{"ex":"by-seq","status":3}'));
    expect(await getMsg('m3')).toMatchObject({ ex: 'by-seq', status: 3 });
    expectVoid(await call(b, 'updateMessageBySeq', C, 99, '{"ex":"nobody"}'));
    expectVoid(await call(b, 'updateColumnsMessage', C, 'm4', '{"local_ex":"L","attached_info":"{}"}'));
    expect(await getMsg('m4')).toMatchObject({ localEx: 'L', attachedInfo: '{}' });
    expectFailure(await call(b, 'updateColumnsMessage', C, 'm4', '{"client_msg_id":"x"}'), 'updateColumnsMessage', /cannot be updated/);
    expectFailure(await call(b, 'updateColumnsMessage', C, 'nope', '{"status":2}'), 'updateColumnsMessage', /no message/);
  });

  it('sender profile update, mark-deleted, delete some, delete all', async () => {
    expectVoid(await call(b, 'updateMsgSenderFaceURLAndSenderNickname', C, 'u3', 'http://face', 'New Name'));
    expect(await getMsg('m1')).toMatchObject({ senderFaceURL: 'http://face', senderNickname: 'New Name' });
    expect(await getMsg('mine')).toMatchObject({ senderNickname: 'nick_u1' });
    expectVoid(await call(b, 'deleteConversationMsgs', C, '["m1","m2"]'));
    expectNotFound(await call(b, 'getMessage', C, 'm1'), 'getMessage');
    expectVoid(await call(b, 'markDeleteConversationAllMessages', C));
    expect(await getMsg('m3')).toMatchObject({ status: 4 });
    expect(expectList(await call(b, 'getLatestActiveMessage', C, false))).toEqual([]);
    expectVoid(await call(b, 'deleteConversationAllMessages', C));
    expect(expectList(await call(b, 'getMessageList', C, 20, 0, 0, '', false, 'u1'))).toEqual([]);
    expectVoid(await call(b, 'deleteConversationAllMessages', 'sg_none'));
    expect(tableNames(b)).not.toContain('chat_logs_sg_none');
  });
});

describe('messages: getMessageList matches the native condition', () => {
  it('returns what the native WHERE/ORDER returns, for random pages over ties and unsent messages', async () => {
    // Deterministic pseudo-random data: many equal send times, some unsent (seq 0).
    let x = 42;
    const rand = (n: number): number => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % n;
    };
    const msgs = Array.from({ length: 300 }, (_, i) => {
      const unsent = rand(5) === 0;
      return message({ clientMsgID: `r${i}`, seq: unsent ? 0 : i + 1, sendTime: 1000 + rand(60), status: unsent ? 1 : 2 });
    });
    await batch('sg_rand', msgs);
    const db = new BetterSqlite3(b.databaseFile, { readonly: true });
    try {
      const native = (startTime: number, startSeq: number, startID: string, reverse: boolean, count: number): unknown[] => {
        const [op, order] = reverse ? ['>', 'ASC'] : ['<', 'DESC'];
        const where = `send_time ${op} ? OR (send_time = ? AND (seq ${op} ? OR (seq = 0 AND client_msg_id != ?)))`;
        return db
          .prepare(`SELECT client_msg_id FROM "chat_logs_sg_rand" WHERE ${where} ORDER BY send_time ${order}, seq ${order} LIMIT ?`)
          .pluck()
          .all(startTime, startTime, startSeq, startID, count);
      };
      for (let i = 0; i < 200; i++) {
        const start = msgs[rand(msgs.length)] as ReturnType<typeof message>;
        const reverse = rand(2) === 1;
        const count = 1 + rand(30);
        const got = ids(expectRows(await call(b, 'getMessageList', 'sg_rand', count, start.sendTime, start.seq, start.clientMsgID, reverse, 'u1')));
        // Rows equal in (send_time, seq) — unsent messages at one time — may come in either order.
        const key = (id: unknown): string => {
          const m = msgs.find((mm) => mm.clientMsgID === id) as ReturnType<typeof message>;
          return `${m.sendTime}/${m.seq}`;
        };
        const want = native(start.sendTime, start.seq, start.clientMsgID, reverse, count);
        expect(got.map(key)).toEqual(want.map(key));
      }
    } finally {
      db.close();
    }
  });
});

describe('messages: search', () => {
  beforeEach(async () => {
    const m = (id: string, contentType: number, content: string, sendTime: number, status = 2): Record<string, unknown> =>
      message({ clientMsgID: id, contentType, content, sendTime, status, seq: sendTime });
    await batch(C, [
      m('t1', 101, '{"content":"hello world"}', 1),
      m('t2', 101, '{"content":"hello there"}', 2),
      m('t3', 101, '{"content":"goodbye world"}', 3),
      m('p1', 102, '{"url":"world.png"}', 4),
      m('gone', 101, '{"content":"hello world"}', 5, 4),
    ]);
  });
  const search = async (fn: string, ...a: unknown[]): Promise<unknown[]> => ids(expectRows(await call(b, fn, C, ...a)));

  it('searchMessageByKeyword: any/all keywords, types, window, paging, newest first', async () => {
    expect(await search('searchMessageByKeyword', '[101]', '["hello","world"]', 0, 0, 100, 0, 10)).toEqual(['t3', 't2', 't1']);
    expect(await search('searchMessageByKeyword', '[101]', '["hello","world"]', 1, 0, 100, 0, 10)).toEqual(['t1']);
    expect(await search('searchMessageByKeyword', '[101,102]', '["world"]', 0, 0, 100, 1, 2)).toEqual(['t3', 't1']);
    expect(await search('searchMessageByKeyword', '[101]', '[]', 0, 2, 3, 0, 10)).toEqual(['t3', 't2']);
    expect(await search('searchMessageByKeyword', '[101]', `["'; DROP TABLE x; --"]`, 0, 0, 100, 0, 10)).toEqual([]);
  });

  it('searchMessageByContentType, …AndKeyword, searchAllMessageByContentType', async () => {
    expect(await search('searchMessageByContentType', '[102]', 0, 100, 0, 10)).toEqual(['p1']);
    expect(await search('searchMessageByContentType', '[101]', 0, 100, 1, 1)).toEqual(['t2']);
    expect(await search('searchMessageByContentTypeAndKeyword', '[101]', '["there"]', 0, 0, 100)).toEqual(['t2']);
    expect((await search('searchAllMessageByContentType', 101)).sort()).toEqual(['gone', 't1', 't2', 't3']);
    expect(expectList(await call(b, 'searchAllMessageByContentType', 'sg_none', 101))).toEqual([]);
  });
});
