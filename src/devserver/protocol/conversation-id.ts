/**
 * Conversation IDs (docs/im-server.md#conversation-ids). User IDs are ordered with a plain code-unit sort, which is
 * byte order for the ASCII IDs the server accepts, as Go's sort.Strings.
 */
import { MsgOption, SessionType, optionOn } from './constants.ts';

function sortedPair(a: string, b: string): string {
  return a < b ? `${a}_${b}` : `${b}_${a}`;
}

export function singleConversationID(a: string, b: string): string {
  return `si_${sortedPair(a, b)}`;
}

export function groupConversationID(groupID: string): string {
  return `sg_${groupID}`;
}

export function selfNotificationConversationID(userID: string): string {
  return `n_${userID}_${userID}`;
}

export function isNotificationConversationID(conversationID: string): boolean {
  return conversationID.startsWith('n_');
}

/** `si_a_b` → `n_a_b`, `sg_g` → `n_g`: the notification twin of a chat conversation. */
export function notificationTwin(conversationID: string): string {
  const at = conversationID.indexOf('_');
  return at < 0 ? '' : `n${conversationID.slice(at)}`;
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
  const notification = isNotificationMsg(msg);
  switch (msg.sessionType) {
    case SessionType.single:
      return `${notification ? 'n' : 'si'}_${sortedPair(msg.sendID, msg.recvID)}`;
    case SessionType.writeGroup:
      return `${notification ? 'n' : 'g'}_${msg.groupID}`;
    case SessionType.group:
      return `${notification ? 'n' : 'sg'}_${msg.groupID}`;
    case SessionType.notification:
      return `${notification ? 'n' : 'sn'}_${sortedPair(msg.sendID, msg.recvID)}`;
    default:
      return '';
  }
}
