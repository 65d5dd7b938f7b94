/** The read most models share: every row whose string ID is in a JSON array argument. */
import { jsonList, listJson } from './context.ts';
import { define, type StorageFunction, type Tier } from './define.ts';
import { expectStringList } from './model-input.ts';
import { json } from './params.ts';

export function listByIdList(spec: {
  fn: string;
  tier: Tier;
  /** The parameter's name, as the core's interface has it (named in errors). */
  param: string;
  /** `SELECT … FROM table`, without a WHERE. */
  select: string;
  idColumn: string;
}): StorageFunction {
  const sql = `${spec.select} WHERE ${spec.idColumn} IN (SELECT value FROM json_each(?))`;
  return define({
    tier: spec.tier,
    params: [json(spec.param)],
    returns: 'list',
    run: (ctx, ids) => listJson(ctx, sql, [jsonList(expectStringList(spec.fn, spec.param, ids))]),
  });
}
