/**
 * Multipart-upload resume records (`local_uploads`) and the file helpers the core reads
 * an upload through (wasmOpen / wasmRead / wasmClose, confined to the user's directory).
 */
import { oneJson, run } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { StorageError } from '../errors.ts';
import { expectRecord, presentKeys, toSqlValue } from '../model-input.ts';
import { field, jsonObjectSql, quoteIdent } from '../model.ts';
import { UPLOAD } from '../models.ts';
import { int, json, str } from '../params.ts';
import { insertOne, updateWhere } from '../rows.ts';

const T = quoteIdent(UPLOAD.table);

export const UPLOAD_FUNCTIONS: FunctionTable = {
  // The core treats any error as "no resume info"; 10002 is the honest answer.
  getUpload: define({
    tier: 'P1',
    params: [str('partHash')],
    returns: 'obj',
    run: (ctx, partHash) => oneJson(ctx, `SELECT ${jsonObjectSql(UPLOAD)} FROM ${T} WHERE part_hash = ?`, [partHash]),
  }),
  insertUpload: define({
    tier: 'P1',
    params: [json('upload')],
    returns: 'void',
    writes: true,
    run: (ctx, u) => insertOne(ctx, 'insertUpload', UPLOAD, u),
  }),
  // Natively `Updates(struct)`: the non-zero fields (the progress bitmap, mostly).
  updateUpload: define({
    tier: 'P1',
    params: [json('upload')],
    returns: 'void',
    writes: true,
    run: (ctx, u) => {
      const fn = 'updateUpload';
      const rec = expectRecord(fn, 'the upload', u);
      const hash = toSqlValue(fn, field(UPLOAD, 'part_hash'), rec.partHash);
      if (typeof hash !== 'string' || hash === '') throw new StorageError(`${fn}: partHash is required`);
      const present = presentKeys(fn, UPLOAD, rec, { skip: UPLOAD.primaryKey });
      const keep = present.columns.map((_, i) => i).filter((i) => present.values[i] !== '' && present.values[i] !== 0);
      const update = { columns: keep.map((i) => present.columns[i] as string), values: keep.map((i) => present.values[i] ?? null) };
      updateWhere(ctx, T, update, 'part_hash = ?', [hash]);
    },
  }),
  deleteUpload: define({
    tier: 'P1',
    params: [str('partHash')],
    returns: 'void',
    writes: true,
    run: (ctx, partHash) => {
      run(ctx, `DELETE FROM ${T} WHERE part_hash = ?`, [partHash]);
    },
  }),
  wasmOpen: define({
    tier: 'P1',
    params: [str('uuid')],
    returns: 'num',
    usesDatabase: false,
    run: (ctx, uuid) => ctx.files.open('wasmOpen', uuid),
  }),
  wasmRead: define({
    tier: 'P1',
    params: [str('uuid'), int('offset'), int('length')],
    returns: 'bytes',
    usesDatabase: false,
    run: (ctx, uuid, offset, length) => ctx.files.read('wasmRead', uuid, offset, length),
  }),
  wasmClose: define({
    tier: 'P1',
    params: [str('uuid')],
    returns: 'void',
    usesDatabase: false,
    run: (ctx, uuid) => ctx.files.close(uuid),
  }),
};
