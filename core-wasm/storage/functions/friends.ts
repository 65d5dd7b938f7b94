/** Friends (`local_friends`): JSON `userID` is friend_user_id, `nickname` is name. */
import { jsonList, listJson, oneJson, oneNumber, run } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { StorageError } from '../errors.ts';
import { listByIdList } from '../id-list-read.ts';
import { columnMap, expectRecord, expectStringList, toSqlValue, type ColumnUpdate } from '../model-input.ts';
import { field, jsonObjectSql, quoteIdent } from '../model.ts';
import { FRIEND, FRIEND_UPDATE } from '../models.ts';
import { bool, int, json, str } from '../params.ts';
import { insertAll, insertOne, updateExisting, updateWhere } from '../rows.ts';

const T = quoteIdent(FRIEND.table);
const SELECT = `SELECT ${jsonObjectSql(FRIEND)} FROM ${T}`;
const PK = new Set(FRIEND.primaryKey);
const UPDATABLE = new Set(FRIEND.fields.map((f) => f.column).filter((c) => !PK.has(c)));

/**
 * updateFriend is always called with the friend as the server has it, sent through an
 * omitempty struct: an absent key is a zero value (a cleared remark, an unpinned
 * friend). The native store writes every column (`Select("*")`), so absent keys are
 * written as zero values here too.
 */
function friendUpdate(fn: string, v: unknown): { update: ColumnUpdate; owner: string; friend: string } {
  const rec = expectRecord(fn, 'the friend', v);
  const owner = toSqlValue(fn, field(FRIEND_UPDATE, 'owner_user_id'), rec.ownerUserID);
  const friend = toSqlValue(fn, field(FRIEND_UPDATE, 'friend_user_id'), rec.friendUserID);
  if (typeof owner !== 'string' || typeof friend !== 'string') throw new StorageError(`${fn}: ownerUserID and friendUserID are required`);
  const columns: string[] = [];
  const values: Array<string | number> = [];
  for (const f of FRIEND_UPDATE.fields) {
    if (f.key === undefined || PK.has(f.column)) continue;
    const value = toSqlValue(fn, f, rec[f.key]);
    columns.push(f.column);
    values.push(value ?? (f.kind === 'text' ? '' : 0));
  }
  return { update: { columns, values }, owner, friend };
}

/** searchFriendList: which columns each flag searches, in the native order. */
const SEARCH_COLUMNS = [
  { flag: 0, column: 'friend_user_id' },
  { flag: 1, column: 'name' },
  { flag: 2, column: 'remark' },
] as const;

export const FRIEND_FUNCTIONS: FunctionTable = {
  getAllFriendList: define({
    tier: 'P1',
    params: [str('loginUserID')],
    returns: 'list',
    run: (ctx, owner) => listJson(ctx, `${SELECT} WHERE owner_user_id = ?`, [owner]),
  }),
  getFriendInfoByFriendUserID: define({
    tier: 'P0',
    params: [str('friendUserID'), str('loginUserID')],
    returns: 'obj',
    run: (ctx, friend, owner) => oneJson(ctx, `${SELECT} WHERE owner_user_id = ? AND friend_user_id = ?`, [owner, friend]),
  }),
  getFriendInfoList: listByIdList({ fn: 'getFriendInfoList', tier: 'P0', param: 'friendUserIDList', select: SELECT, idColumn: 'friend_user_id' }),
  insertFriend: define({
    tier: 'P1',
    params: [json('friend')],
    returns: 'void',
    writes: true,
    run: (ctx, friend) => insertOne(ctx, 'insertFriend', FRIEND, friend),
  }),
  batchInsertFriend: define({
    tier: 'P0',
    params: [json('friendList')],
    returns: 'void',
    writes: true,
    run: (ctx, list) => insertAll(ctx, 'batchInsertFriend', FRIEND, list),
  }),
  updateFriend: define({
    tier: 'P1',
    params: [json('friend')],
    returns: 'void',
    writes: true,
    run: (ctx, v) => {
      const fn = 'updateFriend';
      const { update, owner, friend } = friendUpdate(fn, v);
      updateExisting(ctx, fn, T, update, 'owner_user_id = ? AND friend_user_id = ?', [owner, friend], `friend ${JSON.stringify(friend)}`);
    },
  }),
  deleteFriendDB: define({
    tier: 'P1',
    params: [str('friendUserID'), str('loginUserID')],
    returns: 'void',
    writes: true,
    run: (ctx, friend, owner) => {
      run(ctx, `DELETE FROM ${T} WHERE owner_user_id = ? AND friend_user_id = ?`, [owner, friend]);
    },
  }),
  deleteAllFriend: define({
    tier: 'P0',
    params: [],
    returns: 'void',
    writes: true,
    run: (ctx) => {
      run(ctx, `DELETE FROM ${T}`, []);
    },
  }),
  searchFriendList: define({
    tier: 'P1',
    params: [str('keyword'), bool('isSearchUserID'), bool('isSearchNickname'), bool('isSearchRemark')],
    returns: 'list',
    run: (ctx, keyword, byUserID, byNickname, byRemark) => {
      const flags = [byUserID, byNickname, byRemark];
      const columns = SEARCH_COLUMNS.filter((s) => flags[s.flag]).map((s) => s.column);
      // Natively no flag means no condition at all: every friend.
      const where = columns.length === 0 ? '' : `WHERE ${columns.map((c) => `${c} LIKE '%' || ? || '%'`).join(' OR ')}`;
      return listJson(
        ctx,
        `${SELECT} ${where} ORDER BY create_time DESC`,
        columns.map(() => keyword),
      );
    },
  }),
  getPageFriendList: define({
    tier: 'P2',
    params: [int('offset'), int('count'), str('loginUserID')],
    returns: 'list',
    run: (ctx, offset, count, owner) => listJson(ctx, `${SELECT} WHERE owner_user_id = ? ORDER BY name LIMIT ? OFFSET ?`, [owner, count, offset]),
  }),
  getFriendListCount: define({
    tier: 'P2',
    params: [],
    returns: 'num',
    run: (ctx) => oneNumber(ctx, `SELECT count(*) FROM ${T}`, []),
  }),
  updateColumnsFriend: define({
    tier: 'P2',
    params: [json('friendUserIDs'), json('columns')],
    returns: 'void',
    writes: true,
    run: (ctx, ids, columns) => {
      const fn = 'updateColumnsFriend';
      const list = expectStringList(fn, 'friendUserIDs', ids);
      updateWhere(ctx, T, columnMap(fn, FRIEND, UPDATABLE, columns), 'friend_user_id IN (SELECT value FROM json_each(?))', [jsonList(list)]);
    },
  }),
};
