import { beforeEach, describe, expect, it } from 'vitest';
import type { StorageBridge } from '../../../core-wasm/storage/bridge.ts';
import { BATCH_INSERT_GROUP, BATCH_INSERT_GROUP_MEMBER } from './fixtures.ts';
import { call, expectFailure, expectList, expectNotFound, expectNum, expectObj, expectRows, expectVoid, freshBridgePerTest } from './helpers.ts';

let b: StorageBridge;
freshBridgePerTest((fresh) => (b = fresh.bridge));

const GROUP = (JSON.parse(BATCH_INSERT_GROUP) as Array<Record<string, unknown>>)[0];
const group = (over: Record<string, unknown>): Record<string, unknown> => ({ ...GROUP, ...over });

const MEMBER = (JSON.parse(BATCH_INSERT_GROUP_MEMBER) as Array<Record<string, unknown>>)[0];
const member = (userID: string, roleLevel: number, joinTime: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...MEMBER,
  userID,
  nickname: `nick_${userID}`,
  roleLevel,
  joinTime,
  ...over,
});

describe('groups', () => {
  it('stores the appendix payload (groupName ↔ name) and reads it back whole', async () => {
    expectVoid(await call(b, 'batchInsertGroup', BATCH_INSERT_GROUP));
    expect(expectRows(await call(b, 'getJoinedGroupListDB'))).toEqual([GROUP]);
    expect(expectObj(await call(b, 'getGroupInfoByGroupID', 'g1'))).toEqual(GROUP);
    expectNotFound(await call(b, 'getGroupInfoByGroupID', 'g2'), 'getGroupInfoByGroupID');
    expect(expectRows(await call(b, 'getGroups', '["g1","g9"]')).map((g) => g.groupID)).toEqual(['g1']);
    expect(expectList(await call(b, 'getGroups', 'null'))).toEqual([]);
  });

  it('insertGroup, updateGroup (full row), deleteGroup, deleteAllGroup', async () => {
    expectVoid(await call(b, 'insertGroup', JSON.stringify(group({ groupID: 'g2', notification: 'hi' }))));
    const updated = group({ groupID: 'g2', groupName: 'renamed', notification: '', memberCount: 3 });
    expectVoid(await call(b, 'updateGroup', 'g2', JSON.stringify(updated)));
    expect(expectObj(await call(b, 'getGroupInfoByGroupID', 'g2'))).toEqual(updated);
    expectFailure(await call(b, 'updateGroup', 'g9', JSON.stringify(group({ groupID: 'g9' }))), 'updateGroup', /no group/);
    expectVoid(await call(b, 'insertGroup', JSON.stringify(group({ groupID: 'g3' }))));
    expectVoid(await call(b, 'deleteGroup', 'g2'));
    expect(expectRows(await call(b, 'getJoinedGroupListDB')).map((g) => g.groupID)).toEqual(['g3']);
    expectVoid(await call(b, 'deleteAllGroup'));
    expect(expectList(await call(b, 'getJoinedGroupListDB'))).toEqual([]);
  });

  it('getAllGroupInfoByGroupIDOrGroupName: by ID, by name, both; newest first', async () => {
    expectVoid(
      await call(
        b,
        'batchInsertGroup',
        JSON.stringify([group({ groupID: 'team-1', groupName: 'Alpha', createTime: 1 }), group({ groupID: 'x2', groupName: 'team room', createTime: 2 })]),
      ),
    );
    const ids = async (...a: unknown[]): Promise<unknown[]> => expectRows(await call(b, 'getAllGroupInfoByGroupIDOrGroupName', ...a)).map((g) => g.groupID);
    expect(await ids('team', true, false)).toEqual(['team-1']);
    expect(await ids('team', false, true)).toEqual(['x2']);
    expect(await ids('team', true, true)).toEqual(['x2', 'team-1']);
  });
});

