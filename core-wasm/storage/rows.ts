/** Row writes shared by many functions: batch inserts and "update, and fail if no row". */
import type { StorageContext } from './context.ts';
import { oneNumber, run, setClause } from './context.ts';
import { StorageError } from './errors.ts';
import { expectList, insertValues, type ColumnUpdate, type SqlValue } from './model-input.ts';
import { insertSql, quoteIdent, type Model } from './model.ts';

/** Inserts every record of a JSON list (`null` = none). `target` defaults to the model's table. */
export function insertAll(ctx: StorageContext, fn: string, model: Model, list: unknown, target = quoteIdent(model.table)): void {
  const items = expectList(fn, 'the list', list);
  if (items.length === 0) return;
  const stmt = ctx.statements.get(insertSql(model, target));
  for (let i = 0; i < items.length; i++) stmt.run(...insertValues(fn, model, items[i], `item ${i}`));
}

export function insertOne(ctx: StorageContext, fn: string, model: Model, record: unknown, target = quoteIdent(model.table)): void {
  ctx.statements.get(insertSql(model, target)).run(...insertValues(fn, model, record));
}

/**
 * Updates the given columns of the rows matching `where`; fails when there is no such
 * row (the native store reports "RowsAffected == 0" as an error).
 */
export function updateExisting(
  ctx: StorageContext,
  fn: string,
  target: string,
  update: ColumnUpdate,
  where: string,
  whereValues: readonly SqlValue[],
  what: string,
): void {
  if (update.columns.length === 0) {
    if (oneNumber(ctx, `SELECT count(*) FROM ${target} WHERE ${where}`, whereValues) === 0) throw new StorageError(`${fn}: no ${what}`);
    return;
  }
  const changed = run(ctx, `UPDATE ${target} SET ${setClause(update.columns)} WHERE ${where}`, [...update.values, ...whereValues]);
  if (changed === 0) throw new StorageError(`${fn}: no ${what}`);
}

/** Updates matching rows; zero rows is fine. */
export function updateWhere(ctx: StorageContext, target: string, update: ColumnUpdate, where: string, whereValues: readonly SqlValue[]): number {
  if (update.columns.length === 0) return 0;
  return run(ctx, `UPDATE ${target} SET ${setClause(update.columns)} WHERE ${where}`, [...update.values, ...whereValues]);
}

/** For single-statement updates of one row: zero rows changed means there is no such row. */
export function requireChanged(changed: number, fn: string, what: string): void {
  if (changed === 0) throw new StorageError(`${fn}: no ${what}`);
}
