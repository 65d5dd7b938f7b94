/**
 * Prepared statements by SQL text. Message tables are per conversation, so their
 * statements are too; the cache is bounded so a user with thousands of conversations
 * does not keep thousands of statements alive.
 */
import type { Database, Statement } from 'better-sqlite3';

export const STATEMENT_CACHE_SIZE = 400;

export class StatementCache {
  readonly #db: Database;
  readonly #max: number;
  #byText = new Map<string, Statement>();

  constructor(db: Database, max = STATEMENT_CACHE_SIZE) {
    this.#db = db;
    this.#max = max;
  }

  get(sql: string): Statement {
    let s = this.#byText.get(sql);
    if (s) {
      // Re-insert: Map keeps insertion order, so the first key is the least recently used.
      this.#byText.delete(sql);
      this.#byText.set(sql, s);
      return s;
    }
    s = this.#db.prepare(sql);
    this.#byText.set(sql, s);
    if (this.#byText.size > this.#max) {
      const oldest = this.#byText.keys().next().value;
      if (oldest !== undefined) this.#byText.delete(oldest);
    }
    return s;
  }

  clear(): void {
    this.#byText.clear();
  }
}
