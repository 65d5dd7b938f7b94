/**
 * The group service's notifications after a change, with the tips the real sender builds
 * (group info, operator, the members concerned, the member log's version after the change).
 * Group-wide ones travel to the members in `n_<groupID>` (and, with `isSendMsg`, as a tips
 * message in `sg_<groupID>`); applications travel to single users. The core reacts: member
 * changes → OnGroupMemberAdded/Deleted/InfoChanged, its own entry or exit →
 * OnJoinedGroupAdded/Deleted, group changes → OnGroupInfoChanged, 1511 → OnGroupDismissed,
 * 1503/1505/1506 → OnGroupApplicationAdded/Accepted/Rejected.
 */
import { randomUUID } from 'node:crypto';
import type { Push } from '../messaging/deliver.ts';
import { notify, type NotifyContext } from '../messaging/notification.ts';
import { ContentType } from '../protocol/constants.ts';
import type { GroupRequestRecord, MemberRecord } from '../store/groups.ts';
import type { DevState } from '../store/state.ts';
import { groupInfoView, memberView, type GroupInfoView, type MemberView } from '../store/views.ts';
import { groupRequestView, operatorView } from './views.ts';

export interface GroupOpContext extends NotifyContext {
  /** Who made the change. */
  readonly opUserID: string;
}

/** receiverAs of application answers: the applicant, or a group manager. */
const ReceiverAs = { applicant: 0, admin: 1 } as const;

function groupOf(state: DevState, groupID: string): GroupInfoView {
  const group = state.groups.get(groupID);
  if (group === undefined) throw new Error(`group ${groupID} vanished while notifying`);
  return groupInfoView(state, group);
}

function memberVersion(state: DevState, groupID: string): { groupMemberVersion: number; groupMemberVersionID: string } {
  const log = state.groups.memberLog(groupID);
  return { groupMemberVersion: log.version, groupMemberVersionID: log.id };
}

function toGroup(
  ctx: GroupOpContext,
  groupID: string,
  contentType: number,
  tips: unknown,
  extra: { sendMessage?: boolean | undefined; alsoTo?: readonly string[] } = {},
): Push[] {
  return notify(ctx, { contentType, sendID: ctx.opUserID, recvID: groupID, tips, withSenderName: true, ...extra });
}

function memberOrOperator(ctx: GroupOpContext, groupID: string, userID: string): MemberView {
  const member = ctx.state.groups.member(groupID, userID);
  return member === undefined ? operatorView(ctx.state, groupID, userID) : memberView(ctx.state, member);
}

/** set_group_info_ex: one notification per kind of change, as the real service sends them. */
export function groupInfoSet(ctx: GroupOpContext, groupID: string, changed: { name: boolean; announcement: boolean; other: boolean }): Push[] {
  const base = { group: groupOf(ctx.state, groupID), opUser: operatorView(ctx.state, groupID, ctx.opUserID), ...memberVersion(ctx.state, groupID) };
  const pushes: Push[] = [];
  if (changed.announcement) {
    // An emptied announcement is announced without a tips message in the chat.
    const sendMessage = base.group.notification !== '';
    pushes.push(...toGroup(ctx, groupID, ContentType.groupInfoSetAnnouncementNotification, base, { sendMessage }));
  }
  if (changed.name) pushes.push(...toGroup(ctx, groupID, ContentType.groupInfoSetNameNotification, base));
  if (changed.other) pushes.push(...toGroup(ctx, groupID, ContentType.groupInfoSetNotification, { ...base, muteTime: 0 }));
  return pushes;
}

/** quit_group: to the members and the one who left. */
export function memberQuit(ctx: GroupOpContext, quitter: MemberRecord): Push[] {
  const tips = {
    group: groupOf(ctx.state, quitter.groupID),
    quitUser: memberView(ctx.state, quitter),
    operationTime: ctx.state.now(),
    ...memberVersion(ctx.state, quitter.groupID),
  };
  return toGroup(ctx, quitter.groupID, ContentType.memberQuitNotification, tips, { alsoTo: [quitter.userID] });
}

