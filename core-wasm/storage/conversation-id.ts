/**
 * Conversation IDs come from the network and end up in table names
 * (`chat_logs_<conversationID>`), so only the formats the core builds are accepted.
 */
import { StorageError } from './errors.ts';
import { quoteIdent } from './model.ts';

interface ConversationIdFormat {
  readonly prefix: string;
  /** How many IDs follow the prefix, joined by `_` (IDs may contain `_` themselves). */
  readonly ids: 1 | 2;
  readonly meaning: string;
}

/** As built by the core (`GetConversationIDBySessionType`, `GetConversationIDByMsg`). */
export const CONVERSATION_ID_FORMATS: readonly ConversationIdFormat[] = [
  { prefix: 'si_', ids: 2, meaning: 'single chat: the two user IDs, sorted' },
  { prefix: 'sg_', ids: 1, meaning: 'group chat: the group ID' },
  { prefix: 'g_', ids: 1, meaning: 'legacy group chat: the group ID' },
  { prefix: 'sn_', ids: 2, meaning: 'server notification: sender and receiver IDs' },
  { prefix: 'n_', ids: 1, meaning: 'notification conversation' },
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
