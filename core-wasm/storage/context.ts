/**
 * What a storage function works with: the open connection of this core's user, its
 * statements, its message tables and its upload files, plus small query helpers that
 * return the JSON text the envelope carries.
 */
import type { Database } from 'better-sqlite3';
import type { ChatLogTables } from './chat-log-tables.ts';
import { checkConversationId } from './conversation-id.ts';
import type { SqlValue } from './model-input.ts';
import { quoteIdent } from './model.ts';
import type { StatementCache } from './statement-cache.ts';
import type { UploadFiles } from './upload-files.ts';

export interface StorageContext {
  readonly db: Database;
  /** The user passed to initDB; several functions take it implicitly. */
  readonly loginUserID: string;
  readonly statements: StatementCache;
  readonly chatLogs: ChatLogTables;
  readonly files: UploadFiles;
  /** Milliseconds since the epoch (injectable for tests). */
  now(): number;
}

/** One row as JSON text (the query selects a single json_object column), or undefined. */
export function oneJson(ctx: StorageContext, sql: string, params: readonly SqlValue[]): string | undefined {
  return ctx.statements
    .get(sql)
    .pluck(true)
    .get(...params) as string | undefined;
}

/** Rows as a JSON array text, in the query's order. */
export function listJson(ctx: StorageContext, sql: string, params: readonly SqlValue[]): string {
  const rows = ctx.statements
    .get(sql)
    .pluck(true)
    .all(...params) as string[];
  return rows.length === 0 ? '[]' : `[${rows.join(',')}]`;
}

/** A single number (COUNT, SUM, MAX); NULL or no row → 0. */
export function oneNumber(ctx: StorageContext, sql: string, params: readonly SqlValue[]): number {
  const v = ctx.statements
    .get(sql)
    .pluck(true)
    .get(...params);
  return typeof v === 'number' ? v : 0;
}

/** The first column of every row, as a JSON array text (ID lists). */
export function columnJson(ctx: StorageContext, sql: string, params: readonly SqlValue[]): string {
  return JSON.stringify(
    ctx.statements
      .get(sql)
      .pluck(true)
      .all(...params),
  );
}

/** Runs a write; returns the number of rows it changed. */
export function run(ctx: StorageContext, sql: string, params: readonly SqlValue[]): number {
  return ctx.statements.get(sql).run(...params).changes;
}

/** `"a" = ?, "b" = ?` for columns that passed the model whitelist. */
export function setClause(columns: readonly string[]): string {
  return columns.map((c) => `${quoteIdent(c)} = ?`).join(', ');
}

/** The message table for a conversation, created if missing. */
export function messageTable(ctx: StorageContext, fn: string, conversationID: string): string {
  checkConversationId(fn, conversationID);
  return ctx.chatLogs.ensure(conversationID);
}

/** The message table if it exists (undefined if not; never creates it). */
export function existingMessageTable(ctx: StorageContext, fn: string, conversationID: string): string | undefined {
  checkConversationId(fn, conversationID);
  return ctx.chatLogs.exists(conversationID) ? ctx.chatLogs.ensure(conversationID) : undefined;
}

/** Binds a list for `IN (SELECT value FROM json_each(?))`: one statement for any length. */
export function jsonList(list: readonly (string | number)[]): string {
  return JSON.stringify(list);
}
