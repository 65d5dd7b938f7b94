/** Per-user commands (`local_user_command`, favorites-style entries). */
import { listJson, run } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { allColumns, expectRecord, primaryKeyValue, toSqlValue } from '../model-input.ts';
import { field, jsonObjectSql, primaryKeyWhere, quoteIdent } from '../model.ts';
import { USER_COMMAND } from '../models.ts';
import { json } from '../params.ts';
import { insertOne, updateExisting } from '../rows.ts';

const T = quoteIdent(USER_COMMAND.table);

export const USER_COMMAND_FUNCTIONS: FunctionTable = {
  processUserCommandGetAll: define({
    tier: 'P1',
    params: [],
    returns: 'list',
    run: (ctx) => listJson(ctx, `SELECT ${jsonObjectSql(USER_COMMAND)} FROM ${T}`, []),
  }),
  processUserCommandAdd: define({
    tier: 'P1',
    params: [json('command')],
    returns: 'void',
    writes: true,
    run: (ctx, c) => insertOne(ctx, 'processUserCommandAdd', USER_COMMAND, c),
  }),
  processUserCommandUpdate: define({
    tier: 'P1',
    params: [json('command')],
    returns: 'void',
    writes: true,
    run: (ctx, c) => {
      const fn = 'processUserCommandUpdate';
      const key = primaryKeyValue(fn, USER_COMMAND, c);
      updateExisting(ctx, fn, T, allColumns(fn, USER_COMMAND, c), primaryKeyWhere(USER_COMMAND), key, `command ${JSON.stringify(key)}`);
    },
  }),
  // Natively by (type, uuid) only, whatever the userID.
  processUserCommandDelete: define({
    tier: 'P1',
    params: [json('command')],
    returns: 'void',
    writes: true,
    run: (ctx, c) => {
      const fn = 'processUserCommandDelete';
      const rec = expectRecord(fn, 'the command', c);
      const type = toSqlValue(fn, field(USER_COMMAND, 'type'), rec.type) ?? 0;
      const uuid = toSqlValue(fn, field(USER_COMMAND, 'uuid'), rec.uuid) ?? '';
      run(ctx, `DELETE FROM ${T} WHERE type = ? AND uuid = ?`, [type, uuid]);
    },
  }),
};
