/** `/group/*`: create_group and the reads behind group and member sync (docs/im-server.md#version-sync); changes are in group-members.ts and group-settings.ts. */
import { GroupStatus } from '../../protocol/constants.ts';
import { ImError } from '../../protocol/im-error-codes.ts';
import { createGroup } from '../../groups/create-group.ts';
import type { DevState } from '../../store/state.ts';
import { groupInfoView, memberView, type GroupInfoView, type MemberView } from '../../store/views.ts';
import { pushAfterReply, requireInGroupOrAdmin, requireSelfOrAdmin, type ApiContext, type ApiHandler } from '../context.ts';
import { page, type Fields } from '../fields.ts';
import { answerFromPlan, fullIDsAnswer, incrementalAnswer } from '../incremental.ts';
import { planIncremental } from '../../store/version-log.ts';

/** Groups that exist, in the order asked, each once. */
function groupsInfo(state: DevState, groupIDs: readonly string[]): GroupInfoView[] {
  const out: GroupInfoView[] = [];
  for (const id of new Set(groupIDs)) {
    const group = state.groups.get(id);
    if (group !== undefined) out.push(groupInfoView(state, group));
  }
  return out;
}

function membersInfo(state: DevState, groupID: string, userIDs: readonly string[]): MemberView[] {
  const out: MemberView[] = [];
  for (const id of new Set(userIDs)) {
    const member = state.groups.member(groupID, id);
    if (member !== undefined) out.push(memberView(state, member));
  }
  return out;
}

function createGroupHandler(ctx: ApiContext): unknown {
  const { body } = ctx;
  const info = body.object('groupInfo');
  if (info === undefined) throw new ImError('ArgsError', 'groupInfo is empty');
  const groupType = info.int('groupType');
  if (groupType > 2 || groupType < 0) throw new ImError('ArgsError', 'GroupType is invalid');
  const ownerUserID = body.string('ownerUserID');
  if (ownerUserID === '') throw new ImError('ArgsError', 'ownerUserID is empty');
  const memberUserIDs = body.strings('memberUserIDs');
  if (memberUserIDs.length > 1000) throw new ImError('ArgsError', 'too many MemberUserIDs, need to be less than 1000');
  const { group, pushes } = createGroup(ctx, {
    ownerUserID,
    memberUserIDs,
    adminUserIDs: body.strings('adminUserIDs'),
    sendMessage: body.optionalBool('sendMessage'),
    groupInfo: {
      groupID: info.string('groupID'),
      groupName: info.string('groupName'),
      notification: info.string('notification'),
      introduction: info.string('introduction'),
      faceURL: info.string('faceURL'),
      ex: info.string('ex'),
      creatorUserID: info.string('creatorUserID'),
      groupType,
      needVerification: info.int('needVerification'),
      lookMemberInfo: info.int('lookMemberInfo'),
      applyMemberFriend: info.int('applyMemberFriend'),
      notificationUpdateTime: info.int('notificationUpdateTime'),
      notificationUserID: info.string('notificationUserID'),
    },
  });
  pushAfterReply(ctx, pushes);
  return { groupInfo: group };
}

function getIncrementalJoinGroups(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  return { ...incrementalAnswer(ctx.state.groups.joinLog(userID), ctx.body, (ids) => groupsInfo(ctx.state, ids)), sortVersion: 0 };
}

/** One group's member delta; `group` comes along with full answers and any change. */
function incrementalMembers(ctx: ApiContext, req: Fields): unknown {
  const { state } = ctx;
  const groupID = req.string('groupID');
  requireInGroupOrAdmin(ctx, groupID);
  const group = state.groups.get(groupID);
  if (group === undefined) throw new ImError('RecordNotFoundError', `group ${groupID} not found`);
  if (group.status === GroupStatus.dismissed) throw new ImError('DismissedAlreadyError');
  const plan = planIncremental(state.groups.memberLog(groupID), req.string('versionID'), req.int('version'));
  const answer = answerFromPlan(plan, (ids) => membersInfo(state, groupID, ids));
  // A change of the group itself is logged under '' and reaches clients as `group`.
  const changed = plan.insert.length + plan.update.length + plan.delete.length > 0;
  return { ...answer, group: answer.full || changed ? groupInfoView(state, group) : null, sortVersion: 0 };
}

/** The real batch stops adding groups once this many members changed. */
const MEMBER_BATCH_LIMIT = 500;

