/**
 * Group records as notifications and application lists show them: the operator as a
 * member (an app admin who is not one is shown as a group admin), applications with the
 * applicant's public fields and the group's info.
 */
import { GroupRole } from '../protocol/constants.ts';
import type { GroupRequestRecord } from '../store/groups.ts';
import type { DevState } from '../store/state.ts';
import { groupInfoView, memberView, type GroupInfoView, type MemberView } from '../store/views.ts';

/** appMangerLevel the real sender gives an app admin acting in a group. */
const APP_ADMIN = 2;

/** The operator of a group change, as the real sender fills it in (fillUserByUserID). */
export function operatorView(state: DevState, groupID: string, userID: string): MemberView {
  const user = state.users.get(userID);
  const named = (m: MemberView): MemberView => ({
    ...m,
    nickname: m.nickname !== '' ? m.nickname : (user?.nickname ?? ''),
    faceURL: m.faceURL !== '' ? m.faceURL : (user?.faceURL ?? ''),
  });
  const blank: MemberView = {
    groupID,
    userID,
    roleLevel: 0,
    joinTime: 0,
    nickname: '',
    faceURL: '',
    appMangerLevel: 0,
    joinSource: 0,
    operatorUserID: '',
    ex: '',
    muteEndTime: 0,
    inviterUserID: '',
  };
  if (state.auth.isAdmin(userID)) return named({ ...blank, roleLevel: GroupRole.admin, appMangerLevel: APP_ADMIN });
  const member = state.groups.member(groupID, userID);
  if (member !== undefined) return memberView(state, member);
  return named({ ...blank, operatorUserID: userID });
}

export interface GroupRequestView {
  userInfo: { userID: string; nickname: string; faceURL: string; ex: string };
  groupInfo: GroupInfoView | null;
  handleResult: number;
  reqMsg: string;
  handleMsg: string;
  reqTime: number;
  handleUserID: string;
  handleTime: number;
  ex: string;
  joinSource: number;
  inviterUserID: string;
}

export function groupRequestView(state: DevState, request: GroupRequestRecord): GroupRequestView {
  const user = state.users.get(request.userID);
  const group = state.groups.get(request.groupID);
  return {
    userInfo: { userID: request.userID, nickname: user?.nickname ?? '', faceURL: user?.faceURL ?? '', ex: user?.ex ?? '' },
    groupInfo: group === undefined ? null : groupInfoView(state, group),
    handleResult: request.handleResult,
    reqMsg: request.reqMsg,
    handleMsg: request.handledMsg,
    reqTime: request.reqTime,
    handleUserID: request.handleUserID,
    handleTime: request.handledTime,
    ex: request.ex,
    joinSource: request.joinSource,
    inviterUserID: request.inviterUserID,
  };
}
