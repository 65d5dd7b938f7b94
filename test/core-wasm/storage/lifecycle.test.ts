import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAllStorageBridges, createStorageBridge, type StorageBridge } from '../../../core-wasm/storage/bridge.ts';
import { FIXED_MODELS } from '../../../core-wasm/storage/models.ts';
import { SCHEMA_VERSION } from '../../../core-wasm/storage/schema.ts';
import { silentLogger } from '../../helpers/cores.ts';
import { BATCH_INSERT_FRIEND, INSERT_LOGIN_USER, SENT_MESSAGE } from './fixtures.ts';
import {
  type Envelope,
  call,
  captureLogger,
  dumpDatabase,
  expectFailure,
  expectList,
  expectNotFound,
  expectObj,
  expectRows,
  expectVoid,
  openBridge,
  tempDir,
} from './helpers.ts';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});
function dataDir(): string {
  const t = tempDir();
  cleanup.push(t.remove);
  return t.dir;
}
async function bridge(dir: string, userID = 'u1', extra: Parameters<typeof openBridge>[2] = {}): Promise<StorageBridge> {
  const b = await openBridge(dir, userID, extra);
  cleanup.push(() => b.close());
  return b;
}

describe('storage bridge lifecycle', () => {
  it('creates the whole schema from scratch in WAL mode, in the user directory', async () => {
    const dir = dataDir();
    const b = await bridge(dir);
    expect(b.databaseFile).toBe(join(dir, 'u1', '5', 'openim-local.db'));
    expect(existsSync(b.databaseFile)).toBe(true);
    const db = new BetterSqlite3(b.databaseFile, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      for (const model of FIXED_MODELS) {
        const cols = (db.prepare(`PRAGMA table_info("${model.table}")`).all() as Array<{ name: string; pk: number }>).map((c) => c.name);
        expect(cols, model.table).toEqual(model.fields.map((f) => f.column));
      }
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'index_%'").pluck().all();
      expect(indexes).toEqual(expect.arrayContaining(['index_role_level', 'index_join_time', 'index_latest_msg_send_time']));
    } finally {
      db.close();
    }
    // No message table until a conversation is used.
    expect(Object.keys(dumpDatabase(b)).filter((t) => t.startsWith('chat_logs_'))).toEqual([]);
  });

  it('initDB is idempotent and close/initDB (logout, re-login) keeps the data', async () => {
    const dir = dataDir();
    const b = await bridge(dir);
    expectVoid(await call(b, 'insertLoginUser', INSERT_LOGIN_USER));
    expectVoid(await call(b, 'initDB', 'u1', './'));
    expectVoid(await call(b, 'insertMessage', 'si_u1_u2', JSON.stringify(SENT_MESSAGE)));
    expectVoid(await call(b, 'close'));
    expect(b.isOpen).toBe(false);
    expectFailure(await call(b, 'getLoginUser', 'u1'), 'getLoginUser', /not open/);
    expectVoid(await call(b, 'initDB', 'u1', './'));
    expect(expectObj(await call(b, 'getLoginUser', 'u1'))).toMatchObject({ userID: 'u1', nickname: 'nick_u1' });
    expect(expectRows(await call(b, 'getMessageList', 'si_u1_u2', 20, 0, 0, '', false, 'u1'))).toHaveLength(1);
  });

  it('a new bridge (gateway restart) reopens the same file with its data', async () => {
    const dir = dataDir();
    const first = await openBridge(dir);
    expectVoid(await call(first, 'batchInsertFriend', BATCH_INSERT_FRIEND));
    expectVoid(await call(first, 'insertMessage', 'si_u1_u2', JSON.stringify(SENT_MESSAGE)));
    first.close();
    expectFailure(await call(first, 'initDB', 'u1', './'), 'initDB', /shut down/);
    const second = await bridge(dir);
    expect(expectRows(await call(second, 'getAllFriendList', 'u1')).map((f) => f.userID)).toEqual(['u2']);
    expect(expectRows(await call(second, 'getMessageList', 'si_u1_u2', 20, 0, 0, '', false, 'u1'))[0]).toMatchObject({
      clientMsgID: SENT_MESSAGE.clientMsgID,
    });
  });

  it('commits each call before its Promise resolves, also when calls are issued back to back', async () => {
    const dir = dataDir();
    const b = await bridge(dir);
    expectVoid(await call(b, 'insertConversation', JSON.stringify({ conversationID: 'sg_g1', unreadCount: 100, latestMsgSendTime: 1 })));
    // Like parallel goroutines: many calls in flight, none awaited before the next.
    const pending: Array<Promise<unknown>> = [];
    // When insert i settles, another connection must already see its row.
    const seenAtSettle: boolean[] = [];
    const visible = (clientMsgID: string): boolean => {
      const other = new BetterSqlite3(b.databaseFile, { readonly: true });
      try {
        return other.prepare('SELECT 1 FROM chat_logs_sg_g1 WHERE client_msg_id = ?').get(clientMsgID) !== undefined;
      } finally {
        other.close();
      }
    };
    for (let i = 0; i < 50; i++) {
      const clientMsgID = `c${i}`;
      pending.push(
        b.globals.insertMessage!('sg_g1', JSON.stringify({ ...SENT_MESSAGE, clientMsgID, seq: i + 1 })).then((answer) => {
          seenAtSettle[i] = visible(clientMsgID);
          return answer;
        }),
      );
      pending.push(b.globals.decrConversationUnreadCount!('sg_g1', 1));
    }
    const answers = (await Promise.all(pending)) as string[];
    expect(seenAtSettle).toEqual(Array(50).fill(true));
    expect(answers.every((a) => (JSON.parse(a) as Envelope).errCode === 0)).toBe(true);
    const db = dumpDatabase(b);
    expect(db['chat_logs_sg_g1']).toHaveLength(50);
    expect(db['local_conversations']![0]).toMatchObject({ unread_count: 50 });
  });

  it('keeps two users in one process apart, and refuses initDB for another user', async () => {
    const dir = dataDir();
    const alice = await bridge(dir, 'alice');
    const bob = await bridge(dir, 'bob');
    expectVoid(await call(alice, 'insertLoginUser', '{"userID":"alice","nickname":"A"}'));
    expectVoid(await call(alice, 'insertMessage', 'si_alice_bob', JSON.stringify({ ...SENT_MESSAGE, sendID: 'alice', recvID: 'bob' })));
    expectNotFound(await call(bob, 'getLoginUser', 'alice'), 'getLoginUser');
    expect(expectList(await call(bob, 'getMessageList', 'si_alice_bob', 20, 0, 0, '', false, 'bob'))).toEqual([]);
    expect(alice.databaseFile).not.toBe(bob.databaseFile);
    // A core can only open its own user's database, whatever it asks for.
    expectFailure(await call(bob, 'initDB', 'alice', dir), 'initDB', /belongs to user "bob"/);
    expectNotFound(await call(bob, 'getLoginUser', 'alice'), 'getLoginUser');
  });

  it('keeps one file per platform of the same user', async () => {
    const dir = dataDir();
    const web = await bridge(dir, 'u1');
    const other = await bridge(dir, 'u1', { platformID: 2 });
    expect(other.databaseFile).toBe(join(dir, 'u1', '2', 'openim-local.db'));
    expectVoid(await call(web, 'insertLoginUser', INSERT_LOGIN_USER));
    expectNotFound(await call(other, 'getLoginUser', 'u1'), 'getLoginUser');
  });

  it('encodes user IDs into one inert directory name (no traversal, case kept apart)', () => {
    const dir = dataDir();
    const names = ['../../etc', '..', 'a/b', 'C:\\x', 'Bob', 'bob', '用户', '.hidden', 'x\u0000y'];
    const files = names.map((userID) => createStorageBridge({ dataDir: dir, userID, platformID: 5, logger: silentLogger }).databaseFile);
    for (const f of files) {
      expect(f.startsWith(`${dir}/`)).toBe(true);
      const segment = f.slice(dir.length + 1).split('/')[0] as string;
      expect(segment).toMatch(/^[a-z0-9_%A-F-]+$/);
    }
    expect(new Set(files).size).toBe(names.length);
    expect(files[0]).toBe(join(dir, '%2E%2E%2F%2E%2E%2Fetc', '5', 'openim-local.db'));
    expect(() => createStorageBridge({ dataDir: dir, userID: '', platformID: 5, logger: silentLogger })).toThrow(/userID/);
    expect(() => createStorageBridge({ dataDir: dir, userID: 'u', platformID: 0, logger: silentLogger })).toThrow(/platformID/);
  });

  it('fails initDB with a clear message on a corrupt file; other users carry on', async () => {
    const dir = dataDir();
    const broken = createStorageBridge({ dataDir: dir, userID: 'u1', platformID: 5, logger: silentLogger });
    mkdirSync(broken.userDir, { recursive: true });
    writeFileSync(broken.databaseFile, 'this is not an SQLite database, just some text that is long enough. '.repeat(100));
    const env = await call(broken, 'initDB', 'u1', './');
    expectFailure(env, 'initDB', /u1\/5\/openim-local\.db is unusable: file is not a database/);
    expect(env.errMsg).not.toContain(dir); // no server paths in what may reach a client
    expect(broken.isOpen).toBe(false);
    expectFailure(await call(broken, 'getLoginUser', 'u1'), 'getLoginUser', /not open/);
    // The file is left alone for an operator to look at.
    expect(readFileSync(broken.databaseFile, 'utf8')).toMatch(/^this is not/);
    const other = await bridge(dir, 'u2');
    expectVoid(await call(other, 'insertLoginUser', '{"userID":"u2"}'));
  });

  it('fails initDB when the database cannot be created or written', async () => {
    const dir = dataDir();
    // The user's directory path is blocked by a plain file.
    const blocked = createStorageBridge({ dataDir: dir, userID: 'u1', platformID: 5, logger: silentLogger });
    writeFileSync(join(dir, 'u1'), 'not a directory');
    expectFailure(await call(blocked, 'initDB', 'u1', './'), 'initDB', /cannot create the directory for u1\/5\/openim-local\.db/);
    // The database path is a directory.
    const dirInstead = createStorageBridge({ dataDir: dir, userID: 'u2', platformID: 5, logger: silentLogger });
    mkdirSync(dirInstead.databaseFile, { recursive: true });
    expectFailure(await call(dirInstead, 'initDB', 'u2', './'), 'initDB', /u2\/5\/openim-local\.db is unusable/);
  });

  it('fails initDB on an existing database that cannot be written', async () => {
    const dir = dataDir();
    const ro = await openBridge(dir, 'u3');
    ro.close();
    if (process.getuid?.() !== 0) {
      chmodSync(ro.databaseFile, 0o444);
      chmodSync(ro.userDir, 0o555);
      cleanup.push(() => chmodSync(ro.userDir, 0o755));
    } else if (spawnSync('chattr', ['+i', ro.databaseFile]).status === 0) {
      // root ignores file modes; an immutable file (ext4 and friends) is still read-only.
      cleanup.push(() => spawnSync('chattr', ['-i', ro.databaseFile]));
    } else {
      // root without chattr (a container without CAP_LINUX_IMMUTABLE, a file system without
      // the flag): the file stays writable but its write-ahead log cannot be created, which
      // no privilege overrides; the check runs instead of being skipped.
      mkdirSync(`${ro.databaseFile}-wal`);
      mkdirSync(`${ro.databaseFile}-shm`);
    }
    const again = createStorageBridge({ dataDir: dir, userID: 'u3', platformID: 5, logger: silentLogger });
    expectFailure(await call(again, 'initDB', 'u3', './'), 'initDB', /u3\/5\/openim-local\.db is unusable: .*(readonly|read-only|unable to open|permission)/i);
    expect(again.isOpen).toBe(false);
  });

  it('refuses a file written by a newer layout', async () => {
    const dir = dataDir();
    const b = await openBridge(dir);
    b.close();
    const db = new BetterSqlite3(b.databaseFile);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const again = await openBridge(dir, 'u1', { open: false });
    expectFailure(await call(again, 'initDB', 'u1', './'), 'initDB', /newer storage bridge/);
  });

  it('adds missing columns to tables from an older layout', async () => {
    const dir = dataDir();
    const b = await openBridge(dir);
    b.close();
    const db = new BetterSqlite3(b.databaseFile);
    db.exec('DROP TABLE local_conversations; CREATE TABLE local_conversations (conversation_id char(128) PRIMARY KEY, show_name varchar(255))');
    db.exec("INSERT INTO local_conversations VALUES ('sg_g1', 'G1')");
    db.exec('CREATE TABLE "chat_logs_sg_g1" (client_msg_id CHAR(64) PRIMARY KEY, seq INTEGER)');
    db.exec(`INSERT INTO "chat_logs_sg_g1" VALUES ('m1', 7)`);
    db.close();
    const again = await bridge(dir);
    expect(expectObj(await call(again, 'getConversation', 'sg_g1'))).toMatchObject({ showName: 'G1', isPinned: false, burnDuration: 30, msgDestructTime: 604800 });
    expect(expectObj(await call(again, 'getMessage', 'sg_g1', 'm1'))).toMatchObject({ seq: 7, isRead: false, content: '' });
  });

  it('answers functions the core never calls with an error naming them, logged once', async () => {
    const dir = dataDir();
    const { logger, lines } = captureLogger();
    const b = await bridge(dir, 'u1', { logger });
    for (let i = 0; i < 3; i++) expectFailure(await call(b, 'getLostMsgSeqList', 10), 'getLostMsgSeqList', /not supported/);
    expect(lines.filter((l) => l.fn === 'getLostMsgSeqList' && l.level === 40)).toHaveLength(1);
  });

  it('closeAllStorageBridges closes every open database (worker shutdown)', async () => {
    const dir = dataDir();
    const a = await bridge(dir, 'a');
    const b = await bridge(dir, 'b');
    closeAllStorageBridges();
    expect(a.isOpen).toBe(false);
    expect(b.isOpen).toBe(false);
  });
});
