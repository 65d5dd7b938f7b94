/**
 * Conversation IDs come from the network and end up in table names
 * (`chat_logs_<conversationID>`), so only the formats the core builds are accepted.
 */
import { StorageError } from './errors.ts';
import { quoteIdent } from './model.ts';
import { CONVERSATION_KINDS, NOTIFICATION_CONVERSATION_PREFIX, type ConversationKind } from '../../src/shared/conversation-id.ts';

type ConversationIdFormat = Pick<ConversationKind, 'prefix' | 'ids' | 'meaning'>;

/**
 * As built by the core (`GetConversationIDBySessionType`, `GetConversationIDByMsg`): every
 * session type's kind, and the IM server's notification conversations (one ID after `n_`
 * as far as this check goes: a pair is also one run of ID characters with a `_` inside).
 */
export const CONVERSATION_ID_FORMATS: readonly ConversationIdFormat[] = [
  ...CONVERSATION_KINDS,
  { prefix: NOTIFICATION_CONVERSATION_PREFIX, ids: 1, meaning: 'notification conversation' },
];

/** `local_conversations.conversation_id` is char(128). */
export const MAX_CONVERSATION_ID_LENGTH = 128;

/**
 * Characters a user or group ID may contain here: letters and digits of any script and
 * a few separators. No quotes, backslashes, slashes, whitespace or control characters.
 */
const ID_BODY = /^[\p{L}\p{N}_.@+=:~-]+$/u;

/** Why `id` is not an acceptable conversation ID, or undefined when it is. */
export function conversationIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'it is empty';
  if (id.length > MAX_CONVERSATION_ID_LENGTH) return `it is longer than ${MAX_CONVERSATION_ID_LENGTH} characters`;
  const format = CONVERSATION_ID_FORMATS.find((f) => id.startsWith(f.prefix));
  if (!format) return `it does not start with one of ${CONVERSATION_ID_FORMATS.map((f) => f.prefix).join(' ')}`;
  const body = id.slice(format.prefix.length);
  if (!ID_BODY.test(body)) return 'it contains characters not allowed in an ID';
  if (format.ids === 2) {
    const sep = body.indexOf('_');
    if (sep <= 0 || sep === body.length - 1) return `${format.prefix} must be followed by two IDs joined by "_"`;
  }
  return undefined;
}

export function checkConversationId(fn: string, id: string): void {
  const problem = conversationIdProblem(id);
  if (problem) throw new StorageError(`${fn}: invalid conversationID ${JSON.stringify(id.slice(0, 160))}: ${problem}`);
}

export const CHAT_LOG_TABLE_PREFIX = 'chat_logs_';

/** The quoted message-table name for a conversation ID that passed checkConversationId. */
export function chatLogTable(id: string): string {
  return quoteIdent(CHAT_LOG_TABLE_PREFIX + id);
}
