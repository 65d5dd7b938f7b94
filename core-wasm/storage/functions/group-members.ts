/** Group members (`local_group_members`): JSON `faceURL` is user_group_face_url. */
import { jsonList, listJson, oneJson, oneNumber, run } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { StorageError } from '../errors.ts';
import { allColumns, expectRecord, expectStringList, toSqlValue } from '../model-input.ts';
import { field, jsonObjectSql, quoteIdent } from '../model.ts';
import { GROUP_MEMBER } from '../models.ts';
import { bool, int, json, str } from '../params.ts';
import { insertAll, insertOne, updateExisting } from '../rows.ts';

const T = quoteIdent(GROUP_MEMBER.table);
const SELECT = `SELECT ${jsonObjectSql(GROUP_MEMBER)} FROM ${T}`;

/** roleLevel values. */
export const ROLE = { owner: 100, admin: 60, member: 20 } as const;

/**
 * The core's member filters (constant.GroupFilter*): which roles, and the order the
 * paged list uses (the native store orders 1 not at all).
 */
export const MEMBER_FILTERS: Readonly<Record<number, { roles: readonly number[] | undefined; order: string }>> = {
  0: { roles: undefined, order: 'ORDER BY role_level DESC, join_time ASC' },
  1: { roles: [ROLE.owner], order: '' },
  2: { roles: [ROLE.admin], order: 'ORDER BY join_time ASC' },
  3: { roles: [ROLE.member], order: 'ORDER BY join_time ASC' },
  4: { roles: [ROLE.admin, ROLE.member], order: 'ORDER BY role_level DESC, join_time ASC' },
  5: { roles: [ROLE.owner, ROLE.admin], order: 'ORDER BY role_level DESC, join_time ASC' },
};

function memberFilter(fn: string, filter: number): { where: string; params: string[]; order: string } {
  const f = MEMBER_FILTERS[filter];
  if (!f) throw new StorageError(`${fn}: unknown member filter ${filter}`);
  if (!f.roles) return { where: '', params: [], order: f.order };
  return { where: ' AND role_level IN (SELECT value FROM json_each(?))', params: [jsonList(f.roles)], order: f.order };
}

function memberKey(fn: string, member: unknown): [string, string] {
  const rec = expectRecord(fn, 'the member', member);
  const group = toSqlValue(fn, field(GROUP_MEMBER, 'group_id'), rec.groupID);
  const user = toSqlValue(fn, field(GROUP_MEMBER, 'user_id'), rec.userID);
  if (typeof group !== 'string' || typeof user !== 'string') throw new StorageError(`${fn}: groupID and userID are required`);
  return [group, user];
}

