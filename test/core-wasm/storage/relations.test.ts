import { describe, expect, it } from 'vitest';
import type { StorageBridge } from '../../../core-wasm/storage/bridge.ts';
import { BATCH_INSERT_FRIEND, INSERT_LOGIN_USER } from './fixtures.ts';
import { call, expectFailure, expectList, expectNotFound, expectNum, expectObj, expectRows, expectVoid, freshBridgePerTest } from './helpers.ts';

let b: StorageBridge;
freshBridgePerTest((fresh) => (b = fresh.bridge));

function friend(userID: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ownerUserID: 'u1',
    userID,
    remark: '',
    createTime: 1000,
    addSource: 1,
    operatorUserID: 'u1',
    nickname: `nick_${userID}`,
    faceURL: '',
    ex: '',
    attachedInfo: '',
    isPinned: false,
    ...over,
  };
}

describe('login user', () => {
  it('inserts the omitempty payload and answers 10002 for any other ID', async () => {
    expectNotFound(await call(b, 'getLoginUser', 'u1'), 'getLoginUser');
    expectVoid(await call(b, 'insertLoginUser', INSERT_LOGIN_USER));
    expect(expectObj(await call(b, 'getLoginUser', 'u1'))).toEqual({
      userID: 'u1',
      nickname: 'nick_u1',
      faceURL: '',
      createTime: 1700000000000,
      ex: '',
      attachedInfo: '',
      globalRecvMsgOpt: 0,
    });
    // The user cache probes peers here too.
    expectNotFound(await call(b, 'getLoginUser', 'u2'), 'getLoginUser');
    expectFailure(await call(b, 'insertLoginUser', INSERT_LOGIN_USER), 'insertLoginUser', /UNIQUE|PRIMARYKEY|constraint/i);
  });

  it('updateLoginUser writes every column, zero values included; no row is an error', async () => {
    expectVoid(await call(b, 'insertLoginUser', '{"userID":"u1","nickname":"n","faceURL":"f","ex":"e"}'));
    const full = { userID: 'u1', nickname: 'new', faceURL: '', createTime: 5, ex: '', attachedInfo: 'a', globalRecvMsgOpt: 2 };
    expectVoid(await call(b, 'updateLoginUser', JSON.stringify(full)));
    expect(expectObj(await call(b, 'getLoginUser', 'u1'))).toEqual(full);
    expectFailure(await call(b, 'updateLoginUser', JSON.stringify({ ...full, userID: 'nobody' })), 'updateLoginUser', /no user/);
  });

  it('updateLoginUserByMap updates named columns only', async () => {
    expectVoid(await call(b, 'insertLoginUser', INSERT_LOGIN_USER));
    expectVoid(await call(b, 'updateLoginUserByMap', 'u1', { name: 'renamed', global_recv_msg_opt: 1 }));
    expect(expectObj(await call(b, 'getLoginUser', 'u1'))).toMatchObject({ nickname: 'renamed', globalRecvMsgOpt: 1, createTime: 1700000000000 });
    expectFailure(await call(b, 'updateLoginUserByMap', 'u1', { birth_time: '2000-01-01' }), 'updateLoginUserByMap', /birth_time/);
    expectFailure(await call(b, 'updateLoginUserByMap', 'u1', { 'name = 1; DROP TABLE local_users; --': 'x' }), 'updateLoginUserByMap');
    expectFailure(await call(b, 'updateLoginUserByMap', 'u1', '{"name":"x"}'), 'updateLoginUserByMap', /must be an object/);
  });
});

