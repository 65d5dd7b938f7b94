/**
 * The shape of a table as the core sees it: each column with its JSON key (the Go `json`
 * tag, which often differs from the column name), its kind (how values convert between
 * JSON and SQLite) and its declared type. The concrete tables are in models.ts; this
 * module only derives SQL from them.
 */

/**
 * text: JSON string ↔ TEXT. int: JSON number ↔ INTEGER. bool: JSON boolean ↔ 0/1
 * (better-sqlite3 cannot bind booleans, and Go rejects 0/1 for a bool field).
 * id-list: JSON array of strings ↔ JSON text, returned parsed.
 */
export type FieldKind = 'text' | 'int' | 'bool' | 'id-list';

export interface Field {
  readonly column: string;
  /** JSON key; undefined for columns that never appear in JSON (`json:"-"`). */
  readonly key: string | undefined;
  readonly kind: FieldKind;
  /** Declared type, as the core's gorm model declares it. */
  readonly sqlType: string;
  /**
   * Column default. Like gorm's Create, an insert whose value for this field is absent
   * or the zero value stores the default instead (e.g. burn_duration 0 → 30).
   */
  readonly defaultValue?: number;
  /** Accepted in update payloads but never returned (message columns the core never reads). */
  readonly inputOnly?: true;
}

export interface Model {
  /** Table name for fixed tables; chat-log tables are named per conversation. */
  readonly table: string;
  readonly fields: readonly Field[];
  readonly primaryKey: readonly string[];
  readonly indexes?: ReadonlyArray<{ readonly name: string; readonly columns: readonly string[] }>;
}

export const text = (column: string, key: string | undefined, sqlType = 'text'): Field => ({ column, key, kind: 'text', sqlType });
export const integer = (column: string, key: string | undefined, defaultValue?: number): Field =>
  defaultValue === undefined ? { column, key, kind: 'int', sqlType: 'integer' } : { column, key, kind: 'int', sqlType: 'integer', defaultValue };
export const boolean = (column: string, key: string | undefined): Field => ({ column, key, kind: 'bool', sqlType: 'numeric' });
export const idList = (column: string, key: string): Field => ({ column, key, kind: 'id-list', sqlType: 'text' });

/** Quotes an SQL identifier. Names reaching here are validated; quoting is the second fence. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `'it''s'`: for the JSON keys written into json_object(); they come from the tables above. */
function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function columnDdl(f: Field): string {
  const dflt = f.defaultValue === undefined ? '' : ` DEFAULT ${f.defaultValue}`;
  return `${quoteIdent(f.column)} ${f.sqlType}${dflt}`;
}

export function createTableSql(model: Model, target: string): string {
  const cols = model.fields.map(columnDdl);
  cols.push(`PRIMARY KEY (${model.primaryKey.map(quoteIdent).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${target} (${cols.join(', ')})`;
}

export function addColumnSql(target: string, f: Field): string {
  return `ALTER TABLE ${target} ADD COLUMN ${columnDdl(f)}`;
}

/** Fields that appear in JSON results. */
export function outputFields(model: Model): Field[] {
  return model.fields.filter((f) => f.key !== undefined && !f.inputOnly);
}

function outputValueSql(f: Field, qualifier: string): string {
  const col = `${qualifier}${quoteIdent(f.column)}`;
  switch (f.kind) {
    // Rows written by other tools may hold NULLs; Go wants its zero values.
    case 'text':
      return `coalesce(${col}, '')`;
    case 'int':
      return `coalesce(${col}, 0)`;
    case 'bool':
      return `json(iif(${col}, 'true', 'false'))`;
    case 'id-list':
      return `json(${col})`;
  }
}

/**
 * One SQL expression producing a row as the core's JSON object, so result rows come out
 * of SQLite ready to send (no per-row object building in JS).
 */
export function jsonObjectSql(model: Model, qualifier = ''): string {
  const parts = outputFields(model).map((f) => `${sqlString(f.key as string)}, ${outputValueSql(f, qualifier)}`);
  return `json_object(${parts.join(', ')})`;
}

/**
 * The columns an insert writes: all but the input-only ones, which the native model does
 * not have either (they stay NULL until an update names them).
 */
export function insertFields(model: Model): readonly Field[] {
  let f = insertFieldLists.get(model);
  if (!f) insertFieldLists.set(model, (f = model.fields.filter((x) => !x.inputOnly)));
  return f;
}
const insertFieldLists = new WeakMap<Model, readonly Field[]>();

/** `(cols) VALUES (?, …)` per model, built once: inserts run for every stored message. */
const insertTails = new WeakMap<Model, string>();

export function insertSql(model: Model, target: string, verb: 'INSERT' | 'INSERT OR REPLACE' = 'INSERT'): string {
  let tail = insertTails.get(model);
  if (tail === undefined) {
    const cols = insertFields(model).map((f) => quoteIdent(f.column));
    tail = `(${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
    insertTails.set(model, tail);
  }
  return `${verb} INTO ${target} ${tail}`;
}

/** `WHERE "a" = ? AND "b" = ?` over the primary key, for single-row statements. */
export function primaryKeyWhere(model: Model): string {
  return model.primaryKey.map((c) => `${quoteIdent(c)} = ?`).join(' AND ');
}

export function fieldByKey(model: Model): ReadonlyMap<string, Field> {
  const m = new Map<string, Field>();
  for (const f of model.fields) if (f.key !== undefined) m.set(f.key, f);
  return m;
}

export function fieldByColumn(model: Model): ReadonlyMap<string, Field> {
  return new Map(model.fields.map((f) => [f.column, f]));
}

/** The field for `column`; the models are constants, so a miss is a programming error. */
export function field(model: Model, column: string): Field {
  const f = model.fields.find((x) => x.column === column);
  if (!f) throw new Error(`model ${model.table || '(messages)'} has no column ${column}`);
  return f;
}
