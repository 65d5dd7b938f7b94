/** The login user (`local_users`); the core's user cache also probes peers here. */
import { oneJson } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { allColumns, columnMap, expectRecord, toSqlValue } from '../model-input.ts';
import { field, jsonObjectSql, quoteIdent } from '../model.ts';
import { USER } from '../models.ts';
import { StorageError } from '../errors.ts';
import { insertOne, updateExisting } from '../rows.ts';
import { json, object, str } from '../params.ts';

const T = quoteIdent(USER.table);
const USER_JSON = jsonObjectSql(USER);
const USER_ID = field(USER, 'user_id');
const UPDATABLE = new Set(USER.fields.map((f) => f.column).filter((c) => c !== 'user_id'));

export const USER_FUNCTIONS: FunctionTable = {
  getLoginUser: define({
    tier: 'P0',
    params: [str('userID')],
    returns: 'obj',
    run: (ctx, userID) => oneJson(ctx, `SELECT ${USER_JSON} FROM ${T} WHERE user_id = ?`, [userID]),
  }),
  // omitempty payload: absent keys take the zero value.
  insertLoginUser: define({
    tier: 'P0',
    params: [json('user')],
    returns: 'void',
    writes: true,
    run: (ctx, user) => insertOne(ctx, 'insertLoginUser', USER, user),
  }),
  updateLoginUser: define({
    tier: 'P1',
    params: [json('user')],
    returns: 'void',
    writes: true,
    run: (ctx, user) => {
      const fn = 'updateLoginUser';
      const id = toSqlValue(fn, USER_ID, expectRecord(fn, 'the user', user).userID);
      if (id === undefined) throw new StorageError(`${fn}: the user has no userID`);
      updateExisting(ctx, fn, T, allColumns(fn, USER, user), 'user_id = ?', [id], `user ${JSON.stringify(id)}`);
    },
  }),
  updateLoginUserByMap: define({
    tier: 'P2',
    params: [str('userID'), object('columns')],
    returns: 'void',
    writes: true,
    run: (ctx, userID, columns) => {
      const fn = 'updateLoginUserByMap';
      updateExisting(ctx, fn, T, columnMap(fn, USER, UPDATABLE, columns), 'user_id = ?', [userID], `user ${JSON.stringify(userID)}`);
    },
  }),
};
