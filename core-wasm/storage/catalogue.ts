/**
 * Every JS function the core (v3.8.3-patch.10) can call for storage, by name. A core
 * build that calls something else is a different contract: names not here are logged
 * and answered with an error, never left to time out.
 */
import type { FunctionTable, Tier } from './define.ts';
import { BLACK_FUNCTIONS } from './functions/blacks.ts';
import { CONVERSATION_FUNCTIONS } from './functions/conversations.ts';
import { FRIEND_FUNCTIONS } from './functions/friends.ts';
import { GROUP_MEMBER_FUNCTIONS } from './functions/group-members.ts';
import { GROUP_FUNCTIONS } from './functions/groups.ts';
import { MESSAGE_SEARCH_FUNCTIONS } from './functions/message-search.ts';
import { MESSAGE_FUNCTIONS } from './functions/messages.ts';
import { SENDING_FUNCTIONS } from './functions/sending.ts';
import { SYNC_STATE_FUNCTIONS } from './functions/sync-state.ts';
import { UPLOAD_FUNCTIONS } from './functions/uploads.ts';
import { USER_COMMAND_FUNCTIONS } from './functions/user-commands.ts';
import { USER_FUNCTIONS } from './functions/users.ts';

/** Opening and closing the database: handled by the bridge itself. */
export const LIFECYCLE_FUNCTIONS: Readonly<Record<'initDB' | 'close', Tier>> = { initDB: 'P0', close: 'P0' };

export const STORAGE_FUNCTIONS: FunctionTable = {
  ...USER_FUNCTIONS,
  ...FRIEND_FUNCTIONS,
  ...BLACK_FUNCTIONS,
  ...GROUP_FUNCTIONS,
  ...GROUP_MEMBER_FUNCTIONS,
  ...CONVERSATION_FUNCTIONS,
  ...MESSAGE_FUNCTIONS,
  ...MESSAGE_SEARCH_FUNCTIONS,
  ...SENDING_FUNCTIONS,
  ...SYNC_STATE_FUNCTIONS,
  ...USER_COMMAND_FUNCTIONS,
  ...UPLOAD_FUNCTIONS,
};

/**
 * Compiled into the core but unreachable (tier X): not in its DB interface, no call
 * sites. Most lack a conversation ID and could not even address a message table.
 */
export const UNSUPPORTED_FUNCTIONS: readonly string[] = [
  'getAllGroupMemberUserIDList',
  'getUserJoinedGroupIDs',
  'clearAllConversation',
  'getMultipleMessage',
  'messageIfExists',
  'messageIfExistsBySeq',
  'isExistsInErrChatLogBySeq',
  'getMsgSeqByClientMsgID',
  'getMsgSeqListByGroupID',
  'getMsgSeqListByPeerUserID',
  'getMsgSeqListBySelfUserID',
  'getLostMsgSeqList',
  'getAlreadyExistSeqList',
  'getSuperGroupAbnormalMsgSeq',
  'getTestMessage',
  'deleteAllMessage',
  'deleteConversationMsgsBySeqs',
  'updateColumnsMessageList',
  'updateSingleMessageHasRead',
  'updateGroupMessageHasRead',
  'updateMessageStatusBySourceID',
];

/** Name → tier for every function the bridge installs (for reports and tests). */
export function functionTiers(): Record<string, Tier | 'X'> {
  const out: Record<string, Tier | 'X'> = { ...LIFECYCLE_FUNCTIONS };
  for (const [name, f] of Object.entries(STORAGE_FUNCTIONS)) out[name] = f.tier;
  for (const name of UNSUPPORTED_FUNCTIONS) out[name] = 'X';
  return out;
}
