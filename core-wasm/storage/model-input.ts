/**
 * JSON the core sends → values ready to bind. Every value is type-checked against its
 * field so nothing but a string, a safe integer or 0/1 ever reaches SQLite, and a bad
 * payload fails the call (naming the function and the key) before anything is written.
 */
import { StorageError } from './errors.ts';
import { fieldByColumn, fieldByKey, insertFields, type Field, type Model } from './model.ts';

export type SqlValue = string | number | null;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function expectRecord(fn: string, what: string, v: unknown): Record<string, unknown> {
  if (!isRecord(v)) throw new StorageError(`${fn}: ${what} must be a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  return v;
}

/** A JSON list argument; Go sends a nil slice as `null`, which means empty. */
export function expectList(fn: string, what: string, v: unknown): unknown[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new StorageError(`${fn}: ${what} must be a JSON array or null, got ${typeof v}`);
  return v;
}

export function expectStringList(fn: string, what: string, v: unknown): string[] {
  const list = expectList(fn, what, v);
  for (const item of list) if (typeof item !== 'string') throw new StorageError(`${fn}: ${what} must hold strings only`);
  return list as string[];
}

export function expectIntList(fn: string, what: string, v: unknown): number[] {
  const list = expectList(fn, what, v);
  for (const item of list) if (!Number.isSafeInteger(item)) throw new StorageError(`${fn}: ${what} must hold integers only`);
  return list as number[];
}

/**
 * Converts one JSON value for `field`; undefined/null mean "absent". `where` (e.g. "item
 * 3") and `naming` only shape the error message, which is built only on failure: this
 * runs for every field of every inserted row.
 */
export function toSqlValue(fn: string, field: Field, v: unknown, where = '', naming: 'key' | 'column' = 'key'): SqlValue | undefined {
  if (v === undefined || v === null) return undefined;
  switch (field.kind) {
    case 'text':
      if (typeof v === 'string') return v;
      break;
    case 'int':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
      break;
    case 'bool':
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (v === 0 || v === 1) return v;
      break;
    case 'id-list':
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return JSON.stringify(v);
      break;
  }
  const name = naming === 'key' ? field.key : field.column;
  const label = `${where ? `${where} ` : ''}${naming} ${JSON.stringify(name)}`;
  throw new StorageError(`${fn}: ${label} must be ${KIND_NAMES[field.kind]}, got ${JSON.stringify(v)?.slice(0, 60) ?? typeof v}`);
}

const KIND_NAMES: Record<Field['kind'], string> = {
  text: 'a string',
  int: 'an integer',
  bool: 'a boolean',
  'id-list': 'an array of strings',
};

/** Per model: key → field, cached (models are module constants). */
const keyMaps = new WeakMap<Model, ReadonlyMap<string, Field>>();
const columnMaps = new WeakMap<Model, ReadonlyMap<string, Field>>();

function keysOf(model: Model): ReadonlyMap<string, Field> {
  let m = keyMaps.get(model);
  if (!m) keyMaps.set(model, (m = fieldByKey(model)));
  return m;
}

function columnsOf(model: Model): ReadonlyMap<string, Field> {
  let m = columnMaps.get(model);
  if (!m) columnMaps.set(model, (m = fieldByColumn(model)));
  return m;
}

function zeroValue(f: Field): SqlValue {
  return f.kind === 'text' ? '' : f.kind === 'id-list' ? null : 0;
}

/**
 * Values for an INSERT (insertSql) of `model`, in field order. Unknown keys are
 * ignored; absent keys get the Go zero value; a zero value on a column with a default
 * gets the default, as gorm's Create does.
 */
export function insertValues(fn: string, model: Model, v: unknown, what = 'the record'): SqlValue[] {
  const rec = expectRecord(fn, what, v);
  const fields = insertFields(model);
  const out = new Array<SqlValue>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as Field;
    let value = f.key === undefined ? undefined : toSqlValue(fn, f, rec[f.key], what);
    if (value === undefined) value = zeroValue(f);
    if (f.defaultValue !== undefined && value === 0) value = f.defaultValue;
    out[i] = value;
  }
  return out;
}

export interface ColumnUpdate {
  readonly columns: string[];
  readonly values: SqlValue[];
}

/**
 * The keys present in an omitempty payload → columns to update. Absent keys (Go zero
 * values dropped by omitempty) are left alone; unknown keys are ignored.
 */
export function presentKeys(fn: string, model: Model, v: unknown, options: { skip?: readonly string[] } = {}): ColumnUpdate {
  const rec = expectRecord(fn, 'the update', v);
  const columns: string[] = [];
  const values: SqlValue[] = [];
  for (const [key, raw] of Object.entries(rec)) {
    const f = keysOf(model).get(key);
    if (!f || options.skip?.includes(f.column)) continue;
    const value = toSqlValue(fn, f, raw);
    if (value === undefined) continue;
    columns.push(f.column);
    values.push(value);
  }
  return { columns, values };
}

/**
 * Every column of the model from a full-row payload (gorm `Select("*").Updates`): zero
 * values are written too. The primary key columns are left out (they address the row).
 */
export function allColumns(fn: string, model: Model, v: unknown): ColumnUpdate {
  const rec = expectRecord(fn, 'the record', v);
  const columns: string[] = [];
  const values: SqlValue[] = [];
  for (const f of model.fields) {
    if (f.key === undefined || f.inputOnly || model.primaryKey.includes(f.column)) continue;
    const value = toSqlValue(fn, f, rec[f.key]);
    columns.push(f.column);
    values.push(value === undefined ? zeroValue(f) : value);
  }
  return { columns, values };
}

/** A `{column: value}` map (updateColumns*): only whitelisted columns, values type-checked. */
export function columnMap(fn: string, model: Model, allowed: ReadonlySet<string>, v: unknown): ColumnUpdate {
  const rec = expectRecord(fn, 'the column map', v);
  const columns: string[] = [];
  const values: SqlValue[] = [];
  for (const [column, raw] of Object.entries(rec)) {
    const f = columnsOf(model).get(column);
    if (!f || !allowed.has(column)) throw new StorageError(`${fn}: column ${JSON.stringify(column)} cannot be updated`);
    // An explicit null in a column map means "set to the zero value".
    const value = toSqlValue(fn, f, raw, '', 'column');
    columns.push(column);
    values.push(value === undefined ? zeroValue(f) : value);
  }
  return { columns, values };
}

export function primaryKeyValue(fn: string, model: Model, v: unknown): SqlValue[] {
  const rec = expectRecord(fn, 'the record', v);
  return model.primaryKey.map((column) => {
    const f = columnsOf(model).get(column) as Field;
    const value = f.key === undefined ? undefined : toSqlValue(fn, f, rec[f.key]);
    return value === undefined ? zeroValue(f) : value;
  });
}
