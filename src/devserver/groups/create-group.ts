/**
 * create_group as the real group service does it: owner + admins + members,
 * all registered, no repeats; a given groupID must be free, otherwise one is made up.
 * The GroupCreated notification (and, unless `sendMessage` is false, its stored tips copy
 * in the group chat, which also creates every member's conversation) follows the reply.
 */
import { randomInt } from 'node:crypto';
import { GroupRole, GroupStatus, JOIN_BY_INVITATION, WORKING_GROUP } from '../protocol/constants.ts';
import { ImError } from '../protocol/im-error-codes.ts';
import type { Push } from '../messaging/deliver.ts';
import type { GroupRecord, MemberRecord } from '../store/groups.ts';
import type { DevState } from '../store/state.ts';
import { groupInfoView, type GroupInfoView } from '../store/views.ts';
import { groupCreatedNotification } from './group-created-notification.ts';

export interface CreateGroupInput {
  readonly ownerUserID: string;
  readonly memberUserIDs: readonly string[];
  readonly adminUserIDs: readonly string[];
  readonly groupInfo: Omit<GroupRecord, 'createTime' | 'status'>;
  /** null: the notification's own default (send the tips message). */
  readonly sendMessage: boolean | undefined;
}

export interface CreateGroupContext {
  readonly state: DevState;
  readonly opUserID: string;
  readonly operationID: string;
}

/** Ten-ish decimal digits, like the real server's IDs (a 32-bit number in decimal). */
function newGroupID(state: DevState): string {
  for (;;) {
    const id = String(randomInt(1, 2 ** 32));
    if (!state.groups.has(id)) return id;
  }
}

export function createGroup(ctx: CreateGroupContext, input: CreateGroupInput): { group: GroupInfoView; pushes: Push[] } {
  const { state, opUserID } = ctx;
  if (input.groupInfo.groupType !== WORKING_GROUP) throw new ImError('ArgsError', `group type only supports ${WORKING_GROUP}`);
  if (input.ownerUserID === '') throw new ImError('ArgsError', 'no group owner');
  if (opUserID !== input.ownerUserID && !state.auth.isAdmin(opUserID)) {
    throw new ImError('NoPermissionError', `ownerUserID ${input.ownerUserID}`);
  }
  const userIDs = [...input.memberUserIDs, ...input.adminUserIDs, input.ownerUserID];
  if (!userIDs.includes(opUserID)) userIDs.push(opUserID);
  if (new Set(userIDs).size !== userIDs.length) throw new ImError('ArgsError', 'group member repeated');
  if (userIDs.some((id) => !state.users.has(id))) throw new ImError('UserIDNotFoundError', 'user not found');

  let groupID = input.groupInfo.groupID;
  if (groupID !== '') {
    if (state.groups.has(groupID)) throw new ImError('GroupIDExisted', `group id existed ${groupID}`);
  } else {
    groupID = newGroupID(state);
  }

  const now = state.now();
  const group: GroupRecord = { ...input.groupInfo, groupID, createTime: now, status: GroupStatus.ok };
  const member = (userID: string, roleLevel: number): MemberRecord => ({
    groupID,
    userID,
    roleLevel,
    joinTime: now,
    nickname: '',
    faceURL: '',
    joinSource: JOIN_BY_INVITATION,
    operatorUserID: opUserID,
    ex: '',
    muteEndTime: 0,
    inviterUserID: opUserID,
  });
  const members = [
    member(input.ownerUserID, GroupRole.owner),
    ...input.adminUserIDs.map((id) => member(id, GroupRole.admin)),
    ...input.memberUserIDs.map((id) => member(id, GroupRole.member)),
  ];
  state.groups.create(group, members);

  const view = groupInfoView(state, group);
  const pushes = groupCreatedNotification(ctx, view, members, input.sendMessage);
  return { group: view, pushes };
}
