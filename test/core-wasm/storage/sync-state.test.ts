import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StorageBridge } from '../../../core-wasm/storage/bridge.ts';
import { INSERT_SENDING_MESSAGE, SET_APP_SDK_VERSION, SET_VERSION_SYNC } from './fixtures.ts';
import { call, expectFailure, expectList, expectNotFound, expectNum, expectObj, expectRows, expectVoid, freshBridgePerTest, openBridge } from './helpers.ts';

let b: StorageBridge;
let dir: string;
freshBridgePerTest((fresh) => ({ bridge: b, dir } = fresh));

describe('sending messages', () => {
  it('insert (appendix), list at login, delete when acked', async () => {
    expect(expectList(await call(b, 'getAllSendingMessages'))).toEqual([]);
    expectVoid(await call(b, 'insertSendingMessage', INSERT_SENDING_MESSAGE));
    expect(expectRows(await call(b, 'getAllSendingMessages'))).toEqual([JSON.parse(INSERT_SENDING_MESSAGE)]);
    expectVoid(await call(b, 'deleteSendingMessage', 'si_u1_u2', '8a85b098c0bd834045256d728318bb4f'));
    expect(expectList(await call(b, 'getAllSendingMessages'))).toEqual([]);
  });

  it('the unread side table: insert, delete up to a send time (returns rows)', async () => {
    const rows = [1, 2, 3].map((t) => ({ conversationID: 'sg_g1', clientMsgID: `c${t}`, sendTime: t, ex: '' }));
    expectVoid(await call(b, 'batchInsertConversationUnreadMessageList', JSON.stringify(rows)));
    expect(expectNum(await call(b, 'deleteConversationUnreadMessageList', 'sg_g1', 2))).toBe(2);
    expect(expectNum(await call(b, 'deleteConversationUnreadMessageList', 'sg_g1', 2))).toBe(0);
  });
});

describe('notification seqs', () => {
  it('set is an upsert; batch insert; list all', async () => {
    expect(expectList(await call(b, 'getNotificationAllSeqs'))).toEqual([]);
    expectVoid(await call(b, 'setNotificationSeq', 'n_u1', 3));
    expectVoid(await call(b, 'setNotificationSeq', 'n_u1', 4));
    expectVoid(await call(b, 'batchInsertNotificationSeq', '[{"conversationID":"sn_a_u1","seq":9},{"conversationID":"n_u1","seq":5}]'));
    expectVoid(await call(b, 'batchInsertNotificationSeq', 'null'));
    expect(expectRows(await call(b, 'getNotificationAllSeqs'))).toEqual([
      { conversationID: 'n_u1', seq: 5 },
      { conversationID: 'sn_a_u1', seq: 9 },
    ]);
  });
});

describe('version sync', () => {
  it('10002 until set (appendix); uidList comes back parsed, in order; replace; delete', async () => {
    expectNotFound(await call(b, 'getVersionSync', 'local_friends', 'u1'), 'getVersionSync');
    expectVoid(await call(b, 'setVersionSync', SET_VERSION_SYNC));
    const v = expectObj(await call(b, 'getVersionSync', 'local_friends', 'u1'));
    expect(v).toEqual(JSON.parse(SET_VERSION_SYNC));
    expect(Array.isArray(v.uidList)).toBe(true);
    expectVoid(await call(b, 'setVersionSync', '{"tableName":"local_friends","entityID":"u1","versionID":"vf2","version":2,"createTime":0,"uidList":["u9","u2","u5"]}'));
    expect(expectObj(await call(b, 'getVersionSync', 'local_friends', 'u1'))).toMatchObject({ versionID: 'vf2', version: 2, uidList: ['u9', 'u2', 'u5'] });
    expectVoid(await call(b, 'setVersionSync', '{"tableName":"local_friends","entityID":"u1","versionID":"vf3","version":3,"createTime":0,"uidList":null}'));
    expect(expectObj(await call(b, 'getVersionSync', 'local_friends', 'u1'))).toMatchObject({ version: 3, uidList: null });
    expectVoid(await call(b, 'setVersionSync', '{"tableName":"local_group_entities_version","entityID":"g1","versionID":"x","version":1,"createTime":0,"uidList":[]}'));
    expect(expectObj(await call(b, 'getVersionSync', 'local_group_entities_version', 'g1'))).toMatchObject({ uidList: [] });
    expectVoid(await call(b, 'deleteVersionSync', 'local_friends', 'u1'));
    expectNotFound(await call(b, 'getVersionSync', 'local_friends', 'u1'), 'getVersionSync');
    expectFailure(await call(b, 'setVersionSync', '{"tableName":"t","entityID":"e","uidList":"u2"}'), 'setVersionSync', /array of strings/);
  });
});

describe('app SDK version ("already installed" flag)', () => {
  it('10002 on a fresh install; one row; an empty version keeps the stored one', async () => {
    expectNotFound(await call(b, 'getAppSDKVersion'), 'getAppSDKVersion');
    expectVoid(await call(b, 'setAppSDKVersion', SET_APP_SDK_VERSION));
    expect(expectObj(await call(b, 'getAppSDKVersion'))).toEqual({ version: '', installed: true });
    expectVoid(await call(b, 'setAppSDKVersion', '{"version":"v3.8.3","installed":true}'));
    expectVoid(await call(b, 'setAppSDKVersion', SET_APP_SDK_VERSION));
    expect(expectObj(await call(b, 'getAppSDKVersion'))).toEqual({ version: 'v3.8.3', installed: true });
    expectVoid(await call(b, 'setAppSDKVersion', '{"version":"","installed":false}'));
    expect(expectObj(await call(b, 'getAppSDKVersion'))).toEqual({ version: 'v3.8.3', installed: true });
  });

  it('getExistTables lists the tables', async () => {
    const tables = expectList(await call(b, 'getExistTables'));
    expect(tables).toEqual(expect.arrayContaining(['local_conversations', 'local_sync_version', 'local_app_sdk_version']));
  });
});