function getIncrementalGroupMembersBatch(ctx: ApiContext): unknown {
  requireSelfOrAdmin(ctx, ctx.body.string('userID'));
  const respList: Record<string, unknown> = {};
  let changed = 0;
  for (const req of ctx.body.objects('reqList')) {
    if (req === undefined) continue;
    const groupID = req.string('groupID');
    if (Object.hasOwn(respList, groupID)) continue;
    const answer = incrementalMembers(ctx, req) as { insert: unknown[]; update: unknown[]; delete: unknown[] };
    respList[groupID] = answer;
    changed += answer.insert.length + answer.update.length + answer.delete.length;
    if (changed >= MEMBER_BATCH_LIMIT) break;
  }
  return { respList };
}

function getGroupsInfo(ctx: ApiContext): unknown {
  const groupIDs = ctx.body.strings('groupIDs');
  if (groupIDs.length === 0) throw new ImError('ArgsError', ctx.body.has('groupIDs') ? 'groupID is empty' : 'GroupIDs is empty');
  return { groupInfos: groupsInfo(ctx.state, groupIDs) };
}

function getGroupMembersInfo(ctx: ApiContext): unknown {
  const groupID = ctx.body.string('groupID');
  const userIDs = ctx.body.strings('userIDs');
  if (groupID === '') throw new ImError('ArgsError', 'groupID is empty');
  if (userIDs.length === 0) throw new ImError('ArgsError', ctx.body.has('userIDs') ? 'userIDs empty' : 'userIDs is empty');
  requireInGroupOrAdmin(ctx, groupID);
  return { members: membersInfo(ctx.state, groupID, userIDs) };
}

function checkedPagination(body: Fields): { pageNumber: number; showNumber: number } {
  const pagination = body.pagination();
  if (pagination === undefined) throw new ImError('ArgsError', 'pagination is empty');
  if (pagination.pageNumber < 1) throw new ImError('ArgsError', 'pageNumber is invalid');
  return pagination;
}

function getGroupMemberList(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const groupID = body.string('groupID');
  if (groupID === '') throw new ImError('ArgsError', 'groupID is empty');
  const pagination = checkedPagination(body);
  const filter = body.int('filter');
  if (filter < 0 || filter > 5) throw new ImError('ArgsError', 'filter is invalid');
  requireInGroupOrAdmin(ctx, groupID);
  const keyword = body.string('keyword');
  const all = state.groups
    .members(groupID)
    .map((m) => memberView(state, m))
    .filter((m) => keyword === '' || m.nickname.includes(keyword) || m.userID.includes(keyword));
  return { total: all.length, members: page(all, pagination) };
}

function getJoinedGroupList(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const pagination = checkedPagination(body);
  const fromUserID = body.string('fromUserID');
  if (fromUserID === '') throw new ImError('ArgsError', 'fromUserID is empty');
  requireSelfOrAdmin(ctx, fromUserID);
  const ids = state.groups.joinedGroupIDs(fromUserID);
  return { total: ids.length, groups: groupsInfo(state, page(ids, pagination)) };
}

function getFullJoinGroupIDs(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  return fullIDsAnswer(ctx.state.groups.joinLog(userID), 'groupIDs', ctx.state.groups.joinedGroupIDs(userID));
}

function getFullGroupMemberUserIDs(ctx: ApiContext): unknown {
  const groupID = ctx.body.string('groupID');
  const userIDs = ctx.state.groups.memberIDs(groupID);
  if (!userIDs.includes(ctx.opUserID) && !ctx.state.auth.isAdmin(ctx.opUserID)) {
    throw new ImError('NoPermissionError', 'op user not in group');
  }
  return fullIDsAnswer(ctx.state.groups.memberLog(groupID), 'userIDs', userIDs);
}

export const GROUP_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/group/create_group': createGroupHandler,
  '/group/get_incremental_join_groups': getIncrementalJoinGroups,
  '/group/get_incremental_group_members': (ctx) => incrementalMembers(ctx, ctx.body),
  '/group/get_incremental_group_members_batch': getIncrementalGroupMembersBatch,
  '/group/get_groups_info': getGroupsInfo,
  '/group/get_group_members_info': getGroupMembersInfo,
  '/group/get_group_member_list': getGroupMemberList,
  '/group/get_joined_group_list': getJoinedGroupList,
  '/group/get_full_join_group_ids': getFullJoinGroupIDs,
  '/group/get_full_group_member_user_ids': getFullGroupMemberUserIDs,
};
