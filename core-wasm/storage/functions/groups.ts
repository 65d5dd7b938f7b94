/** Joined groups (`local_groups`): JSON `groupName` is name. */
import { listJson, oneJson, run } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { listByIdList } from '../id-list-read.ts';
import { allColumns } from '../model-input.ts';
import { jsonObjectSql, quoteIdent } from '../model.ts';
import { GROUP } from '../models.ts';
import { bool, json, str } from '../params.ts';
import { insertAll, insertOne, updateExisting } from '../rows.ts';

const T = quoteIdent(GROUP.table);
const SELECT = `SELECT ${jsonObjectSql(GROUP)} FROM ${T}`;

/** getAllGroupInfoByGroupIDOrGroupName: the native conditions per flag pair. */
function groupSearchWhere(byGroupID: boolean, byGroupName: boolean): { where: string; params: number } {
  if (byGroupID && byGroupName) return { where: "group_id LIKE '%' || ? || '%' OR name LIKE '%' || ? || '%'", params: 2 };
  if (byGroupID) return { where: "group_id LIKE '%' || ? || '%'", params: 1 };
  return { where: "name LIKE '%' || ? || '%'", params: 1 };
}

export const GROUP_FUNCTIONS: FunctionTable = {
  getJoinedGroupListDB: define({
    tier: 'P0',
    params: [],
    returns: 'list',
    run: (ctx) => listJson(ctx, SELECT, []),
  }),
  getGroups: listByIdList({ fn: 'getGroups', tier: 'P0', param: 'groupIDs', select: SELECT, idColumn: 'group_id' }),
  getGroupInfoByGroupID: define({
    tier: 'P1',
    params: [str('groupID')],
    returns: 'obj',
    run: (ctx, groupID) => oneJson(ctx, `${SELECT} WHERE group_id = ?`, [groupID]),
  }),
  getAllGroupInfoByGroupIDOrGroupName: define({
    tier: 'P1',
    params: [str('keyword'), bool('isSearchGroupID'), bool('isSearchGroupName')],
    returns: 'list',
    run: (ctx, keyword, byGroupID, byGroupName) => {
      const { where, params } = groupSearchWhere(byGroupID, byGroupName);
      return listJson(ctx, `${SELECT} WHERE ${where} ORDER BY create_time DESC`, new Array<string>(params).fill(keyword));
    },
  }),
  insertGroup: define({
    tier: 'P1',
    params: [json('group')],
    returns: 'void',
    writes: true,
    run: (ctx, group) => insertOne(ctx, 'insertGroup', GROUP, group),
  }),
  batchInsertGroup: define({
    tier: 'P0',
    params: [json('groupList')],
    returns: 'void',
    writes: true,
    run: (ctx, list) => insertAll(ctx, 'batchInsertGroup', GROUP, list),
  }),
  // Full row (`Select("*").Updates`): zero values are written too.
  updateGroup: define({
    tier: 'P1',
    params: [str('groupID'), json('group')],
    returns: 'void',
    writes: true,
    run: (ctx, groupID, group) => {
      const fn = 'updateGroup';
      updateExisting(ctx, fn, T, allColumns(fn, GROUP, group), 'group_id = ?', [groupID], `group ${JSON.stringify(groupID)}`);
    },
  }),
  deleteGroup: define({
    tier: 'P1',
    params: [str('groupID')],
    returns: 'void',
    writes: true,
    run: (ctx, groupID) => {
      run(ctx, `DELETE FROM ${T} WHERE group_id = ?`, [groupID]);
    },
  }),
  deleteAllGroup: define({
    tier: 'P0',
    params: [],
    returns: 'void',
    writes: true,
    run: (ctx) => {
      run(ctx, `DELETE FROM ${T}`, []);
    },
  }),
};
