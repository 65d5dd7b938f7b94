/**
 * Records as the API shows them (docs/im-server.md#records): every field present, as Go's
 * JSON of the protobuf structs writes them.
 */
import type { ConversationRecord } from './conversations.ts';
import type { GroupRecord, MemberRecord } from './groups.ts';
import type { DevState } from './state.ts';
import type { UserRecord } from './users.ts';

export interface UserInfoView {
  userID: string;
  nickname: string;
  faceURL: string;
  ex: string;
  createTime: number;
  appMangerLevel: number;
  globalRecvMsgOpt: number;
}

export interface GroupInfoView extends GroupRecord {
  ownerUserID: string;
  memberCount: number;
}

export interface MemberView {
  groupID: string;
  userID: string;
  roleLevel: number;
  joinTime: number;
  nickname: string;
  faceURL: string;
  appMangerLevel: number;
  joinSource: number;
  operatorUserID: string;
  ex: string;
  muteEndTime: number;
  inviterUserID: string;
}

export function userInfoView(user: UserRecord): UserInfoView {
  return {
    userID: user.userID,
    nickname: user.nickname,
    faceURL: user.faceURL,
    ex: user.ex,
    createTime: user.createTime,
    appMangerLevel: user.appMangerLevel,
    globalRecvMsgOpt: user.globalRecvMsgOpt,
  };
}

export function groupInfoView(state: DevState, group: GroupRecord): GroupInfoView {
  return {
    groupID: group.groupID,
    groupName: group.groupName,
    notification: group.notification,
    introduction: group.introduction,
    faceURL: group.faceURL,
    ownerUserID: state.groups.owner(group.groupID)?.userID ?? '',
    createTime: group.createTime,
    memberCount: state.groups.memberIDs(group.groupID).length,
    ex: group.ex,
    status: group.status,
    creatorUserID: group.creatorUserID,
    groupType: group.groupType,
    needVerification: group.needVerification,
    lookMemberInfo: group.lookMemberInfo,
    applyMemberFriend: group.applyMemberFriend,
    notificationUpdateTime: group.notificationUpdateTime,
    notificationUserID: group.notificationUserID,
  };
}

/** A member without its own nickname/face shows the user's, as the real server fills them in. */
export function memberView(state: DevState, member: MemberRecord, appMangerLevel = 0): MemberView {
  const user = state.users.get(member.userID);
  return {
    groupID: member.groupID,
    userID: member.userID,
    roleLevel: member.roleLevel,
    joinTime: member.joinTime,
    nickname: member.nickname !== '' ? member.nickname : (user?.nickname ?? ''),
    faceURL: member.faceURL !== '' ? member.faceURL : (user?.faceURL ?? ''),
    appMangerLevel,
    joinSource: member.joinSource,
    operatorUserID: member.operatorUserID,
    ex: member.ex,
    muteEndTime: member.muteEndTime,
    inviterUserID: member.inviterUserID,
  };
}

export function conversationView(record: ConversationRecord): ConversationRecord {
  return { ...record };
}
