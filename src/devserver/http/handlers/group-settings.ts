/**
 * `/group/*` routes that change a group's settings or its members' standing: group info,
 * member info and roles, mutes, dismissal, as the real group service does them.
 */
import { groupDismissed, groupInfoSet, groupMuted, memberInfoSet, memberMuted } from '../../groups/notifications.ts';
import { isManager, requireGroup, requireGroupManager, requireLiveGroup, requireMember } from '../../groups/membership.ts';
import { memberView } from '../../store/views.ts';
import { operatorView } from '../../groups/views.ts';
import type { Push } from '../../messaging/deliver.ts';
import { ContentType, GroupRole, GroupStatus } from '../../protocol/constants.ts';
import { ImError } from '../../protocol/im-error-codes.ts';
import type { GroupPatch, MemberPatch, MemberRecord } from '../../store/groups.ts';
import { pushAfterReply, type ApiContext, type ApiHandler } from '../context.ts';
import type { Fields } from '../fields.ts';

/** The longest a member can be muted for: the real field is a uint32 of seconds. */
const MAX_MUTE_SECONDS = 2 ** 32 - 1;

/** set_group_info_ex (wrapped fields: absent = unchanged) and the older set_group_info (GroupInfoForSet). */
function setGroupInfo(ctx: ApiContext, groupID: string, info: Fields, wrapped: boolean): unknown {
  const { state } = ctx;
  requireGroupManager(state, groupID, ctx.opUserID);
  const group = requireLiveGroup(state, groupID);
  const text = (k: 'groupName' | 'notification' | 'introduction' | 'faceURL'): string | undefined => {
    const v = info.optionalString(k);
    // The older request sends every field; an empty one there means "unchanged".
    return wrapped || v !== '' ? v : undefined;
  };
  const patch: GroupPatch = {};
  const groupName = text('groupName');
  const notification = text('notification');
  const introduction = text('introduction');
  const faceURL = text('faceURL');
  if (groupName !== undefined) {
    if (groupName === '') throw new ImError('ArgsError', 'group name is empty');
    patch.groupName = groupName;
  }
  if (notification !== undefined) {
    patch.notification = notification;
    patch.notificationUpdateTime = state.now();
    patch.notificationUserID = ctx.opUserID;
  }
  if (introduction !== undefined) patch.introduction = introduction;
  if (faceURL !== undefined) patch.faceURL = faceURL;
  const ex = info.optionalString('ex');
  if (ex !== undefined) patch.ex = ex;
  for (const key of ['needVerification', 'lookMemberInfo', 'applyMemberFriend'] as const) {
    const v = info.optionalInt(key);
    if (v !== undefined) patch[key] = v;
  }
  if (Object.keys(patch).length === 0) return undefined;
  const changed = {
    name: patch.groupName !== undefined && patch.groupName !== group.groupName,
    announcement: patch.notification !== undefined,
    other: ['introduction', 'faceURL', 'ex', 'needVerification', 'lookMemberInfo', 'applyMemberFriend'].some((k) => k in patch),
  };
  state.groups.updateGroup(groupID, patch);
  pushAfterReply(ctx, groupInfoSet(ctx, groupID, changed));
  return undefined;
}

function setGroupInfoEx(ctx: ApiContext): unknown {
  return setGroupInfo(ctx, ctx.body.string('groupID'), ctx.body, true);
}

function setGroupInfoOld(ctx: ApiContext): unknown {
  const info = ctx.body.object('groupInfoForSet');
  if (info === undefined) throw new ImError('ArgsError', 'groupInfoForSet is empty');
  return setGroupInfo(ctx, info.string('groupID'), info, false);
}

/** The real role rules: who may change whom, and no one may raise their own role. */
function checkMemberChange(ctx: ApiContext, groupID: string, target: MemberRecord, roleLevel: number | undefined): void {
  if (ctx.state.auth.isAdmin(ctx.opUserID)) return;
  const op = requireMember(ctx.state, groupID, ctx.opUserID);
  const self = target.userID === ctx.opUserID;
  if (op.roleLevel === GroupRole.admin && !self && isManager(target)) throw new ImError('NoPermissionError', 'admin can not change group owner or other group admin');
  if (op.roleLevel === GroupRole.member && !self) throw new ImError('NoPermissionError', 'ordinary users can not change other role level');
  if (self && roleLevel !== undefined) {
    if (roleLevel > op.roleLevel) throw new ImError('NoPermissionError', 'can not improve role level by self');
    if (op.roleLevel === GroupRole.owner) throw new ImError('ArgsError', 'group owner can not change own role level');
  }
}

