/**
 * One conversation-ID rule for the gateway, the core's storage host and the dev server:
 * IDs built by the shared rule are the ones the dev server stores messages under, the ones
 * the storage host accepts as table names, and read back to their session type.
 */
import { describe, expect, it } from 'vitest';
import { conversationID, kindOfConversationID, SESSION_TYPE, sortedIDPair } from '../../src/shared/conversation-id.ts';
import { conversationIdProblem } from '../../core-wasm/storage/conversation-id.ts';
import { conversationIDOf, selfNotificationConversationID } from '../../src/devserver/protocol/conversation-id.ts';

const chat = { isNotNotification: true };
const notification = { isNotNotification: false };

describe('conversation IDs', () => {
  it('builds each session type as the core names it', () => {
    expect(conversationID(SESSION_TYPE.single, 'bob', 'alice')).toBe('si_alice_bob');
    expect(conversationID(SESSION_TYPE.single, 'alice', 'bob')).toBe('si_alice_bob');
    expect(conversationID(SESSION_TYPE.writeGroup, 'bob', 'g1')).toBe('g_g1');
    expect(conversationID(SESSION_TYPE.group, 'bob', 'g1')).toBe('sg_g1');
    expect(conversationID(SESSION_TYPE.notification, 'bob', 'alice')).toBe('sn_alice_bob');
    expect(conversationID(5, 'bob', 'alice')).toBe('');
  });

  it('sorts a pair by UTF-8 bytes, as Go does, not by UTF-16 code units', () => {
    // U+FF5E sorts after U+1F600 in code units (a surrogate is 0xD83D) but before it in UTF-8.
    expect(sortedIDPair('\u{1F600}', '\uFF5E')).toBe('\uFF5E_\u{1F600}');
    expect(['\u{1F600}', '\uFF5E'].sort()).toEqual(['\u{1F600}', '\uFF5E']);
  });

  it('the dev server stores messages under the same IDs, and notifications under their n_ twins', () => {
    const single = { sessionType: SESSION_TYPE.single, sendID: 'bob', recvID: 'alice', groupID: '' };
    const group = { sessionType: SESSION_TYPE.group, sendID: 'bob', recvID: '', groupID: 'g1' };
    expect(conversationIDOf({ ...single, options: chat })).toBe(conversationID(SESSION_TYPE.single, 'alice', 'bob'));
    expect(conversationIDOf({ ...group, options: chat })).toBe(conversationID(SESSION_TYPE.group, 'alice', 'g1'));
    expect(conversationIDOf({ ...single, options: notification })).toBe('n_alice_bob');
    expect(conversationIDOf({ ...group, options: notification })).toBe('n_g1');
    expect(conversationIDOf({ ...single, sessionType: 9, options: chat })).toBe('');
    expect(selfNotificationConversationID('carol')).toBe('n_carol_carol');
  });

  it('every built ID passes the storage host check and reads back to its session type', () => {
    for (const type of Object.values(SESSION_TYPE)) {
      const id = conversationID(type, 'user_1', 'other.2');
      expect(conversationIdProblem(id)).toBeUndefined();
      expect(kindOfConversationID(id)?.sessionType).toBe(type);
    }
    expect(conversationIdProblem('n_alice_bob')).toBeUndefined();
    expect(kindOfConversationID('n_alice_bob')).toBeUndefined();
    expect(conversationIdProblem('x_alice')).toMatch(/does not start with one of si_ sg_ g_ sn_ n_/);
  });
});
