/** Black list (`local_blacks`): JSON `userID` is block_user_id. */
import { columnJson, listJson, oneJson, run } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { listByIdList } from '../id-list-read.ts';
import { presentKeys } from '../model-input.ts';
import { jsonObjectSql, quoteIdent } from '../model.ts';
import { BLACK } from '../models.ts';
import { json, str } from '../params.ts';
import { insertOne, updateExisting } from '../rows.ts';

const T = quoteIdent(BLACK.table);
const SELECT = `SELECT ${jsonObjectSql(BLACK)} FROM ${T}`;

export const BLACK_FUNCTIONS: FunctionTable = {
  getBlackListDB: define({
    tier: 'P0',
    params: [],
    returns: 'list',
    run: (ctx) => listJson(ctx, SELECT, []),
  }),
  getBlackInfoList: listByIdList({ fn: 'getBlackInfoList', tier: 'P1', param: 'blockUserIDList', select: SELECT, idColumn: 'block_user_id' }),
  insertBlack: define({
    tier: 'P1',
    params: [json('black')],
    returns: 'void',
    writes: true,
    run: (ctx, black) => insertOne(ctx, 'insertBlack', BLACK, black),
  }),
  // Native `Updates(struct)`: only the non-zero (present) keys are written.
  updateBlack: define({
    tier: 'P1',
    params: [str('ownerUserID'), str('blockUserID'), json('black')],
    returns: 'void',
    writes: true,
    run: (ctx, owner, block, black) => {
      const fn = 'updateBlack';
      const update = presentKeys(fn, BLACK, black, { skip: BLACK.primaryKey });
      updateExisting(ctx, fn, T, update, 'owner_user_id = ? AND block_user_id = ?', [owner, block], `black-list entry ${JSON.stringify(block)}`);
    },
  }),
  deleteBlack: define({
    tier: 'P1',
    params: [str('blockUserID'), str('loginUserID')],
    returns: 'void',
    writes: true,
    run: (ctx, block, owner) => {
      run(ctx, `DELETE FROM ${T} WHERE owner_user_id = ? AND block_user_id = ?`, [owner, block]);
    },
  }),
  getBlackListUserID: define({
    tier: 'P2',
    params: [],
    returns: 'ids',
    run: (ctx) => columnJson(ctx, `SELECT block_user_id FROM ${T}`, []),
  }),
  getBlackInfoByBlockUserID: define({
    tier: 'P2',
    params: [str('blockUserID'), str('loginUserID')],
    returns: 'obj',
    run: (ctx, block, owner) => oneJson(ctx, `${SELECT} WHERE owner_user_id = ? AND block_user_id = ?`, [owner, block]),
  }),
};
