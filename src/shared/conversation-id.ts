/**
 * How OpenIM names a conversation, by session type: a prefix, then either the two user IDs
 * sorted (single chat, server notification) or the one group ID. One table for every place
 * that builds, reads or checks these IDs: the gateway (GetConversationIDBySessionType,
 * typing messages), the core's storage host (IDs end up in table names), the dev server.
 */
import { Buffer } from 'node:buffer';

export interface ConversationKind {
  readonly sessionType: number;
  readonly prefix: string;
  /** 2: the two user IDs joined by `_`, sorted; 1: the group ID (IDs may contain `_` themselves). */
  readonly ids: 1 | 2;
  readonly meaning: string;
}

/** Session types as OpenIM numbers them. */
export const SESSION_TYPE = { single: 1, writeGroup: 2, group: 3, notification: 4 } as const;

export const CONVERSATION_KINDS: readonly ConversationKind[] = [
  { sessionType: SESSION_TYPE.single, prefix: 'si_', ids: 2, meaning: 'single chat: the two user IDs, sorted' },
  { sessionType: SESSION_TYPE.group, prefix: 'sg_', ids: 1, meaning: 'group chat: the group ID' },
  { sessionType: SESSION_TYPE.writeGroup, prefix: 'g_', ids: 1, meaning: 'legacy group chat: the group ID' },
  { sessionType: SESSION_TYPE.notification, prefix: 'sn_', ids: 2, meaning: 'server notification: sender and receiver IDs' },
];

/**
 * The IM server's own notification conversations (`n_` + the pair or the group ID): never a
 * session type of their own, so the core's GetConversationIDBySessionType cannot build one.
 */
export const NOTIFICATION_CONVERSATION_PREFIX = 'n_';

/** Two user IDs joined as the core joins them: sorted by UTF-8 bytes, as Go sorts strings (JS string order differs outside the BMP). */
export function sortedIDPair(a: string, b: string): string {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0 ? `${a}_${b}` : `${b}_${a}`;
}

/** The kind of a session type, or undefined for one that has no conversation. */
export function conversationKind(sessionType: number): ConversationKind | undefined {
  return CONVERSATION_KINDS.find((k) => k.sessionType === sessionType);
}

/**
 * The conversation ID of `sessionType` between `userID` and `sourceID` (the other user, or
 * the group: `userID` is then not part of it); '' for a session type that has none.
 */
export function conversationID(sessionType: number, userID: string, sourceID: string): string {
  const kind = conversationKind(sessionType);
  if (!kind) return '';
  return kind.prefix + (kind.ids === 2 ? sortedIDPair(userID, sourceID) : sourceID);
}

/** The kind a conversation ID is of, by its prefix; undefined for notification and unknown IDs. */
export function kindOfConversationID(id: string): ConversationKind | undefined {
  return CONVERSATION_KINDS.find((k) => id.startsWith(k.prefix));
}
