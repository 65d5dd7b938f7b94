/**
 * The relation service's notifications (contentType 12xx, sessionType 1, so they travel in
 * `n_<a>_<b>` and reach both users' connections), with the default `notification.yml`
 * entries. The core reacts to them: 1203 → OnFriendApplicationAdded, 1201 →
 * OnFriendApplicationAccepted and a friend incremental sync (→ OnFriendAdded), 1202 →
 * OnFriendApplicationRejected, 1205 → a friend sync for the deleting user.
 *
 * Approval is the one with `isSendMsg`: it also leaves a stored tips message in the two
 * users' chat, which creates that conversation for both, as on the real server.
 */
import { deliver, type Push } from '../messaging/deliver.ts';
import { notificationMsg, type NotificationConfig } from '../messaging/notification.ts';
import { ContentType, SessionType } from '../protocol/constants.ts';
import type { FriendRequestRecord } from '../store/friends.ts';
import type { DevState } from '../store/state.ts';
import { friendRequestView } from './views.ts';

const pushText = (text: string): NotificationConfig['offlinePush'] => ({ enable: true, title: text, desc: text, ex: text });

const CONFIG = {
  applicationAdded: { isSendMsg: false, offlinePush: pushText('Somebody applies to add you as a friend') },
  applicationApproved: { isSendMsg: true, offlinePush: pushText('Someone applies to add your friend application') },
  applicationRejected: { isSendMsg: false, offlinePush: pushText('Someone rejected your friend application') },
  deleted: { isSendMsg: false, offlinePush: { ...pushText('deleted a friend'), enable: false } },
} as const satisfies Record<string, NotificationConfig>;

interface Sent {
  readonly state: DevState;
  readonly operationID: string;
}

function send(ctx: Sent, sendID: string, recvID: string, contentType: number, tips: unknown, config: NotificationConfig): Push[] {
  const msg = notificationMsg(ctx.state, { sendID, recvID, sessionType: SessionType.single, contentType, tips, config });
  return deliver(ctx.state, msg, ctx.operationID);
}

/** add_friend: applicant → recipient. */
export function applicationAdded(ctx: Sent, request: FriendRequestRecord): Push[] {
  const tips = {
    fromToUserID: { fromUserID: request.fromUserID, toUserID: request.toUserID },
    request: friendRequestView(ctx.state, request),
  };
  return send(ctx, request.fromUserID, request.toUserID, ContentType.friendApplicationNotification, tips, CONFIG.applicationAdded);
}

/** add_friend_response agree: the recipient (who agreed) → the applicant. */
export function applicationApproved(ctx: Sent, request: FriendRequestRecord, handleMsg: string): Push[] {
  const tips = {
    fromToUserID: { fromUserID: request.fromUserID, toUserID: request.toUserID },
    handleMsg,
    // The real sender never fills these two in.
    friendVersion: 0,
    friendVersionID: '',
    request: friendRequestView(ctx.state, request),
  };
  return send(ctx, request.toUserID, request.fromUserID, ContentType.friendApplicationApprovedNotification, tips, CONFIG.applicationApproved);
}

/** add_friend_response refuse: the recipient → the applicant. */
export function applicationRejected(ctx: Sent, request: FriendRequestRecord, handleMsg: string): Push[] {
  const tips = {
    fromToUserID: { fromUserID: request.fromUserID, toUserID: request.toUserID },
    handleMsg,
    request: friendRequestView(ctx.state, request),
  };
  return send(ctx, request.toUserID, request.fromUserID, ContentType.friendApplicationRejectedNotification, tips, CONFIG.applicationRejected);
}

/** delete_friend: owner → the friend they removed. */
export function friendDeleted(ctx: Sent, ownerUserID: string, friendUserID: string): Push[] {
  const tips = { fromToUserID: { fromUserID: ownerUserID, toUserID: friendUserID }, friendVersion: 0, friendVersionID: '' };
  return send(ctx, ownerUserID, friendUserID, ContentType.friendDeletedNotification, tips, CONFIG.deleted);
}
