/**
 * What the core remembers about syncing: notification seqs, incremental-sync versions
 * (with their ordered ID lists), the "already installed" flag, and the table list.
 */
import { columnJson, listJson, oneJson, run } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { StorageError } from '../errors.ts';
import { expectList, expectRecord, insertValues, toSqlValue } from '../model-input.ts';
import { field, insertSql, jsonObjectSql, quoteIdent } from '../model.ts';
import { APP_VERSION, NOTIFICATION_SEQ, VERSION_SYNC } from '../models.ts';
import { int, json, str } from '../params.ts';

const SEQS = quoteIdent(NOTIFICATION_SEQ.table);
const VERSIONS = quoteIdent(VERSION_SYNC.table);
const APP = quoteIdent(APP_VERSION.table);

const UPSERT_SEQ = `INSERT INTO ${SEQS} (conversation_id, seq) VALUES (?, ?) ON CONFLICT (conversation_id) DO UPDATE SET seq = excluded.seq`;

export const SYNC_STATE_FUNCTIONS: FunctionTable = {
  getNotificationAllSeqs: define({
    tier: 'P0',
    params: [],
    returns: 'list',
    run: (ctx) => listJson(ctx, `SELECT ${jsonObjectSql(NOTIFICATION_SEQ)} FROM ${SEQS}`, []),
  }),
  setNotificationSeq: define({
    tier: 'P1',
    params: [str('conversationID'), int('seq')],
    returns: 'void',
    writes: true,
    run: (ctx, conv, seq) => {
      run(ctx, UPSERT_SEQ, [conv, seq]);
    },
  }),
  // Natively a plain insert (fresh-install mode); an upsert cannot fail on a repeat.
  batchInsertNotificationSeq: define({
    tier: 'P1',
    params: [json('notificationSeqs')],
    returns: 'void',
    writes: true,
    run: (ctx, list) => {
      const fn = 'batchInsertNotificationSeq';
      const items = expectList(fn, 'the list', list);
      const stmt = ctx.statements.get(UPSERT_SEQ);
      items.forEach((item, i) => stmt.run(...insertValues(fn, NOTIFICATION_SEQ, item, `item ${i}`)));
    },
  }),
  getVersionSync: define({
    tier: 'P0',
    params: [str('tableName'), str('entityID')],
    returns: 'obj',
    run: (ctx, table, entity) => oneJson(ctx, `SELECT ${jsonObjectSql(VERSION_SYNC)} FROM ${VERSIONS} WHERE table_name = ? AND entity_id = ?`, [table, entity]),
  }),
  // A full replacement: the ID list's order matters and an emptied list must stay empty.
  setVersionSync: define({
    tier: 'P0',
    params: [json('versionSync')],
    returns: 'void',
    writes: true,
    run: (ctx, v) => {
      const fn = 'setVersionSync';
      const rec = expectRecord(fn, 'the version', v);
      if (typeof rec.tableName !== 'string' || rec.tableName === '') throw new StorageError(`${fn}: tableName is required`);
      ctx.statements.get(insertSql(VERSION_SYNC, VERSIONS, 'INSERT OR REPLACE')).run(...insertValues(fn, VERSION_SYNC, rec));
    },
  }),
  deleteVersionSync: define({
    tier: 'P1',
    params: [str('tableName'), str('entityID')],
    returns: 'void',
    writes: true,
    run: (ctx, table, entity) => {
      run(ctx, `DELETE FROM ${VERSIONS} WHERE table_name = ? AND entity_id = ?`, [table, entity]);
    },
  }),
  // The core's "already installed" flag; absent ⇒ fresh install.
  getAppSDKVersion: define({
    tier: 'P0',
    params: [],
    returns: 'obj',
    run: (ctx) => oneJson(ctx, `SELECT ${jsonObjectSql(APP_VERSION)} FROM ${APP} LIMIT 1`, []),
  }),
  /**
   * One logical row. Natively `Updates(struct)` on the existing row: only non-zero
   * fields are written, so `{"version":"","installed":true}` keeps the stored version.
   */
  setAppSDKVersion: define({
    tier: 'P0',
    params: [json('appVersion')],
    returns: 'void',
    writes: true,
    run: (ctx, v) => {
      const fn = 'setAppSDKVersion';
      const rec = expectRecord(fn, 'the app version', v);
      const version = toSqlValue(fn, field(APP_VERSION, 'version'), rec.version) ?? '';
      const installed = toSqlValue(fn, field(APP_VERSION, 'installed'), rec.installed) ?? 0;
      const changed = run(
        ctx,
        `UPDATE ${APP} SET version = CASE WHEN ? <> '' THEN ? ELSE version END, installed = CASE WHEN ? <> 0 THEN 1 ELSE installed END WHERE rowid = (SELECT min(rowid) FROM ${APP})`,
        [version, version, installed],
      );
      if (changed === 0) run(ctx, `INSERT INTO ${APP} (version, installed) VALUES (?, ?)`, [version, installed]);
    },
  }),
  getExistTables: define({
    tier: 'P2',
    params: [],
    returns: 'ids',
    run: (ctx) => columnJson(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", []),
  }),
};
