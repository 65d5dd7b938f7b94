/**
 * Who may change a group, and the bookkeeping around members coming and going that the
 * real group service asks the conversation and message services for: newcomers get the
 * group's conversation, leavers keep theirs but see nothing sent after they left.
 */
import { GroupRole, GroupStatus, SessionType } from '../protocol/constants.ts';
import { groupConversationID } from '../protocol/conversation-id.ts';
import { ImError } from '../protocol/im-error-codes.ts';
import type { GroupRecord, MemberRecord } from '../store/groups.ts';
import type { DevState } from '../store/state.ts';

/** Members one group may have: a bound on what one owner can make the server hold (create_group allows 1 000 at once). */
export const MAX_GROUP_MEMBERS = 10_000;

/** Pending applications one group may collect before new ones are refused. */
export const MAX_PENDING_APPLICATIONS_PER_GROUP = 1_000;

export function requireGroup(state: DevState, groupID: string): GroupRecord {
  const group = state.groups.get(groupID);
  if (group === undefined) throw new ImError('RecordNotFoundError', `group ${groupID} not found`);
  return group;
}

export function requireLiveGroup(state: DevState, groupID: string): GroupRecord {
  const group = requireGroup(state, groupID);
  if (group.status === GroupStatus.dismissed) throw new ImError('DismissedAlreadyError', 'group dismissed');
  return group;
}

export function requireMember(state: DevState, groupID: string, userID: string): MemberRecord {
  const member = state.groups.member(groupID, userID);
  if (member === undefined) throw new ImError('RecordNotFoundError', `${userID} is not a member of group ${groupID}`);
  return member;
}

export function isManager(member: MemberRecord | undefined): boolean {
  return member?.roleLevel === GroupRole.owner || member?.roleLevel === GroupRole.admin;
}

/** The real CheckGroupAdmin: an app admin, or the group's owner or an admin. */
export function requireGroupManager(state: DevState, groupID: string, opUserID: string): MemberRecord | undefined {
  if (state.auth.isAdmin(opUserID)) return state.groups.member(groupID, opUserID);
  const member = requireMember(state, groupID, opUserID);
  if (!isManager(member)) throw new ImError('NoPermissionError', 'no group owner or admin');
  return member;
}

export function requireRoom(state: DevState, groupID: string, adding: number): void {
  if (state.groups.memberIDs(groupID).length + adding > MAX_GROUP_MEMBERS) {
    throw new ImError('ArgsError', `a group holds at most ${MAX_GROUP_MEMBERS} members`);
  }
}

/** Adds members and gives each the group's conversation (seen from its start). */
export function enterGroup(state: DevState, groupID: string, members: readonly MemberRecord[]): void {
  state.groups.addMembers(groupID, members);
  const conversationID = groupConversationID(groupID);
  for (const m of members) {
    const created = state.conversations.ensure(m.userID, conversationID, { conversationType: SessionType.group, groupID });
    // A returning member sees the chat again.
    if (!created && state.conversations.get(m.userID, conversationID)?.maxSeq !== 0) {
      state.conversations.update(m.userID, conversationID, { maxSeq: 0 });
    }
  }
}

/** After the leaving notice went out: leavers keep the chat up to that notice. */
export function sealConversationFor(state: DevState, groupID: string, userIDs: readonly string[]): void {
  const conversationID = groupConversationID(groupID);
  const maxSeq = state.messages.maxSeq(conversationID);
  for (const userID of userIDs) {
    // As on the real server, 0 (a chat without messages) means "no limit".
    if (state.conversations.get(userID, conversationID) !== undefined) state.conversations.update(userID, conversationID, { maxSeq });
  }
}

export function newMember(groupID: string, userID: string, fields: Partial<MemberRecord> & { joinTime: number }): MemberRecord {
  return {
    groupID,
    userID,
    roleLevel: GroupRole.member,
    nickname: '',
    faceURL: '',
    joinSource: 0,
    operatorUserID: '',
    ex: '',
    muteEndTime: 0,
    inviterUserID: '',
    ...fields,
  };
}
