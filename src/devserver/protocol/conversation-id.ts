/**
 * Conversation IDs as the IM server stores and pushes them (docs/im-server.md#conversation-ids). The chat kinds (si_, g_, sg_,
 * sn_) follow the one rule the core and the gateway use too (src/shared/conversation-id.ts);
 * what only the server has is its notification conversations: a message flagged as a
 * notification goes to `n_` + the same pair or group ID instead.
 */
import { conversationID, conversationKind, NOTIFICATION_CONVERSATION_PREFIX, SESSION_TYPE, sortedIDPair } from '../../shared/conversation-id.ts';
import { MsgOption, optionOn } from './constants.ts';

export function singleConversationID(a: string, b: string): string {
  return conversationID(SESSION_TYPE.single, a, b);
}

export function groupConversationID(groupID: string): string {
  return conversationID(SESSION_TYPE.group, '', groupID);
}

export function selfNotificationConversationID(userID: string): string {
  return NOTIFICATION_CONVERSATION_PREFIX + sortedIDPair(userID, userID);
}

export function isNotificationConversationID(id: string): boolean {
  return id.startsWith(NOTIFICATION_CONVERSATION_PREFIX);
}

/** `si_a_b` → `n_a_b`, `sg_g` → `n_g`: the notification twin of a chat conversation. */
export function notificationTwin(id: string): string {
  const at = id.indexOf('_');
  return at < 0 ? '' : `n${id.slice(at)}`;
}

interface Routable {
  sessionType: number;
  sendID: string;
  recvID: string;
  groupID: string;
  options: Readonly<Record<string, boolean>>;
}

/** A message is a notification unless its options leave `isNotNotification` on. */
export function isNotificationMsg(msg: Pick<Routable, 'options'>): boolean {
  return !optionOn(msg.options, MsgOption.isNotNotification);
}

/** The conversation a message is stored and pushed under; '' for session types that have none. */
export function conversationIDOf(msg: Routable): string {
  const kind = conversationKind(msg.sessionType);
  if (kind === undefined) return '';
  const chat = kind.ids === 2 ? conversationID(msg.sessionType, msg.sendID, msg.recvID) : conversationID(msg.sessionType, '', msg.groupID);
  return isNotificationMsg(msg) ? notificationTwin(chat) : chat;
}
