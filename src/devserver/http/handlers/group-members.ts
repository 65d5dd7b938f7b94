/**
 * `/group/*` routes that change who is in a group: join, quit, invite, kick, transfer,
 * applications and their answers, as the real group service does them (its checks, its
 * error codes, its notifications after the reply).
 */
import { applicationAnswered, joinApplication, memberEnter, memberInvited, memberKicked, memberQuit, ownerTransferred } from '../../groups/notifications.ts';
import {
  MAX_PENDING_APPLICATIONS_PER_GROUP,
  enterGroup,
  isManager,
  newMember,
  requireGroup,
  requireGroupManager,
  requireLiveGroup,
  requireMember,
  requireRoom,
  sealConversationFor,
} from '../../groups/membership.ts';
import { groupRequestView } from '../../groups/views.ts';
import { GroupResponse, GroupRole, GroupVerification, JoinSource } from '../../protocol/constants.ts';
import { ImError } from '../../protocol/im-error-codes.ts';
import type { GroupRequestRecord } from '../../store/groups.ts';
import { pushAfterReply, requireSelfOrAdmin, type ApiContext, type ApiHandler } from '../context.ts';
import { page, type Fields } from '../fields.ts';

function pendingApplications(ctx: ApiContext, groupID: string): number {
  return ctx.state.groups.requests((r) => r.groupID === groupID && r.handleResult === GroupResponse.pending).length;
}

function putApplication(
  ctx: ApiContext,
  request: Omit<GroupRequestRecord, 'handleResult' | 'handledMsg' | 'handleUserID' | 'handledTime' | 'reqTime'>,
): GroupRequestRecord {
  const existing = ctx.state.groups.request(request.groupID, request.userID);
  if (existing?.handleResult !== GroupResponse.pending && pendingApplications(ctx, request.groupID) >= MAX_PENDING_APPLICATIONS_PER_GROUP) {
    throw new ImError('ArgsError', `group ${request.groupID} has ${MAX_PENDING_APPLICATIONS_PER_GROUP} applications waiting already`);
  }
  const record: GroupRequestRecord = { ...request, handleResult: GroupResponse.pending, handledMsg: '', handleUserID: '', handledTime: 0, reqTime: ctx.state.now() };
  ctx.state.groups.putRequest(record);
  return record;
}

function joinGroup(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const groupID = body.string('groupID');
  // The core names the applicant inviterUserID.
  const applicant = body.string('inviterUserID') || ctx.opUserID;
  requireSelfOrAdmin(ctx, applicant);
  if (!state.users.has(applicant)) throw new ImError('RecordNotFoundError', `user ${applicant} not found`);
  const group = requireLiveGroup(state, groupID);
  if (state.groups.member(groupID, applicant) !== undefined) throw new ImError('ArgsError', 'already in the group');
  if (group.needVerification === GroupVerification.directly) {
    requireRoom(state, groupID, 1);
    enterGroup(state, groupID, [
      newMember(groupID, applicant, { joinTime: state.now(), operatorUserID: ctx.opUserID, inviterUserID: applicant, joinSource: body.int('joinSource') }),
    ]);
    pushAfterReply(ctx, memberEnter(ctx, groupID, applicant));
    return undefined;
  }
  const request = putApplication(ctx, {
    groupID,
    userID: applicant,
    reqMsg: body.string('reqMessage'),
    ex: body.string('ex'),
    joinSource: body.int('joinSource'),
    inviterUserID: '',
  });
  pushAfterReply(ctx, joinApplication(ctx, request));
  return undefined;
}

function quitGroup(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const groupID = body.string('groupID');
  const userID = body.string('userID') || ctx.opUserID;
  requireSelfOrAdmin(ctx, userID);
  const member = requireMember(state, groupID, userID);
  if (member.roleLevel === GroupRole.owner) throw new ImError('NoPermissionError', "group owner can't quit");
  state.groups.removeMembers(groupID, [userID]);
  const pushes = memberQuit(ctx, member);
  sealConversationFor(state, groupID, [userID]);
  pushAfterReply(ctx, pushes);
  return undefined;
}

