/**
 * The storage bridge of one core: the JS functions the core calls for its local
 * database, backed by one SQLite file per (userID, platformID).
 *
 * Install `globals` on that core's own scope only (CoreInstance `globals` option): the
 * bridge is bound to its user, so a core can never reach another user's file. Every call
 * runs synchronously in one transaction and its Promise resolves after the commit; every
 * failure resolves an error envelope (never a rejection, never a hang).
 */
import type { Database, Transaction } from 'better-sqlite3';
import type { Logger } from 'pino';
import { LIFECYCLE_FUNCTIONS, STORAGE_FUNCTIONS, UNSUPPORTED_FUNCTIONS } from './catalogue.ts';
import { ChatLogTables } from './chat-log-tables.ts';
import type { StorageContext } from './context.ts';
import { openUserDatabase } from './database.ts';
import type { StorageFunction } from './define.ts';
import { VOID_OK, failure, notFound, okBoolean, okJsonText, okNumber } from './envelope.ts';
import { STORAGE_ERR, StorageError } from './errors.ts';
import { decodeArgs, str } from './params.ts';
import { StatementCache } from './statement-cache.ts';
import { UploadFiles } from './upload-files.ts';
import { userPaths } from './user-dir.ts';
import { errorText } from '../../src/shared/error-text.ts';

export interface StorageBridgeOptions {
  /** The server's data directory (`--data-dir`); the user's files go below it. */
  dataDir: string;
  /** The user this core belongs to; initDB for anyone else is refused. */
  userID: string;
  platformID: number;
  logger: Logger;
  /** Clock for draft and read times (tests). */
  now?: () => number;
}

/** What the core finds on its scope: called with JS values, resolves the envelope JSON (or bytes for wasmRead). */
export type StorageGlobal = (...args: unknown[]) => Promise<string | Uint8Array>;

export interface StorageBridge {
  readonly globals: Readonly<Record<string, StorageGlobal>>;
  /** `<dataDir>/<encoded userID>/<platformID>`. */
  readonly userDir: string;
  readonly databaseFile: string;
  /** Files the core may read for uploadFile, by uuid (`wasmOpen(uuid)` → `<uploadsDir>/<uuid>`). */
  readonly uploadsDir: string;
  readonly isOpen: boolean;
  /** Closes the database and any open upload file for good (core exit, shutdown). Idempotent. */
  close(): void;
}

interface OpenState {
  db: Database;
  ctx: StorageContext;
  /** Runs `f` in a transaction (`.immediate` for writes, `.deferred` for reads). */
  inTransaction: Transaction<(f: () => unknown) => unknown>;
}

const NO_DATABASE = 'the local database is not open (initDB has not run, or logout closed it)';

/** Bridges with an open database, for closeAllStorageBridges at worker shutdown. */
const openBridges = new Set<StorageBridge>();

export function closeAllStorageBridges(): void {
  for (const b of [...openBridges]) b.close();
}

/** Unsupported or unknown functions are logged once per process, not once per call. */
const reportedUnsupported = new Set<string>();