function setGroupMemberInfo(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const entries = body.objects('members');
  if (entries.length === 0) throw new ImError('ArgsError', 'members empty');
  const changes: { groupID: string; target: MemberRecord; patch: MemberPatch; roleLevel: number | undefined; profile: boolean }[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry === undefined) throw new ImError('ArgsError', 'member is empty');
    const groupID = entry.string('groupID');
    const userID = entry.string('userID');
    const key = `${groupID}\u0000${userID}`;
    if (seen.has(key)) throw new ImError('ArgsError', `repeat group ${groupID} user ${userID}`);
    seen.add(key);
    const roleLevel = entry.optionalInt('roleLevel');
    if (roleLevel === GroupRole.owner) throw new ImError('NoPermissionError', 'cannot set ungroup owner');
    if (roleLevel !== undefined && roleLevel !== GroupRole.admin && roleLevel !== GroupRole.member) throw new ImError('ArgsError', 'invalid role level');
    requireGroup(state, groupID);
    const target = state.groups.member(groupID, userID);
    if (target === undefined) throw new ImError('ArgsError', 'user not in group');
    checkMemberChange(ctx, groupID, target, roleLevel);
    const patch: MemberPatch = {};
    for (const k of ['nickname', 'faceURL', 'ex'] as const) {
      const v = entry.optionalString(k);
      if (v !== undefined) patch[k] = v;
    }
    if (roleLevel !== undefined) patch.roleLevel = roleLevel;
    changes.push({ groupID, target, patch, roleLevel, profile: ['nickname', 'faceURL', 'ex'].some((k) => k in patch) });
  }
  const pushes: Push[] = [];
  for (const c of changes) {
    state.groups.updateMember(c.groupID, c.target.userID, c.patch);
    if (c.roleLevel !== undefined) {
      const contentType = c.roleLevel === GroupRole.admin ? ContentType.groupMemberSetToAdminNotification : ContentType.groupMemberSetToOrdinaryUserNotification;
      pushes.push(...memberInfoSet(ctx, c.groupID, c.target.userID, contentType));
    }
    if (c.profile) pushes.push(...memberInfoSet(ctx, c.groupID, c.target.userID, ContentType.groupMemberInfoSetNotification));
  }
  pushAfterReply(ctx, pushes);
  return undefined;
}

/** Who may (un)mute whom: the owner anyone but themself, admins ordinary members. */
function checkMute(ctx: ApiContext, groupID: string, target: MemberRecord, what: string): void {
  if (ctx.state.auth.isAdmin(ctx.opUserID)) return;
  const op = requireMember(ctx.state, groupID, ctx.opUserID);
  if (target.roleLevel === GroupRole.owner) throw new ImError('NoPermissionError', `can not ${what} the group owner`);
  if (target.roleLevel === GroupRole.admin && op.roleLevel !== GroupRole.owner) throw new ImError('NoPermissionError', `can not ${what} a group admin`);
  if (!isManager(op)) throw new ImError('NoPermissionError', `can not ${what} group members`);
}

function muteGroupMember(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const groupID = body.string('groupID');
  const userID = body.string('userID');
  const mutedSeconds = body.int('mutedSeconds');
  if (mutedSeconds < 0 || mutedSeconds > MAX_MUTE_SECONDS) throw new ImError('ArgsError', `mutedSeconds must be 0-${MAX_MUTE_SECONDS}`);
  const target = requireMember(state, groupID, userID);
  checkMute(ctx, groupID, target, 'mute');
  state.groups.updateMember(groupID, userID, { muteEndTime: state.now() + mutedSeconds * 1000 });
  pushAfterReply(ctx, memberMuted(ctx, groupID, userID, mutedSeconds));
  return undefined;
}

function cancelMuteGroupMember(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const groupID = body.string('groupID');
  const userID = body.string('userID');
  const target = requireMember(state, groupID, userID);
  checkMute(ctx, groupID, target, 'unmute');
  state.groups.updateMember(groupID, userID, { muteEndTime: 0 });
  pushAfterReply(ctx, memberMuted(ctx, groupID, userID, undefined));
  return undefined;
}

function muteGroup(muted: boolean): ApiHandler {
  return (ctx) => {
    const groupID = ctx.body.string('groupID');
    requireGroupManager(ctx.state, groupID, ctx.opUserID);
    requireGroup(ctx.state, groupID);
    ctx.state.groups.updateGroup(groupID, { status: muted ? GroupStatus.muted : GroupStatus.ok });
    pushAfterReply(ctx, groupMuted(ctx, groupID, muted));
    return undefined;
  };
}

/**
 * The owner (or an app admin) dismisses the group: its status says so, every member hears
 * it, then the members are removed (as the real push service asks the group service to).
 */
function dismissGroup(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const groupID = body.string('groupID');
  const owner = state.groups.owner(groupID);
  if (owner === undefined) throw new ImError('RecordNotFoundError', `group ${groupID} has no owner`);
  if (!state.auth.isAdmin(ctx.opUserID) && owner.userID !== ctx.opUserID) throw new ImError('NoPermissionError', 'not group owner');
  const group = requireGroup(state, groupID);
  const deleteMember = body.bool('deleteMember');
  if (!deleteMember && group.status === GroupStatus.dismissed) throw new ImError('DismissedAlreadyError', 'group status is dismissed');
  state.groups.updateGroup(groupID, { status: GroupStatus.dismissed });
  const members = state.groups.memberIDs(groupID);
  const opUser = ctx.opUserID === owner.userID ? memberView(state, owner) : operatorView(state, groupID, ctx.opUserID);
  const pushes = deleteMember ? [] : groupDismissed(ctx, groupID, opUser, body.optionalBool('sendMessage'));
  state.groups.removeMembers(groupID, members);
  pushAfterReply(ctx, pushes);
  return undefined;
}

export const GROUP_SETTING_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/group/set_group_info_ex': setGroupInfoEx,
  '/group/set_group_info': setGroupInfoOld,
  '/group/set_group_member_info': setGroupMemberInfo,
  '/group/mute_group_member': muteGroupMember,
  '/group/cancel_mute_group_member': cancelMuteGroupMember,
  '/group/mute_group': muteGroup(true),
  '/group/cancel_mute_group': muteGroup(false),
  '/group/dismiss_group': dismissGroup,
};