function inviteUserToGroup(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const groupID = body.string('groupID');
  const invited = body.strings('invitedUserIDs');
  if (invited.length === 0) throw new ImError('ArgsError', 'user empty');
  if (new Set(invited).size !== invited.length) throw new ImError('ArgsError', 'userID duplicate');
  const group = requireLiveGroup(state, groupID);
  if (invited.some((id) => !state.users.has(id))) throw new ImError('RecordNotFoundError', 'user not found');
  const admin = state.auth.isAdmin(ctx.opUserID);
  const inviter = admin ? undefined : requireMember(state, groupID, ctx.opUserID);
  const fresh = invited.filter((id) => state.groups.member(groupID, id) === undefined);
  if (group.needVerification === GroupVerification.allNeedApproval && !admin && !isManager(inviter)) {
    const pushes = fresh.flatMap((userID) =>
      joinApplication(ctx, putApplication(ctx, { groupID, userID, reqMsg: '', ex: '', joinSource: JoinSource.invitation, inviterUserID: ctx.opUserID })),
    );
    pushAfterReply(ctx, pushes);
    return undefined;
  }
  requireRoom(state, groupID, fresh.length);
  const now = state.now();
  const members = fresh.map((userID) =>
    newMember(groupID, userID, { joinTime: now, operatorUserID: ctx.opUserID, inviterUserID: ctx.opUserID, joinSource: JoinSource.invitation }),
  );
  enterGroup(state, groupID, members);
  if (members.length > 0) pushAfterReply(ctx, memberInvited(ctx, groupID, fresh, ctx.opUserID, body.optionalBool('sendMessage')));
  return undefined;
}

function kickGroupMember(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const groupID = body.string('groupID');
  requireGroup(state, groupID);
  const kickedIDs = body.strings('kickedUserIDs');
  if (kickedIDs.length === 0) throw new ImError('ArgsError', 'KickedUserIDs empty');
  if (new Set(kickedIDs).size !== kickedIDs.length) throw new ImError('ArgsError', 'KickedUserIDs duplicate');
  if (kickedIDs.includes(ctx.opUserID)) throw new ImError('ArgsError', 'opUserID in KickedUserIDs');
  const owner = state.groups.owner(groupID);
  if (owner !== undefined && kickedIDs.includes(owner.userID)) throw new ImError('ArgsError', 'ownerUID can not Kick');
  const opMember = state.groups.member(groupID, ctx.opUserID);
  const admin = state.auth.isAdmin(ctx.opUserID);
  for (const userID of kickedIDs) {
    const member = state.groups.member(groupID, userID);
    if (member === undefined) throw new ImError('UserIDNotFoundError', userID);
    if (admin) continue;
    if (opMember === undefined) throw new ImError('NoPermissionError', 'opUserID no in group');
    if (opMember.roleLevel === GroupRole.member) throw new ImError('NoPermissionError', 'opUserID no permission');
    if (opMember.roleLevel === GroupRole.admin && isManager(member)) {
      throw new ImError('NoPermissionError', 'group admins cannot remove the group owner and other admins');
    }
  }
  const kicked = state.groups.removeMembers(groupID, kickedIDs);
  const pushes = memberKicked(ctx, groupID, kicked, opMember, body.optionalBool('sendMessage'));
  sealConversationFor(state, groupID, kickedIDs);
  pushAfterReply(ctx, pushes);
  return undefined;
}

function transferGroup(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const groupID = body.string('groupID');
  const oldOwnerUserID = body.string('oldOwnerUserID');
  const newOwnerUserID = body.string('newOwnerUserID');
  requireLiveGroup(state, groupID);
  if (oldOwnerUserID === newOwnerUserID) throw new ImError('ArgsError', 'OldOwnerUserID == NewOwnerUserID');
  const oldOwner = state.groups.member(groupID, oldOwnerUserID);
  const newOwner = state.groups.member(groupID, newOwnerUserID);
  const missing = [oldOwner === undefined ? oldOwnerUserID : '', newOwner === undefined ? newOwnerUserID : ''].filter((id) => id !== '');
  if (missing.length > 0) throw new ImError('ArgsError', `user not in group ${missing.join(',')}`);
  if (!state.auth.isAdmin(ctx.opUserID) && !(ctx.opUserID === oldOwnerUserID && oldOwner?.roleLevel === GroupRole.owner)) {
    throw new ImError('NoPermissionError', 'no permission transfer group owner');
  }
  // The old owner becomes an ordinary member; a muted new owner is unmuted.
  state.groups.updateMember(groupID, oldOwnerUserID, { roleLevel: GroupRole.member });
  state.groups.updateMember(groupID, newOwnerUserID, { roleLevel: GroupRole.owner, muteEndTime: 0 });
  pushAfterReply(ctx, ownerTransferred(ctx, groupID, newOwnerUserID, oldOwnerUserID));
  return undefined;
}