export function createStorageBridge(opts: StorageBridgeOptions): StorageBridge {
  const paths = userPaths(opts.dataDir, opts.userID, opts.platformID);
  const log = opts.logger;
  const now = opts.now ?? Date.now;
  const files = new UploadFiles(paths.uploadsDir);
  let state: OpenState | undefined;
  let disposed = false;

  const noDatabase = (): never => {
    throw new StorageError(NO_DATABASE);
  };
  /** For the upload-file helpers, which work whether or not the database is open. */
  const filesOnly: StorageContext = {
    get db() {
      return noDatabase();
    },
    get statements() {
      return noDatabase();
    },
    get chatLogs() {
      return noDatabase();
    },
    loginUserID: opts.userID,
    files,
    now,
  };

  function openDatabase(): void {
    const db = openUserDatabase(paths);
    const statements = new StatementCache(db);
    const ctx: StorageContext = { db, loginUserID: opts.userID, statements, chatLogs: new ChatLogTables(db), files, now };
    // better-sqlite3 commits when the function returns and rolls back when it throws.
    const inTransaction = db.transaction((f: () => unknown) => f());
    state = { db, ctx, inTransaction };
    openBridges.add(bridge);
    log.info({ file: paths.databaseFile }, 'storage: database opened');
  }

  function closeDatabase(reason: string): void {
    const s = state;
    if (!s) return;
    state = undefined;
    openBridges.delete(bridge);
    s.ctx.statements.clear();
    try {
      s.db.close();
      log.info({ reason }, 'storage: database closed');
    } catch (err) {
      log.error({ err, reason }, 'storage: closing the database failed');
    }
  }

  function initDB(userID: string): string {
    if (disposed) return failure(STORAGE_ERR.failed, 'initDB: this storage bridge has been shut down');
    if (userID !== opts.userID) {
      log.warn({ requested: userID }, 'storage: initDB for another user refused');
      return failure(STORAGE_ERR.failed, `initDB: this core belongs to user ${JSON.stringify(opts.userID)}, not ${JSON.stringify(userID)}`);
    }
    if (state) return VOID_OK;
    try {
      openDatabase();
      return VOID_OK;
    } catch (err) {
      log.error({ err, file: paths.databaseFile }, 'storage: initDB failed');
      return failure(STORAGE_ERR.failed, `initDB: ${errorText(err)}`);
    }
  }

  function fail(name: string, err: unknown): string {
    if (err instanceof StorageError) {
      // Every errMsg names the function, whichever module refused the call.
      const msg = err.message.startsWith(`${name}:`) ? err.message : `${name}: ${err.message}`;
      log.debug({ fn: name, err: msg }, 'storage: call refused');
      return failure(STORAGE_ERR.failed, msg);
    }
    const code = (err as { code?: unknown } | null)?.code;
    if (err instanceof Error && typeof code === 'string' && code.startsWith('SQLITE_')) {
      log.warn({ fn: name, code, err: err.message }, 'storage: SQL error');
      return failure(STORAGE_ERR.failed, `${name}: ${code}: ${err.message}`);
    }
    log.error({ fn: name, err }, 'storage: internal error');
    return failure(STORAGE_ERR.failed, `${name}: internal error: ${errorText(err)}`);
  }

  function invoke(name: string, def: StorageFunction, args: readonly unknown[]): string | Uint8Array {
    const s = state;
    try {
      const decoded = decodeArgs(name, def.params, args);
      let result: unknown;
      if (!def.usesDatabase) result = def.run(s?.ctx ?? filesOnly, decoded);
      else if (!s) return failure(STORAGE_ERR.failed, `${name}: ${NO_DATABASE}`);
      else if (def.writes) result = s.inTransaction.immediate(() => def.run(s.ctx, decoded));
      else result = s.inTransaction.deferred(() => def.run(s.ctx, decoded));
      return encode(name, def, result);
    } catch (err) {
      // The rolled-back transaction may have dropped a message table created in it.
      s?.ctx.chatLogs.forget();
      return fail(name, err);
    }
  }

  const globals: Record<string, StorageGlobal> = {};
  const lifecycleParams = [str('userID'), str('dataDir')] as const;
  globals.initDB = (...args) => {
    try {
      const [userID] = decodeArgs('initDB', lifecycleParams, args) as [string, string];
      return Promise.resolve(initDB(userID));
    } catch (err) {
      return Promise.resolve(fail('initDB', err));
    }
  };
  globals.close = () => {
    closeDatabase('the core closed it (logout)');
    files.closeAll();
    return Promise.resolve(VOID_OK);
  };
  for (const [name, def] of Object.entries(STORAGE_FUNCTIONS)) {
    globals[name] = (...args) => Promise.resolve(invoke(name, def, args));
  }
  for (const name of UNSUPPORTED_FUNCTIONS) {
    globals[name] = () => {
      if (!reportedUnsupported.has(name)) {
        reportedUnsupported.add(name);
        log.warn({ fn: name }, 'storage: the core called a function this bridge does not support');
      }
      return Promise.resolve(failure(STORAGE_ERR.failed, `${name}: not supported by this storage bridge`));
    };
  }

  const bridge: StorageBridge = {
    globals,
    userDir: paths.userDir,
    databaseFile: paths.databaseFile,
    uploadsDir: paths.uploadsDir,
    get isOpen() {
      return state !== undefined;
    },
    close() {
      disposed = true;
      closeDatabase('the core ended');
      files.closeAll();
    },
  };
  return bridge;
}

function encode(name: string, def: StorageFunction, result: unknown): string | Uint8Array {
  switch (def.returns) {
    case 'obj':
      return result === undefined ? notFound(name) : okJsonText(result as string);
    case 'list':
    case 'ids':
      return okJsonText(result as string);
    case 'num':
      return okNumber(result as number);
    case 'bool':
      return okBoolean(result as boolean);
    case 'void':
      return VOID_OK;
    case 'bytes':
      return result as Uint8Array;
  }
}

/** Every name the bridge installs, lifecycle included. */
export function storageFunctionNames(): string[] {
  return [...Object.keys(LIFECYCLE_FUNCTIONS), ...Object.keys(STORAGE_FUNCTIONS), ...UNSUPPORTED_FUNCTIONS];
}