/** kick_group: to the members and those kicked. */
export function memberKicked(
  ctx: GroupOpContext,
  groupID: string,
  kicked: readonly MemberRecord[],
  opMember: MemberRecord | undefined,
  sendMessage: boolean | undefined,
): Push[] {
  const tips = {
    group: groupOf(ctx.state, groupID),
    opUser: opMember === undefined ? operatorView(ctx.state, groupID, ctx.opUserID) : memberView(ctx.state, opMember),
    kickedUserList: kicked.map((m) => memberView(ctx.state, m)),
    operationTime: ctx.state.now(),
    ...memberVersion(ctx.state, groupID),
  };
  return toGroup(ctx, groupID, ContentType.memberKickedNotification, tips, { sendMessage, alsoTo: kicked.map((m) => m.userID) });
}

/** invite_user_to_group (and an accepted invitation): the new members are in already. */
export function memberInvited(ctx: GroupOpContext, groupID: string, invitedUserIDs: readonly string[], inviterUserID: string, sendMessage: boolean | undefined): Push[] {
  const opUser = memberOrOperator(ctx, groupID, ctx.opUserID);
  const tips = {
    group: groupOf(ctx.state, groupID),
    opUser,
    invitedUserList: invitedUserIDs.map((id) => memberOrOperator(ctx, groupID, id)),
    operationTime: ctx.state.now(),
    ...memberVersion(ctx.state, groupID),
    inviterUser: inviterUserID === ctx.opUserID ? opUser : memberOrOperator(ctx, groupID, inviterUserID),
  };
  return toGroup(ctx, groupID, ContentType.memberInvitedNotification, tips, { sendMessage });
}

/** join_group into an open group, or an accepted application. */
export function memberEnter(ctx: GroupOpContext, groupID: string, userID: string): Push[] {
  const tips = {
    group: groupOf(ctx.state, groupID),
    entrantUser: memberOrOperator(ctx, groupID, userID),
    operationTime: ctx.state.now(),
    ...memberVersion(ctx.state, groupID),
  };
  return toGroup(ctx, groupID, ContentType.memberEnterNotification, tips);
}

/** dismiss_group: sent while the members are still in, so that all of them hear it. */
export function groupDismissed(ctx: GroupOpContext, groupID: string, opUser: MemberView, sendMessage: boolean | undefined): Push[] {
  const tips = { group: groupOf(ctx.state, groupID), opUser, operationTime: ctx.state.now() };
  return toGroup(ctx, groupID, ContentType.groupDismissedNotification, tips, { sendMessage });
}

/** mute_group_member / cancel_mute_group_member. */
export function memberMuted(ctx: GroupOpContext, groupID: string, userID: string, mutedSeconds: number | undefined): Push[] {
  const tips = {
    group: groupOf(ctx.state, groupID),
    opUser: memberOrOperator(ctx, groupID, ctx.opUserID),
    operationTime: ctx.state.now(),
    mutedUser: memberOrOperator(ctx, groupID, userID),
    ...(mutedSeconds !== undefined && { mutedSeconds }),
    ...memberVersion(ctx.state, groupID),
  };
  const contentType = mutedSeconds === undefined ? ContentType.groupMemberCancelMutedNotification : ContentType.groupMemberMutedNotification;
  return toGroup(ctx, groupID, contentType, tips);
}

/** mute_group / cancel_mute_group. */
export function groupMuted(ctx: GroupOpContext, groupID: string, muted: boolean): Push[] {
  const tips = {
    group: groupOf(ctx.state, groupID),
    opUser: memberOrOperator(ctx, groupID, ctx.opUserID),
    operationTime: ctx.state.now(),
    ...memberVersion(ctx.state, groupID),
  };
  return toGroup(ctx, groupID, muted ? ContentType.groupMutedNotification : ContentType.groupCancelMutedNotification, tips);
}