describe('friends', () => {
  it('stores the appendix payload and maps userID/nickname/isPinned back', async () => {
    expectVoid(await call(b, 'batchInsertFriend', BATCH_INSERT_FRIEND));
    const [f] = expectRows(await call(b, 'getAllFriendList', 'u1'));
    expect(f).toEqual((JSON.parse(BATCH_INSERT_FRIEND) as unknown[])[0]);
    expect(expectObj(await call(b, 'getFriendInfoByFriendUserID', 'u2', 'u1'))).toMatchObject({ userID: 'u2', nickname: 'nick_u2', isPinned: false });
    expectNotFound(await call(b, 'getFriendInfoByFriendUserID', 'u3', 'u1'), 'getFriendInfoByFriendUserID');
    expect(expectList(await call(b, 'getAllFriendList', 'someone-else'))).toEqual([]);
  });

  it('getFriendInfoList takes a list or null', async () => {
    expectVoid(await call(b, 'batchInsertFriend', JSON.stringify([friend('u2'), friend('u3'), friend('u4')])));
    expect(
      expectRows(await call(b, 'getFriendInfoList', '["u3","u4","nobody"]'))
        .map((f) => f.userID)
        .sort(),
    ).toEqual(['u3', 'u4']);
    expect(expectList(await call(b, 'getFriendInfoList', 'null'))).toEqual([]);
    expect(expectList(await call(b, 'getFriendInfoList', '[]'))).toEqual([]);
    expectVoid(await call(b, 'batchInsertFriend', 'null'));
  });

  it('insertFriend, deleteFriendDB, deleteAllFriend, getFriendListCount, getPageFriendList', async () => {
    expectVoid(await call(b, 'insertFriend', JSON.stringify(friend('u3', { nickname: 'b' }))));
    expectVoid(await call(b, 'insertFriend', JSON.stringify(friend('u2', { nickname: 'a' }))));
    expectVoid(await call(b, 'insertFriend', JSON.stringify(friend('u4', { nickname: 'c' }))));
    expect(expectNum(await call(b, 'getFriendListCount'))).toBe(3);
    expect(expectRows(await call(b, 'getPageFriendList', 1, 2, 'u1')).map((f) => f.nickname)).toEqual(['b', 'c']);
    expectVoid(await call(b, 'deleteFriendDB', 'u3', 'u1'));
    expect(
      expectRows(await call(b, 'getAllFriendList', 'u1'))
        .map((f) => f.userID)
        .sort(),
    ).toEqual(['u2', 'u4']);
    expectVoid(await call(b, 'deleteAllFriend'));
    expect(expectNum(await call(b, 'getFriendListCount'))).toBe(0);
  });

  it('updateFriend takes friendUserID and writes the friend as the server has it', async () => {
    expectVoid(await call(b, 'insertFriend', JSON.stringify(friend('u2', { remark: 'old', isPinned: true }))));
    // omitempty: remark "" and isPinned false are absent — they are the new values.
    const temp = { ownerUserID: 'u1', friendUserID: 'u2', createTime: 1000, addSource: 1, operatorUserID: 'u1', nickname: 'renamed' };
    expectVoid(await call(b, 'updateFriend', JSON.stringify(temp)));
    expect(expectObj(await call(b, 'getFriendInfoByFriendUserID', 'u2', 'u1'))).toMatchObject({
      userID: 'u2',
      nickname: 'renamed',
      remark: '',
      isPinned: false,
      createTime: 1000,
    });
    expectVoid(await call(b, 'updateFriend', JSON.stringify({ ...temp, isPinned: true, remark: 'r' })));
    expect(expectObj(await call(b, 'getFriendInfoByFriendUserID', 'u2', 'u1'))).toMatchObject({ isPinned: true, remark: 'r' });
    expectFailure(await call(b, 'updateFriend', JSON.stringify({ ...temp, friendUserID: 'nobody' })), 'updateFriend', /no friend/);
  });

  it('searchFriendList ORs the chosen columns, newest first', async () => {
    expectVoid(
      await call(
        b,
        'batchInsertFriend',
        JSON.stringify([
          friend('alice', { nickname: 'Zed', remark: '', createTime: 1 }),
          friend('bob', { nickname: 'Alfred', remark: '', createTime: 2 }),
          friend('carl', { nickname: 'Carl', remark: 'my pal', createTime: 3 }),
        ]),
      ),
    );
    const ids = async (...args: unknown[]): Promise<unknown[]> => expectRows(await call(b, 'searchFriendList', ...args)).map((f) => f.userID);
    expect(await ids('al', true, false, false)).toEqual(['alice']);
    expect(await ids('al', true, true, false)).toEqual(['bob', 'alice']);
    expect(await ids('al', true, true, true)).toEqual(['carl', 'bob', 'alice']);
    expect(await ids('al', false, false, true)).toEqual(['carl']);
    expect(await ids("'; DROP TABLE local_friends; --", true, true, true)).toEqual([]);
    expect(await ids('x', false, false, false)).toEqual(['carl', 'bob', 'alice']);
  });

  it('updateColumnsFriend updates whitelisted columns of the listed friends', async () => {
    expectVoid(await call(b, 'batchInsertFriend', JSON.stringify([friend('u2'), friend('u3')])));
    expectVoid(await call(b, 'updateColumnsFriend', '["u2"]', '{"is_pinned":true,"remark":"x"}'));
    const rows = expectRows(await call(b, 'getAllFriendList', 'u1'));
    expect(rows.find((f) => f.userID === 'u2')).toMatchObject({ isPinned: true, remark: 'x' });
    expect(rows.find((f) => f.userID === 'u3')).toMatchObject({ isPinned: false, remark: '' });
    expectFailure(await call(b, 'updateColumnsFriend', '["u2"]', '{"friend_user_id":"evil"}'), 'updateColumnsFriend', /cannot be updated/);
  });
});

