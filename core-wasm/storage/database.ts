/**
 * Opens one user's SQLite file: creates the directory, switches to WAL, applies the
 * schema. Any problem (corrupt file, read-only file, a file where the directory should
 * be) ends as one StorageError saying which database and why, and nothing stays open.
 */
import { mkdirSync } from 'node:fs';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { StorageError } from './errors.ts';
import { applySchema } from './schema.ts';
import type { UserPaths } from './user-dir.ts';
import { errorText } from '../../src/shared/error-text.ts';

/**
 * How long a statement waits for a lock held by another connection to the same file. It
 * must stay well inside the core's 5 s budget per call; normally nothing else holds one.
 */
export const BUSY_TIMEOUT_MS = 1500;

export function openUserDatabase(paths: UserPaths): Database {
  try {
    mkdirSync(paths.userDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StorageError(`cannot create the directory for ${paths.displayName}: ${errorText(err)}`);
  }
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(paths.databaseFile, { timeout: BUSY_TIMEOUT_MS });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`the file system refused WAL mode (journal_mode is ${String(mode)})`);
    // With WAL, NORMAL commits survive a crash of this process; only an OS crash or power
    // loss can roll back the last transactions, which the core recovers by resyncing.
    db.pragma('synchronous = NORMAL');
    applySchema(db);
    return db;
  } catch (err) {
    try {
      db?.close();
    } catch {
      // Already failing; the first error is the one worth reporting.
    }
    throw new StorageError(`the local database ${paths.displayName} is unusable: ${errorText(err)}`);
  }
}