/** set_group_member_info: 1517/1518 for a role change, 1516 for name, face or ex. */
export function memberInfoSet(ctx: GroupOpContext, groupID: string, userID: string, contentType: number): Push[] {
  const tips = {
    group: groupOf(ctx.state, groupID),
    opUser: memberOrOperator(ctx, groupID, ctx.opUserID),
    operationTime: ctx.state.now(),
    changedUser: memberOrOperator(ctx, groupID, userID),
    ...memberVersion(ctx.state, groupID),
    groupSortVersion: 0,
  };
  return toGroup(ctx, groupID, contentType, tips);
}

/** transfer_group: both members' new roles travel with it. */
export function ownerTransferred(ctx: GroupOpContext, groupID: string, newOwnerUserID: string, oldOwnerUserID: string): Push[] {
  const tips = {
    group: groupOf(ctx.state, groupID),
    opUser: memberOrOperator(ctx, groupID, ctx.opUserID),
    newGroupOwner: memberOrOperator(ctx, groupID, newOwnerUserID),
    oldGroupOwner: oldOwnerUserID,
    operationTime: ctx.state.now(),
    oldGroupOwnerInfo: memberOrOperator(ctx, groupID, oldOwnerUserID),
    ...memberVersion(ctx.state, groupID),
  };
  return toGroup(ctx, groupID, ContentType.groupOwnerTransferredNotification, tips);
}

/**
 * join_group (or an invitation that needs approval): to the group's owner and admins, the
 * applicant and the operator. `uuid` lets the core drop a repeat of the same notice.
 */
export function joinApplication(ctx: GroupOpContext, request: GroupRequestRecord): Push[] {
  const applicant = ctx.state.users.get(request.userID);
  const view = groupRequestView(ctx.state, request);
  const tips = {
    group: view.groupInfo,
    applicant: { userID: request.userID, nickname: applicant?.nickname ?? '', faceURL: applicant?.faceURL ?? '', ex: applicant?.ex ?? '' },
    reqMsg: request.reqMsg,
    uuid: randomUUID(),
    request: view,
  };
  const receivers = new Set([...ctx.state.groups.managers(request.groupID).map((m) => m.userID), request.userID, ctx.opUserID]);
  if (request.inviterUserID !== '') receivers.add(request.inviterUserID);
  return [...receivers].flatMap((userID) => notify(ctx, { contentType: ContentType.joinGroupApplicationNotification, sendID: ctx.opUserID, recvID: userID, tips }));
}

/** group_application_response: to the group's owner and admins (as admins) and the applicant. */
export function applicationAnswered(ctx: GroupOpContext, request: GroupRequestRecord, accepted: boolean): Push[] {
  const view = groupRequestView(ctx.state, request);
  const base = {
    group: view.groupInfo,
    opUser: operatorView(ctx.state, request.groupID, ctx.opUserID),
    handleMsg: request.handledMsg,
    uuid: randomUUID(),
    request: view,
  };
  const contentType = accepted ? ContentType.groupApplicationAcceptedNotification : ContentType.groupApplicationRejectedNotification;
  const managers = ctx.state.groups
    .managers(request.groupID)
    .map((m) => m.userID)
    .filter((id) => id !== request.userID);
  return [
    ...managers.flatMap((userID) => notify(ctx, { contentType, sendID: ctx.opUserID, recvID: userID, tips: { ...base, receiverAs: ReceiverAs.admin } })),
    ...notify(ctx, { contentType, sendID: ctx.opUserID, recvID: request.userID, tips: { ...base, receiverAs: ReceiverAs.applicant } }),
  ];
}

/**
 * A member's profile (name or face) changed and the group shows it: 1516 to each group
 * where the member has no name or face of their own.
 */
export function memberProfileChanged(ctx: GroupOpContext, userID: string): Push[] {
  const pushes: Push[] = [];
  for (const groupID of ctx.state.groups.joinedGroupIDs(userID)) {
    const member = ctx.state.groups.member(groupID, userID);
    if (member === undefined || (member.nickname !== '' && member.faceURL !== '')) continue;
    ctx.state.groups.memberLog(groupID).record(userID, 'update');
    pushes.push(...memberInfoSet(ctx, groupID, userID, ContentType.groupMemberInfoSetNotification));
  }
  return pushes;
}