export const GROUP_MEMBER_FUNCTIONS: FunctionTable = {
  getGroupMemberListByGroupID: define({
    tier: 'P1',
    params: [str('groupID')],
    returns: 'list',
    run: (ctx, groupID) => listJson(ctx, `${SELECT} WHERE group_id = ?`, [groupID]),
  }),
  getGroupMemberInfoByGroupIDUserID: define({
    tier: 'P1',
    params: [str('groupID'), str('userID')],
    returns: 'obj',
    run: (ctx, groupID, userID) => oneJson(ctx, `${SELECT} WHERE group_id = ? AND user_id = ?`, [groupID, userID]),
  }),
  getGroupSomeMemberInfo: define({
    tier: 'P1',
    params: [str('groupID'), json('userIDList')],
    returns: 'list',
    run: (ctx, groupID, ids) => {
      const list = expectStringList('getGroupSomeMemberInfo', 'userIDList', ids);
      return listJson(ctx, `${SELECT} WHERE group_id = ? AND user_id IN (SELECT value FROM json_each(?))`, [groupID, jsonList(list)]);
    },
  }),
  getGroupMemberListSplit: define({
    tier: 'P1',
    params: [str('groupID'), int('filter'), int('offset'), int('count')],
    returns: 'list',
    run: (ctx, groupID, filter, offset, count) => {
      const f = memberFilter('getGroupMemberListSplit', filter);
      return listJson(ctx, `${SELECT} WHERE group_id = ?${f.where} ${f.order} LIMIT ? OFFSET ?`, [groupID, ...f.params, count, offset]);
    },
  }),
  getGroupMemberListByUserIDs: define({
    tier: 'P1',
    params: [str('groupID'), int('filter'), json('userIDs')],
    returns: 'list',
    run: (ctx, groupID, filter, ids) => {
      const fn = 'getGroupMemberListByUserIDs';
      const f = memberFilter(fn, filter);
      const list = expectStringList(fn, 'userIDs', ids);
      return listJson(ctx, `${SELECT} WHERE group_id = ?${f.where} AND user_id IN (SELECT value FROM json_each(?))`, [groupID, ...f.params, jsonList(list)]);
    },
  }),
  getGroupMemberOwnerAndAdminDB: define({
    tier: 'P1',
    params: [str('groupID')],
    returns: 'list',
    run: (ctx, groupID) => listJson(ctx, `${SELECT} WHERE group_id = ? AND role_level IN (?, ?) ORDER BY join_time DESC`, [groupID, ROLE.owner, ROLE.admin]),
  }),
  getGroupMemberListSplitByJoinTimeFilter: define({
    tier: 'P1',
    params: [str('groupID'), int('offset'), int('count'), int('joinTimeBegin'), int('joinTimeEnd'), json('userIDList')],
    returns: 'list',
    run: (ctx, groupID, offset, count, begin, end, ids) => {
      const list = expectStringList('getGroupMemberListSplitByJoinTimeFilter', 'userIDList', ids);
      // NOT IN over an empty list excludes nothing, as the native "no list" branch.
      return listJson(
        ctx,
        `${SELECT} WHERE group_id = ? AND join_time BETWEEN ? AND ? AND user_id NOT IN (SELECT value FROM json_each(?)) ORDER BY join_time DESC LIMIT ? OFFSET ?`,
        [groupID, begin, end, jsonList(list), count, offset],
      );
    },
  }),
  searchGroupMembersDB: define({
    tier: 'P1',
    params: [str('keyword'), str('groupID'), bool('isSearchMemberNickname'), bool('isSearchUserID'), int('offset'), int('count')],
    returns: 'list',
    run: (ctx, keyword, groupID, byNickname, byUserID, offset, count) => {
      if (!byNickname && !byUserID) throw new StorageError('searchGroupMembersDB: search by nickname or by user ID (or both)');
      const conds: string[] = [];
      if (byUserID) conds.push("user_id LIKE '%' || ? || '%'");
      if (byNickname) conds.push("nickname LIKE '%' || ? || '%'");
      const params: Array<string | number> = conds.map(() => keyword);
      let where = `(${conds.join(' OR ')})`;
      if (groupID !== '') {
        where += ' AND group_id = ?';
        params.push(groupID);
      }
      return listJson(ctx, `${SELECT} WHERE ${where} ORDER BY role_level DESC, join_time ASC LIMIT ? OFFSET ?`, [...params, count, offset]);
    },
  }),
  insertGroupMember: define({
    tier: 'P1',
    params: [json('member')],
    returns: 'void',
    writes: true,
    run: (ctx, member) => insertOne(ctx, 'insertGroupMember', GROUP_MEMBER, member),
  }),
  batchInsertGroupMember: define({
    tier: 'P0',
    params: [json('memberList')],
    returns: 'void',
    writes: true,
    run: (ctx, list) => insertAll(ctx, 'batchInsertGroupMember', GROUP_MEMBER, list),
  }),
  updateGroupMember: define({
    tier: 'P1',
    params: [json('member')],
    returns: 'void',
    writes: true,
    run: (ctx, member) => {
      const fn = 'updateGroupMember';
      const [group, user] = memberKey(fn, member);
      updateExisting(
        ctx,
        fn,
        T,
        allColumns(fn, GROUP_MEMBER, member),
        'group_id = ? AND user_id = ?',
        [group, user],
        `member ${JSON.stringify(user)} of group ${JSON.stringify(group)}`,
      );
    },
  }),
  deleteGroupMember: define({
    tier: 'P1',
    params: [str('groupID'), str('userID')],
    returns: 'void',
    writes: true,
    run: (ctx, groupID, userID) => {
      run(ctx, `DELETE FROM ${T} WHERE group_id = ? AND user_id = ?`, [groupID, userID]);
    },
  }),
  deleteGroupAllMembers: define({
    tier: 'P0',
    params: [str('groupID')],
    returns: 'void',
    writes: true,
    run: (ctx, groupID) => {
      run(ctx, `DELETE FROM ${T} WHERE group_id = ?`, [groupID]);
    },
  }),
  getGroupMemberCount: define({
    tier: 'P2',
    params: [str('groupID')],
    returns: 'num',
    run: (ctx, groupID) => oneNumber(ctx, `SELECT count(*) FROM ${T} WHERE group_id = ?`, [groupID]),
  }),
};
