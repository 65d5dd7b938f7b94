/**
 * The GroupCreated notification (contentType 1501, spec §8 (c)), built the way the real
 * notification sender builds it from the default `notification.yml` entry
 * (isSendMsg: true, reliabilityLevel 1 = not stored, no offline push): pushed with seq 0
 * in `n_<groupID>`, plus a stored copy in `sg_<groupID>` that counts as unread.
 */
import { ContentType, MsgFrom, MsgOption, SessionType } from '../protocol/constants.ts';
import type { MsgData } from '../protocol/proto-schema.ts';
import { deliver, type Push } from '../messaging/deliver.ts';
import { newMsgID } from '../messaging/ids.ts';
import type { MemberRecord } from '../store/groups.ts';
import type { DevState } from '../store/state.ts';
import { memberView, type GroupInfoView, type MemberView } from '../store/views.ts';

const OFFLINE_PUSH = { title: 'create group title', desc: 'create group desc', ex: 'create group ext' };

/** Options of a notification whose config says isSendMsg=`sendMsg`, unreliable, no offline push. */
function notificationOptions(sendMsg: boolean): Record<string, boolean> {
  return {
    [MsgOption.isNotNotification]: false,
    [MsgOption.isSendMsg]: sendMsg,
    [MsgOption.history]: false,
    [MsgOption.persistent]: false,
    [MsgOption.offlinePush]: false,
    [MsgOption.unreadCount]: sendMsg,
    [MsgOption.conversationUpdate]: false,
    [MsgOption.senderSync]: true,
    [MsgOption.notPrivate]: false,
    [MsgOption.senderConversationUpdate]: false,
    [MsgOption.reactionFromCache]: false,
  };
}

export function groupCreatedNotification(
  ctx: { state: DevState; opUserID: string; operationID: string },
  group: GroupInfoView,
  members: readonly MemberRecord[],
  sendMessage: boolean | undefined,
): Push[] {
  const { state, opUserID } = ctx;
  const level = (userID: string): number => state.users.get(userID)?.appMangerLevel ?? 0;
  const view = (m: MemberRecord): MemberView => memberView(state, m, level(m.userID));
  // The real sender lists members up to and including the operator, then stops.
  const memberList: MemberView[] = [];
  let opUser: MemberView | null = null;
  for (const m of members) {
    memberList.push(view(m));
    if (m.userID === opUserID) {
      opUser = view(m);
      break;
    }
  }
  const owner = members[0];
  const memberLog = state.groups.memberLog(group.groupID);
  const tips = {
    group,
    opUser,
    memberList,
    operationTime: group.createTime,
    groupOwnerUser: owner === undefined ? null : view(owner),
    groupMemberVersion: memberLog.version,
    groupMemberVersionID: memberLog.id,
  };
  const now = state.now();
  const sender = state.users.get(opUserID);
  const msg: MsgData = {
    sendID: opUserID,
    recvID: group.groupID,
    groupID: group.groupID,
    clientMsgID: newMsgID(opUserID, now),
    serverMsgID: newMsgID(opUserID, now),
    senderPlatformID: 0,
    senderNickname: sender?.nickname ?? '',
    senderFaceURL: sender?.faceURL ?? '',
    sessionType: SessionType.group,
    msgFrom: MsgFrom.system,
    contentType: ContentType.groupCreatedNotification,
    content: new TextEncoder().encode(JSON.stringify({ detail: JSON.stringify(tips) })),
    seq: 0,
    sendTime: now,
    createTime: now,
    status: 0,
    isRead: false,
    options: notificationOptions(sendMessage ?? true),
    offlinePushInfo: { ...OFFLINE_PUSH, iOSPushSound: '', iOSBadgeCount: false, signalInfo: '' },
    atUserIDList: [],
    attachedInfo: '',
    ex: '',
  };
  return deliver(state, msg, ctx.operationID);
}
