/**
 * Creates the fixed tables and brings older files up to date. There is no migration
 * history to replay: every table is `CREATE TABLE IF NOT EXISTS`, and columns a newer
 * model has but the file lacks are added (as the core's own browser host does).
 * `PRAGMA user_version` records the layout so an older bridge refuses a newer file.
 */
import type { Database } from 'better-sqlite3';
import { StorageError } from './errors.ts';
import { addColumnSql, createTableSql, quoteIdent, type Model } from './model.ts';
import { FIXED_MODELS } from './models.ts';

/** Bump when a change needs more than "add missing tables, columns and indexes". */
export const SCHEMA_VERSION = 1;

/** Adds the columns `model` has and the table lacks. `target` is the quoted table name. */
export function addMissingColumns(db: Database, target: string, model: Model): void {
  const rows = db.prepare(`PRAGMA table_info(${target})`).all() as Array<{ name: string }>;
  const have = new Set(rows.map((r) => r.name));
  for (const f of model.fields) if (!have.has(f.column)) db.exec(addColumnSql(target, f));
}

function createFixedTable(db: Database, model: Model): void {
  const target = quoteIdent(model.table);
  db.exec(createTableSql(model, target));
  addMissingColumns(db, target, model);
  for (const idx of model.indexes ?? []) {
    db.exec(`CREATE INDEX IF NOT EXISTS ${quoteIdent(idx.name)} ON ${target} (${idx.columns.map(quoteIdent).join(', ')})`);
  }
}

export function applySchema(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StorageError(`the database was written by a newer storage bridge (layout ${version}, this one knows ${SCHEMA_VERSION})`);
  }
  db.transaction(() => {
    for (const model of FIXED_MODELS) createFixedTable(db, model);
    // Also the write probe: a read-only file fails here, at initDB, not at the first insert.
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