describe('group members', () => {
  beforeEach(async () => {
    expectVoid(
      await call(
        b,
        'batchInsertGroupMember',
        JSON.stringify([
          member('owner', 100, 10),
          member('admin1', 60, 30),
          member('admin2', 60, 20),
          member('m1', 20, 50),
          member('m2', 20, 40, { nickname: 'Zoe' }),
          { ...member('other', 20, 1), groupID: 'g2' },
        ]),
      ),
    );
  });
  const ids = (rows: Array<Record<string, unknown>>): unknown[] => rows.map((m) => m.userID);

  it('stores the appendix member (faceURL ↔ user_group_face_url) and finds it', async () => {
    expectVoid(await call(b, 'batchInsertGroupMember', JSON.stringify([{ ...MEMBER, groupID: 'g9', faceURL: 'http://f' }])));
    expect(expectObj(await call(b, 'getGroupMemberInfoByGroupIDUserID', 'g9', 'u2'))).toEqual({ ...MEMBER, groupID: 'g9', faceURL: 'http://f' });
    expectNotFound(await call(b, 'getGroupMemberInfoByGroupIDUserID', 'g9', 'u3'), 'getGroupMemberInfoByGroupIDUserID');
  });

  it('lists and counts per group', async () => {
    expect(ids(expectRows(await call(b, 'getGroupMemberListByGroupID', 'g1'))).sort()).toEqual(['admin1', 'admin2', 'm1', 'm2', 'owner']);
    expect(expectNum(await call(b, 'getGroupMemberCount', 'g1'))).toBe(5);
    expect(ids(expectRows(await call(b, 'getGroupSomeMemberInfo', 'g1', '["m1","other","owner"]'))).sort()).toEqual(['m1', 'owner']);
    expect(ids(expectRows(await call(b, 'getGroupMemberOwnerAndAdminDB', 'g1')))).toEqual(['admin1', 'admin2', 'owner']);
  });

  it('getGroupMemberListSplit applies each filter with its order and paging', async () => {
    const split = async (filter: number, offset = 0, count = 100): Promise<unknown[]> =>
      ids(expectRows(await call(b, 'getGroupMemberListSplit', 'g1', filter, offset, count)));
    expect(await split(0)).toEqual(['owner', 'admin2', 'admin1', 'm2', 'm1']);
    expect(await split(1)).toEqual(['owner']);
    expect(await split(2)).toEqual(['admin2', 'admin1']);
    expect(await split(3)).toEqual(['m2', 'm1']);
    expect(await split(4)).toEqual(['admin2', 'admin1', 'm2', 'm1']);
    expect(await split(5)).toEqual(['owner', 'admin2', 'admin1']);
    expect(await split(0, 1, 2)).toEqual(['admin2', 'admin1']);
    expectFailure(await call(b, 'getGroupMemberListSplit', 'g1', 9, 0, 10), 'getGroupMemberListSplit', /unknown member filter 9/);
  });

  it('getGroupMemberListByUserIDs filters by role within the list', async () => {
    const by = async (filter: number, list: string): Promise<unknown[]> => ids(expectRows(await call(b, 'getGroupMemberListByUserIDs', 'g1', filter, list))).sort();
    expect(await by(0, '["owner","m1","other"]')).toEqual(['m1', 'owner']);
    expect(await by(3, '["owner","m1"]')).toEqual(['m1']);
    expect(await by(5, '["owner","m1","admin1"]')).toEqual(['admin1', 'owner']);
    expect(await by(0, 'null')).toEqual([]);
  });

  it('getGroupMemberListSplitByJoinTimeFilter: time window, exclusions, newest first', async () => {
    const f = async (...a: unknown[]): Promise<unknown[]> => ids(expectRows(await call(b, 'getGroupMemberListSplitByJoinTimeFilter', 'g1', ...a)));
    expect(await f(0, 10, 20, 40, '[]')).toEqual(['m2', 'admin1', 'admin2']);
    expect(await f(0, 10, 20, 40, 'null')).toEqual(['m2', 'admin1', 'admin2']);
    expect(await f(0, 10, 20, 40, '["admin1"]')).toEqual(['m2', 'admin2']);
    expect(await f(1, 1, 0, 100, '[]')).toEqual(['m2']);
  });

  it('searchGroupMembersDB by user ID and/or nickname, within a group or all', async () => {
    const s = async (...a: unknown[]): Promise<unknown[]> => ids(expectRows(await call(b, 'searchGroupMembersDB', ...a)));
    expect(await s('m', 'g1', false, true, 0, 10)).toEqual(['admin2', 'admin1', 'm2', 'm1']);
    expect(await s('zo', 'g1', true, false, 0, 10)).toEqual(['m2']);
    expect(await s('other', '', false, true, 0, 10)).toEqual(['other']);
    expect(await s('other', 'g1', true, true, 0, 10)).toEqual([]);
    expectFailure(await call(b, 'searchGroupMembersDB', 'x', 'g1', false, false, 0, 10), 'searchGroupMembersDB');
  });

  it('insertGroupMember, updateGroupMember (full row), deleteGroupMember, deleteGroupAllMembers', async () => {
    expectVoid(await call(b, 'insertGroupMember', JSON.stringify(member('new', 20, 99, { groupID: 'g3' }))));
    const updated = member('new', 60, 99, { groupID: 'g3', nickname: '', muteEndTime: 123 });
    expectVoid(await call(b, 'updateGroupMember', JSON.stringify(updated)));
    expect(expectObj(await call(b, 'getGroupMemberInfoByGroupIDUserID', 'g3', 'new'))).toEqual(updated);
    expectFailure(await call(b, 'updateGroupMember', JSON.stringify(member('ghost', 20, 1, { groupID: 'g3' }))), 'updateGroupMember', /no member/);
    expectVoid(await call(b, 'deleteGroupMember', 'g1', 'm1'));
    expect(expectNum(await call(b, 'getGroupMemberCount', 'g1'))).toBe(4);
    expectVoid(await call(b, 'deleteGroupAllMembers', 'g1'));
    expect(expectNum(await call(b, 'getGroupMemberCount', 'g1'))).toBe(0);
    expect(expectNum(await call(b, 'getGroupMemberCount', 'g2'))).toBe(1);
  });
});
