import { describe, expect, it } from 'vitest';
import { createStorageBridge, storageFunctionNames } from '../../../core-wasm/storage/bridge.ts';
import { functionTiers } from '../../../core-wasm/storage/catalogue.ts';
import { silentLogger } from '../../helpers/cores.ts';

/** The 45 functions observed during login, sync, send, receive, history, read, logout (docs/core-storage.md#login-sequence). */
const P0 = [
  'initDB', 'close', 'getLoginUser', 'insertLoginUser', 'getFriendInfoByFriendUserID', 'getFriendInfoList', 'batchInsertFriend',
  'deleteAllFriend', 'getBlackListDB', 'getJoinedGroupListDB', 'getGroups', 'batchInsertGroup', 'deleteAllGroup',
  'batchInsertGroupMember', 'deleteGroupAllMembers', 'getConversation', 'getAllConversationListDB', 'getHiddenConversationList',
  'getAllConversations', 'getAllConversationIDList', 'getMultipleConversationDB', 'insertConversation', 'batchInsertConversationList',
  'updateConversation', 'updateColumnsConversation', 'deleteAllConversation', 'getTotalUnreadMsgCountDB', 'getMessage',
  'getMessageList', 'getConversationNormalMsgSeq', 'checkConversationNormalMsgSeq', 'getConversationPeerNormalMsgSeq',
  'getUnreadMessage', 'insertMessage', 'batchInsertMessageList', 'updateMessageTimeAndStatus', 'markConversationMessageAsReadDB',
  'insertSendingMessage', 'deleteSendingMessage', 'getAllSendingMessages', 'getNotificationAllSeqs', 'getVersionSync',
  'setVersionSync', 'getAppSDKVersion', 'setAppSDKVersion',
]; // prettier-ignore

/** Names the browser worker registers for this core's storage under a different global (docs/core-storage.md#name-collisions): never ours. */
const WORKER_SIDE_NAMES = [
  'getAllConversationList', 'getMultipleConversation', 'getTotalUnreadMsgCount', 'getConversationListSplit', 'setConversationDraft',
  'markConversationMessageAsRead', 'getBlackList', 'deleteFriend', 'getJoinedGroupList', 'getGroupMemberOwnerAndAdmin',
  'searchGroupMembers', 'getExistedTables', 'init',
]; // prettier-ignore

describe('function catalogue', () => {
  const tiers = functionTiers();
  const count = (t: string): number => Object.values(tiers).filter((x) => x === t).length;

  // A count of our table, not of the binary: openIM.wasm does not hold these names as plain bytes to search for.
  it('catalogues 152 functions by tier: 45 P0 (exactly the observed list), 68 P1, 18 P2, 21 X', () => {
    expect(Object.keys(tiers)).toHaveLength(152);
    expect(count('P0')).toBe(45);
    expect(count('P1')).toBe(68); // 65 storage + wasmOpen/wasmRead/wasmClose
    expect(count('P2')).toBe(18);
    expect(count('X')).toBe(21);
    expect(
      Object.keys(tiers)
        .filter((n) => tiers[n] === 'P0')
        .sort(),
    ).toEqual([...P0].sort());
  });

  it('installs exactly those names as functions returning Promises, none under worker-side names', async () => {
    const b = createStorageBridge({ dataDir: '/nonexistent-never-opened', userID: 'u1', platformID: 5, logger: silentLogger });
    expect(Object.keys(b.globals).sort()).toEqual(storageFunctionNames().sort());
    expect(Object.keys(b.globals).sort()).toEqual(Object.keys(tiers).sort());
    for (const name of WORKER_SIDE_NAMES) expect(b.globals[name], name).toBeUndefined();
    // Before initDB every call still answers (an error envelope), promptly.
    for (const [name, g] of Object.entries(b.globals)) {
      if (name === 'initDB') continue;
      const p = g();
      expect(p, name).toBeInstanceOf(Promise);
      const r = await p;
      expect(typeof r === 'string' || r instanceof Uint8Array, name).toBe(true);
    }
  });
});