function groupApplicationResponse(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const groupID = body.string('groupID');
  const fromUserID = body.string('fromUserID');
  const handleResult = body.int('handleResult');
  if (handleResult !== GroupResponse.accepted && handleResult !== GroupResponse.refused) throw new ImError('ArgsError', 'HandleResult unknown');
  requireGroupManager(state, groupID, ctx.opUserID);
  requireGroup(state, groupID);
  const request = state.groups.request(groupID, fromUserID);
  if (request === undefined) throw new ImError('RecordNotFoundError', 'group request not found');
  if (request.handleResult !== GroupResponse.pending) throw new ImError('GroupRequestHandled', 'group request already processed');
  if (!state.users.has(fromUserID)) throw new ImError('UserIDNotFoundError', fromUserID);
  const joins = handleResult === GroupResponse.accepted && state.groups.member(groupID, fromUserID) === undefined;
  if (joins) requireRoom(state, groupID, 1);
  const handled: GroupRequestRecord = { ...request, handleResult, handledMsg: body.string('handledMsg'), handleUserID: ctx.opUserID, handledTime: state.now() };
  state.groups.putRequest(handled);
  const pushes = applicationAnswered(ctx, handled, handleResult === GroupResponse.accepted);
  if (joins) {
    const member = newMember(groupID, fromUserID, {
      joinTime: state.now(),
      joinSource: request.joinSource,
      inviterUserID: request.inviterUserID,
      operatorUserID: ctx.opUserID,
    });
    enterGroup(state, groupID, [member]);
    pushes.push(...(request.inviterUserID === '' ? memberEnter(ctx, groupID, fromUserID) : memberInvited(ctx, groupID, [fromUserID], request.inviterUserID, undefined)));
  }
  pushAfterReply(ctx, pushes);
  return undefined;
}

/** The filters both application lists take: groupIDs and handleResults (empty: all). */
function applicationFilter(body: Fields, groupIDs: readonly string[]): (r: GroupRequestRecord) => boolean {
  const results = body.ints('handleResults');
  return (r) => groupIDs.includes(r.groupID) && (results.length === 0 || results.includes(r.handleResult));
}

function getRecvGroupApplicationList(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const fromUserID = body.string('fromUserID');
  requireSelfOrAdmin(ctx, fromUserID);
  const asked = [...new Set(body.strings('groupIDs'))];
  for (const groupID of asked) requireGroupManager(state, groupID, ctx.opUserID);
  const groupIDs = asked.length > 0 ? asked : state.groups.managedGroupIDs(fromUserID);
  const all = state.groups.requests(applicationFilter(body, groupIDs)).map((r) => groupRequestView(state, r));
  return { total: all.length, groupRequests: page(all, body.pagination()) };
}

function getUserReqGroupApplicationList(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const userID = body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  if (!state.users.has(userID)) throw new ImError('RecordNotFoundError', `user ${userID} not found`);
  const groupIDs = body.strings('groupIDs');
  const results = body.ints('handleResults');
  const all = state.groups
    .requests((r) => r.userID === userID && (groupIDs.length === 0 || groupIDs.includes(r.groupID)) && (results.length === 0 || results.includes(r.handleResult)))
    .map((r) => groupRequestView(state, r));
  return { total: all.length, groupRequests: page(all, body.pagination()) };
}

function getGroupApplicationUnhandledCount(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const userID = body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  // `time` is epoch ms: only applications after it count.
  const since = body.int('time');
  const groupIDs = state.groups.managedGroupIDs(userID);
  const count = state.groups.requests((r) => groupIDs.includes(r.groupID) && r.handleResult === GroupResponse.pending && r.reqTime > since).length;
  return { count };
}

export const GROUP_MEMBER_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/group/join_group': joinGroup,
  '/group/quit_group': quitGroup,
  '/group/invite_user_to_group': inviteUserToGroup,
  '/group/kick_group': kickGroupMember,
  '/group/transfer_group': transferGroup,
  '/group/group_application_response': groupApplicationResponse,
  '/group/get_recv_group_applicationList': getRecvGroupApplicationList,
  '/group/get_user_req_group_applicationList': getUserReqGroupApplicationList,
  '/group/get_group_application_unhandled_count': getGroupApplicationUnhandledCount,
};
