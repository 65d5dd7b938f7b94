/**
 * The GroupCreated notification (contentType 1501, docs/im-server.md#notifications), built the way the real
 * notification sender builds it from the default `notification.yml` entry
 * (isSendMsg: true, reliabilityLevel 1 = not stored, no offline push): pushed with seq 0
 * in `n_<groupID>`, plus a stored copy in `sg_<groupID>` that counts as unread.
 */
import { ContentType } from '../protocol/constants.ts';
import type { Push } from '../messaging/deliver.ts';
import { notify } from '../messaging/notification.ts';
import type { MemberRecord } from '../store/groups.ts';
import type { DevState } from '../store/state.ts';
import { memberView, type GroupInfoView, type MemberView } from '../store/views.ts';

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
  return notify(ctx, {
    contentType: ContentType.groupCreatedNotification,
    sendID: opUserID,
    recvID: group.groupID,
    tips,
    // create_group's `sendMessage` overrides the entry's isSendMsg
    sendMessage,
    withSenderName: true,
  });
}