describe('black list', () => {
  const black = (userID: string, over: Record<string, unknown> = {}): string =>
    JSON.stringify({
      ownerUserID: 'u1',
      userID,
      nickname: `n_${userID}`,
      faceURL: '',
      createTime: 1,
      addSource: 0,
      operatorUserID: 'u1',
      ex: '',
      attachedInfo: '',
      ...over,
    });

  it('insert, list, lookups by user ID (userID key), delete', async () => {
    expect(expectList(await call(b, 'getBlackListDB'))).toEqual([]);
    expectVoid(await call(b, 'insertBlack', black('u5')));
    expectVoid(await call(b, 'insertBlack', black('u6')));
    expect(expectRows(await call(b, 'getBlackListDB')).map((r) => r.userID)).toEqual(['u5', 'u6']);
    expect(expectRows(await call(b, 'getBlackInfoList', '["u6"]'))).toEqual([JSON.parse(black('u6'))]);
    expect(expectList(await call(b, 'getBlackInfoList', 'null'))).toEqual([]);
    expect(expectList(await call(b, 'getBlackListUserID'))).toEqual(['u5', 'u6']);
    expect(expectObj(await call(b, 'getBlackInfoByBlockUserID', 'u5', 'u1'))).toMatchObject({ userID: 'u5', ownerUserID: 'u1' });
    expectNotFound(await call(b, 'getBlackInfoByBlockUserID', 'u7', 'u1'), 'getBlackInfoByBlockUserID');
    expectVoid(await call(b, 'deleteBlack', 'u5', 'u1'));
    expect(expectList(await call(b, 'getBlackListUserID'))).toEqual(['u6']);
  });

  it('updateBlack takes (owner, block, omitempty JSON) and keeps absent keys', async () => {
    expectVoid(await call(b, 'insertBlack', black('u5', { ex: 'keep' })));
    expectVoid(await call(b, 'updateBlack', 'u1', 'u5', '{"nickname":"renamed","createTime":9}'));
    expect(expectObj(await call(b, 'getBlackInfoByBlockUserID', 'u5', 'u1'))).toMatchObject({ nickname: 'renamed', createTime: 9, ex: 'keep' });
    expectFailure(await call(b, 'updateBlack', 'u1', 'u9', '{"nickname":"x"}'), 'updateBlack', /no black-list entry/);
  });
});