describe('user commands', () => {
  const cmd = (over: Record<string, unknown> = {}): string => JSON.stringify({ userID: 'u1', type: 1, uuid: 'x1', createTime: 5, value: 'v', ex: '', ...over });

  it('add, get all, update whole row (error if none), delete by type and uuid', async () => {
    expectVoid(await call(b, 'processUserCommandAdd', cmd()));
    expectVoid(await call(b, 'processUserCommandAdd', cmd({ uuid: 'x2' })));
    expect(expectRows(await call(b, 'processUserCommandGetAll'))).toHaveLength(2);
    expectVoid(await call(b, 'processUserCommandUpdate', cmd({ value: 'new', ex: 'e' })));
    expect(expectRows(await call(b, 'processUserCommandGetAll'))[0]).toEqual(JSON.parse(cmd({ value: 'new', ex: 'e' })));
    expectFailure(await call(b, 'processUserCommandUpdate', cmd({ uuid: 'none' })), 'processUserCommandUpdate', /no command/);
    expectVoid(await call(b, 'processUserCommandDelete', '{"userID":"someone","type":1,"uuid":"x1"}'));
    expect(expectRows(await call(b, 'processUserCommandGetAll')).map((c) => c.uuid)).toEqual(['x2']);
  });
});

describe('upload records', () => {
  const up = (over: Record<string, unknown> = {}): string =>
    JSON.stringify({ partHash: 'h1', uploadID: 'up-1', uploadInfo: 'AAA=', expireTime: 1000, createTime: 10, ...over });

  it('get (10002 when absent), insert, update non-zero fields, delete', async () => {
    expectNotFound(await call(b, 'getUpload', 'h1'), 'getUpload');
    expectVoid(await call(b, 'insertUpload', up()));
    expect(expectObj(await call(b, 'getUpload', 'h1'))).toEqual(JSON.parse(up()));
    expectVoid(await call(b, 'updateUpload', up({ uploadInfo: 'BBB=', uploadID: '', expireTime: 0 })));
    expect(expectObj(await call(b, 'getUpload', 'h1'))).toEqual(JSON.parse(up({ uploadInfo: 'BBB=' })));
    expectVoid(await call(b, 'deleteUpload', 'h1'));
    expectNotFound(await call(b, 'getUpload', 'h1'), 'getUpload');
  });
});

describe('upload files (wasmOpen/wasmRead/wasmClose)', () => {
  const content = Buffer.from('0123456789abcdef');

  beforeEach(() => {
    mkdirSync(b.uploadsDir, { recursive: true });
    writeFileSync(join(b.uploadsDir, 'file-1'), content);
  });

  it('opens by uuid in the user upload directory, reads ranges as bytes, closes', async () => {
    expect(b.uploadsDir).toBe(join(b.userDir, 'uploads'));
    expect(expectNum(await call(b, 'wasmOpen', 'file-1'))).toBe(16);
    const chunk = await b.globals.wasmRead!('file-1', 4, 6);
    expect(chunk).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(chunk as Uint8Array).toString()).toBe('456789');
    // Never more than asked, nor past the end.
    expect(Buffer.from((await b.globals.wasmRead!('file-1', 12, 100)) as Uint8Array).toString()).toBe('cdef');
    expect(((await b.globals.wasmRead!('file-1', 16, 10)) as Uint8Array).length).toBe(0);
    expectVoid(await call(b, 'wasmClose', 'file-1'));
    expectFailure(await call(b, 'wasmRead', 'file-1', 0, 1), 'wasmRead', /not open/);
  });

  it('works without the database open (the core may upload right after logout)', async () => {
    expectVoid(await call(b, 'close'));
    expect(expectNum(await call(b, 'wasmOpen', 'file-1'))).toBe(16);
    expectVoid(await call(b, 'wasmClose', 'file-1'));
  });

  it('refuses names and links that leave the user directory', async () => {
    writeFileSync(join(dir, 'secret'), 'top secret');
    symlinkSync(join(dir, 'secret'), join(b.uploadsDir, 'link-out'));
    for (const uuid of ['../secret', '../../u1/5/openim-local.db', '/etc/passwd', 'a/b', '..', '.', '', '.hidden', 'x\u0000y']) {
      expectFailure(await call(b, 'wasmOpen', uuid), 'wasmOpen', /not a file name/);
    }
    expectFailure(await call(b, 'wasmOpen', 'link-out'), 'wasmOpen', /outside/);
    expectFailure(await call(b, 'wasmOpen', 'missing'), 'wasmOpen', /ENOENT/);
    mkdirSync(join(b.uploadsDir, 'a-dir'));
    expectFailure(await call(b, 'wasmOpen', 'a-dir'), 'wasmOpen', /not a regular file/);
  });

  it('another user cannot read this user’s uploads', async () => {
    const other = await openBridge(dir, 'u2');
    try {
      expectFailure(await call(other, 'wasmOpen', 'file-1'), 'wasmOpen', /ENOENT/);
    } finally {
      other.close();
    }
  });
});
