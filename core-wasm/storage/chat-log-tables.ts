/**
 * The per-conversation message tables, created on first use. Which tables exist is
 * remembered per connection; a rolled-back call may have created one that is gone again,
 * so the memory is dropped after any failed call.
 */
import type { Database } from 'better-sqlite3';
import { CHAT_LOG_TABLE_PREFIX, chatLogTable } from './conversation-id.ts';
import { createTableSql, quoteIdent } from './model.ts';
import { MESSAGE } from './models.ts';
import { addMissingColumns } from './schema.ts';
import { StorageError } from './errors.ts';

export class ChatLogTables {
  readonly #db: Database;
  #known = new Set<string>();

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Whether the table exists (without creating it). `id` must be a checked conversation
   * ID. SQLite table names ignore ASCII case, so `si_u1_Bob` and `si_u1_bob` would share
   * one table and mix two conversations: the second one is refused instead.
   */
  exists(id: string): boolean {
    if (this.#known.has(id)) return true;
    const name = CHAT_LOG_TABLE_PREFIX + id;
    const found = this.#db.prepare<[string], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE").pluck().get(name);
    if (found === undefined) return false;
    if (found !== name) {
      throw new StorageError(
        `conversation ${JSON.stringify(id)} differs only in letter case from ${JSON.stringify(found.slice(CHAT_LOG_TABLE_PREFIX.length))}, which has messages here; SQLite cannot keep both`,
      );
    }
    // A table from an older layout (or another tool) gets the columns it lacks.
    addMissingColumns(this.#db, chatLogTable(id), MESSAGE);
    this.#known.add(id);
    return true;
  }

  /** Creates the table and its indexes if missing; returns the quoted table name. */
  ensure(id: string): string {
    const target = chatLogTable(id);
    if (this.exists(id)) return target;
    this.#db.exec(createTableSql(MESSAGE, target));
    this.#db.exec(`CREATE INDEX IF NOT EXISTS ${quoteIdent(`index_seq_${id}`)} ON ${target} ("seq")`);
    this.#db.exec(`CREATE INDEX IF NOT EXISTS ${quoteIdent(`index_send_time_${id}`)} ON ${target} ("send_time")`);
    this.#known.add(id);
    return target;
  }

  forget(): void {
    this.#known.clear();
  }
}
