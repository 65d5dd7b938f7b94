import { describe, expect, it } from 'vitest';
import type { StorageBridge } from '../../../core-wasm/storage/bridge.ts';
import { CONVERSATION, UPDATE_CONVERSATION_U3, conversation } from './fixtures.ts';
import { NOW, call, expectBool, expectFailure, expectList, expectNotFound, expectNum, expectObj, expectRows, expectVoid, freshBridgePerTest } from './helpers.ts';

let b: StorageBridge;
freshBridgePerTest((fresh) => (b = fresh.bridge));

const insert = async (c: Record<string, unknown>): Promise<void> => expectVoid(await call(b, 'insertConversation', JSON.stringify(c)));
const get = async (id: string): Promise<Record<string, unknown>> => expectObj(await call(b, 'getConversation', id));
const ids = (rows: Array<Record<string, unknown>>): unknown[] => rows.map((c) => c.conversationID);

describe('conversations', () => {
  it('insertConversation (appendix payload) round-trips, with gorm defaults for zero values', async () => {
    expectNotFound(await call(b, 'getConversation', 'si_u1_u2'), 'getConversation');
    await insert(CONVERSATION);
    // Zero burnDuration/msgDestructTime take the column defaults, as gorm's Create does.
    expect(await get('si_u1_u2')).toEqual({ ...CONVERSATION, burnDuration: 30, msgDestructTime: 604800 });
    await insert(conversation({ conversationID: 'si_u1_u5', burnDuration: 5, msgDestructTime: 7, isPinned: true, isMsgDestruct: true }));
    expect(await get('si_u1_u5')).toMatchObject({ burnDuration: 5, msgDestructTime: 7, isPinned: true, isMsgDestruct: true });
    expectFailure(await call(b, 'insertConversation', JSON.stringify(CONVERSATION)), 'insertConversation', /constraint/i);
  });

  it('lists: visible ordered pinned first then by latest activity, hidden, all, IDs, split', async () => {
    expectVoid(
      await call(
        b,
        'batchInsertConversationList',
        JSON.stringify([
          conversation({ conversationID: 'si_u1_a', latestMsgSendTime: 100 }),
          conversation({ conversationID: 'si_u1_b', latestMsgSendTime: 300 }),
          conversation({ conversationID: 'sg_pinned', conversationType: 3, latestMsgSendTime: 50, isPinned: true }),
          conversation({ conversationID: 'si_u1_draft', latestMsgSendTime: 200, draftTextTime: 400 }),
          conversation({ conversationID: 'si_u1_hidden', latestMsgSendTime: 0, unreadCount: 4 }),
        ]),
      ),
    );
    expect(ids(expectRows(await call(b, 'getAllConversationListDB')))).toEqual(['sg_pinned', 'si_u1_draft', 'si_u1_b', 'si_u1_a']);
    expect(ids(expectRows(await call(b, 'getConversationListSplitDB', 1, 2)))).toEqual(['si_u1_draft', 'si_u1_b']);
    expect(ids(expectRows(await call(b, 'getHiddenConversationList')))).toEqual(['si_u1_hidden']);
    expect(expectRows(await call(b, 'getAllConversations'))).toHaveLength(5);
    expect(expectList(await call(b, 'getAllConversationIDList'))).toHaveLength(5);
    expect((expectList(await call(b, 'getAllSingleConversationIDList')) as string[]).sort()).toEqual(['si_u1_a', 'si_u1_b', 'si_u1_draft', 'si_u1_hidden']);
    expect(expectList(await call(b, 'findAllUnreadConversationConversationID'))).toEqual(['si_u1_hidden']);
    expect(ids(expectRows(await call(b, 'getMultipleConversationDB', '["si_u1_a","nope"]')))).toEqual(['si_u1_a']);
    expect(expectList(await call(b, 'getMultipleConversationDB', 'null'))).toEqual([]);
  });

  it('batchInsertConversationList("null") and ("[]") succeed without writing', async () => {
    expectVoid(await call(b, 'batchInsertConversationList', 'null'));
    expectVoid(await call(b, 'batchInsertConversationList', '[]'));
    expect(expectList(await call(b, 'getAllConversationIDList'))).toEqual([]);
  });

  it('getConversationByUserID, searchConversations, conversationIfExists', async () => {
    await insert(conversation({ conversationID: 'si_u1_u2', userID: 'u2', showName: 'Alice Smith', latestMsgSendTime: 1 }));
    await insert(conversation({ conversationID: 'si_u1_u3', userID: 'u3', showName: 'Bob Smith', latestMsgSendTime: 2 }));
    expect(await call(b, 'getConversationByUserID', 'u3').then(expectObj)).toMatchObject({ conversationID: 'si_u1_u3' });
    expectNotFound(await call(b, 'getConversationByUserID', 'u9'), 'getConversationByUserID');
    expect(ids(expectRows(await call(b, 'searchConversations', 'smith')))).toEqual(['si_u1_u3', 'si_u1_u2']);
    expect(expectList(await call(b, 'searchConversations', '%"'))).toEqual([]);
    expect(expectBool(await call(b, 'conversationIfExists', 'si_u1_u2'))).toBe(true);
    expect(expectBool(await call(b, 'conversationIfExists', 'si_u1_u9'))).toBe(false);
  });

  it('updateConversation writes present keys only; a missing row is an error', async () => {
    await insert(conversation({ conversationID: 'si_u1_u3', userID: 'u3', ex: 'keep', isPinned: true }));
    expectVoid(await call(b, 'updateConversation', 'si_u1_u3', UPDATE_CONVERSATION_U3));
    expect(await get('si_u1_u3')).toMatchObject({ showName: 'nick_u3', unreadCount: 1, latestMsg: '{}', latestMsgSendTime: 1795497151364, ex: 'keep', isPinned: true });
    expectFailure(await call(b, 'updateConversation', 'si_u1_u9', UPDATE_CONVERSATION_U3), 'updateConversation', /no conversation/);
  });

  it('updateColumnsConversation takes column names and booleans; unknown columns refused', async () => {
    await insert(CONVERSATION);
    expectVoid(await call(b, 'updateColumnsConversation', 'si_u1_u2', '{"latest_msg":"{\\"x\\":1}","latest_msg_send_time":1795497735061}'));
    expectVoid(await call(b, 'updateColumnsConversation', 'si_u1_u2', '{"is_pinned":true,"unread_count":0,"is_private_chat":true,"burn_duration":9}'));
    expect(await get('si_u1_u2')).toMatchObject({ latestMsg: '{"x":1}', latestMsgSendTime: 1795497735061, isPinned: true, isPrivateChat: true, burnDuration: 9 });
    expectFailure(await call(b, 'updateColumnsConversation', 'si_u1_u2', '{"conversation_id":"x"}'), 'updateColumnsConversation', /cannot be updated/);
    expectFailure(await call(b, 'updateColumnsConversation', 'si_u1_u2', '{"is_pinned":"yes"}'), 'updateColumnsConversation', /boolean/);
    expectFailure(await call(b, 'updateColumnsConversation', 'si_u1_u9', '{"unread_count":0}'), 'updateColumnsConversation', /no conversation/);
  });

  it('updateConversationForSync writes the sync keys, zero values included', async () => {
    await insert(conversation({ isPinned: true, recvMsgOpt: 2, ex: 'old' }));
    const part = { recvMsgOpt: 0, groupAtType: 0, isPinned: false, isPrivateChat: false, isNotInGroup: false, updateUnreadCountTime: 5, attachedInfo: '', ex: '' };
    expectVoid(await call(b, 'updateConversationForSync', 'si_u1_u2', JSON.stringify(part)));
    expect(await get('si_u1_u2')).toMatchObject({ isPinned: false, recvMsgOpt: 0, ex: '', updateUnreadCountTime: 5, burnDuration: 30 });
  });

  it('clear keeps the conversation listed, reset hides it; resetAll; delete; deleteAll', async () => {
    const c = { unreadCount: 3, latestMsg: '{}', latestMsgSendTime: 10, draftText: 'd', draftTextTime: 11 };
    await insert(conversation({ conversationID: 'si_u1_a', ...c }));
    await insert(conversation({ conversationID: 'si_u1_b', ...c }));
    await insert(conversation({ conversationID: 'si_u1_c', ...c }));
    expectVoid(await call(b, 'clearConversation', 'si_u1_a'));
    expect(await get('si_u1_a')).toMatchObject({ unreadCount: 0, latestMsg: '', draftText: '', draftTextTime: 0, latestMsgSendTime: 10 });
    expectVoid(await call(b, 'resetConversation', 'si_u1_b'));
    expect(await get('si_u1_b')).toMatchObject({ unreadCount: 0, latestMsg: '', latestMsgSendTime: 0 });
    expect(ids(expectRows(await call(b, 'getHiddenConversationList')))).toEqual(['si_u1_b']);
    expectFailure(await call(b, 'clearConversation', 'si_u1_zz'), 'clearConversation');
    expectFailure(await call(b, 'resetConversation', 'si_u1_zz'), 'resetConversation');
    expectVoid(await call(b, 'resetAllConversation'));
    expect(expectList(await call(b, 'getAllConversationListDB'))).toEqual([]);
    expectVoid(await call(b, 'deleteConversation', 'si_u1_a'));
    expect(expectList(await call(b, 'getAllConversationIDList'))).toHaveLength(2);
    expectVoid(await call(b, 'deleteAllConversation'));
    expect(expectList(await call(b, 'getAllConversationIDList'))).toEqual([]);
  });

  it('drafts: set stamps now (and un-hides), remove clears the time', async () => {
    await insert(conversation({ latestMsgSendTime: 0 }));
    expectVoid(await call(b, 'setConversationDraftDB', 'si_u1_u2', 'typing…'));
    expect(await get('si_u1_u2')).toMatchObject({ draftText: 'typing…', draftTextTime: NOW, latestMsgSendTime: NOW });
    await insert(conversation({ conversationID: 'si_u1_u3', latestMsgSendTime: 5 }));
    expectVoid(await call(b, 'setConversationDraftDB', 'si_u1_u3', 'x'));
    expect(await get('si_u1_u3')).toMatchObject({ draftTextTime: NOW, latestMsgSendTime: 5 });
    expectVoid(await call(b, 'removeConversationDraft', 'si_u1_u3', ''));
    expect(await get('si_u1_u3')).toMatchObject({ draftText: '', draftTextTime: 0 });
    expectFailure(await call(b, 'setConversationDraftDB', 'si_u1_zz', 'x'), 'setConversationDraftDB', /no conversation/);
  });

  it('unread counts: decrement clamps at 0, increment, total skips hidden and not-notify', async () => {
    expect(expectNum(await call(b, 'getTotalUnreadMsgCountDB'))).toBe(0);
    await insert(conversation({ conversationID: 'si_u1_a', unreadCount: 5, latestMsgSendTime: 1 }));
    await insert(conversation({ conversationID: 'si_u1_b', unreadCount: 2, latestMsgSendTime: 1, recvMsgOpt: 1 }));
    await insert(conversation({ conversationID: 'si_u1_c', unreadCount: 7, latestMsgSendTime: 1, recvMsgOpt: 2 }));
    await insert(conversation({ conversationID: 'si_u1_d', unreadCount: 9, latestMsgSendTime: 0 }));
    expect(expectNum(await call(b, 'getTotalUnreadMsgCountDB'))).toBe(7);
    expectVoid(await call(b, 'decrConversationUnreadCount', 'si_u1_a', 3));
    expect(await get('si_u1_a')).toMatchObject({ unreadCount: 2 });
    expectVoid(await call(b, 'decrConversationUnreadCount', 'si_u1_a', 10));
    expect(await get('si_u1_a')).toMatchObject({ unreadCount: 0 });
    expectVoid(await call(b, 'incrConversationUnreadCount', 'si_u1_a'));
    expect(await get('si_u1_a')).toMatchObject({ unreadCount: 1 });
    expectFailure(await call(b, 'decrConversationUnreadCount', 'si_u1_zz', 1), 'decrConversationUnreadCount');
  });

  it('setMultipleConversationRecvMsgOpt, unPinConversation, updateAllConversation', async () => {
    await insert(conversation({ conversationID: 'si_u1_a', isPinned: true, draftTextTime: 9 }));
    await insert(conversation({ conversationID: 'si_u1_b' }));
    expectVoid(await call(b, 'setMultipleConversationRecvMsgOpt', '["si_u1_a","si_u1_b"]', 2));
    expect(await get('si_u1_b')).toMatchObject({ recvMsgOpt: 2 });
    expectVoid(await call(b, 'unPinConversation', 'si_u1_a', 0));
    expect(await get('si_u1_a')).toMatchObject({ isPinned: false, draftTextTime: 0 });
    expectVoid(await call(b, 'updateAllConversation'));
  });
});
