/**
 * The relation and user services' notifications (sessionType 1, so they travel in
 * `n_<a>_<b>` and reach both users' connections). The core reacts to them: 1203 →
 * OnFriendApplicationAdded, 1201 → OnFriendApplicationAccepted and a friend incremental
 * sync (→ OnFriendAdded), 1202 → OnFriendApplicationRejected, 1205 → a friend sync for the
 * deleting user, 1207/1208 → a black list sync for the blocker (→ OnBlackAdded/Deleted),
 * 1206/1209/1210 → a friend sync (→ OnFriendInfoChanged), 1303 → the user's own profile
 * sync (→ OnSelfInfoUpdated on their other devices).
 *
 * Approval is the one with `isSendMsg`: it also leaves a stored tips message in the two
 * users' chat, which creates that conversation for both, as on the real server.
 */
import type { Push } from '../messaging/deliver.ts';
import { notify, type NotifyContext } from '../messaging/notification.ts';
import { ContentType } from '../protocol/constants.ts';
import type { FriendRequestRecord } from '../store/friends.ts';
import { friendRequestView } from './views.ts';

const fromTo = (fromUserID: string, toUserID: string): { fromUserID: string; toUserID: string } => ({ fromUserID, toUserID });

/** add_friend: applicant → recipient. */
export function applicationAdded(ctx: NotifyContext, request: FriendRequestRecord): Push[] {
  const tips = { fromToUserID: fromTo(request.fromUserID, request.toUserID), request: friendRequestView(ctx.state, request) };
  return notify(ctx, { contentType: ContentType.friendApplicationNotification, sendID: request.fromUserID, recvID: request.toUserID, tips });
}

/** add_friend_response agree: the recipient (who agreed) → the applicant. */
export function applicationApproved(ctx: NotifyContext, request: FriendRequestRecord, handleMsg: string): Push[] {
  const tips = {
    fromToUserID: fromTo(request.fromUserID, request.toUserID),
    handleMsg,
    // The real sender never fills these two in.
    friendVersion: 0,
    friendVersionID: '',
    request: friendRequestView(ctx.state, request),
  };
  return notify(ctx, { contentType: ContentType.friendApplicationApprovedNotification, sendID: request.toUserID, recvID: request.fromUserID, tips });
}

/** add_friend_response refuse: the recipient → the applicant. */
export function applicationRejected(ctx: NotifyContext, request: FriendRequestRecord, handleMsg: string): Push[] {
  const tips = { fromToUserID: fromTo(request.fromUserID, request.toUserID), handleMsg, request: friendRequestView(ctx.state, request) };
  return notify(ctx, { contentType: ContentType.friendApplicationRejectedNotification, sendID: request.toUserID, recvID: request.fromUserID, tips });
}

/** delete_friend: owner → the friend they removed. */
export function friendDeleted(ctx: NotifyContext, ownerUserID: string, friendUserID: string): Push[] {
  const tips = { fromToUserID: fromTo(ownerUserID, friendUserID), friendVersion: 0, friendVersionID: '' };
  return notify(ctx, { contentType: ContentType.friendDeletedNotification, sendID: ownerUserID, recvID: friendUserID, tips });
}

/** add_black / remove_black: owner → the user blocked or unblocked. */
export function blackChanged(ctx: NotifyContext, added: boolean, ownerUserID: string, blockUserID: string): Push[] {
  const contentType = added ? ContentType.blackAddedNotification : ContentType.blackDeletedNotification;
  return notify(ctx, { contentType, sendID: ownerUserID, recvID: blockUserID, tips: { fromToUserID: fromTo(ownerUserID, blockUserID) } });
}

/** update_friends: to the owner themself (their other devices sync their friends). */
export function friendsInfoUpdated(ctx: NotifyContext, ownerUserID: string, friendUserIDs: readonly string[]): Push[] {
  const log = ctx.state.friends.log(ownerUserID);
  const tips = { fromToUserID: fromTo('', ownerUserID), friendIDs: friendUserIDs, friendVersion: log.version, friendVersionID: log.id };
  return notify(ctx, { contentType: ContentType.friendsInfoUpdateNotification, sendID: ownerUserID, recvID: ownerUserID, tips });
}

/** set_friend_remark: owner → friend (the owner's devices sync their friends). */
export function friendRemarkSet(ctx: NotifyContext, ownerUserID: string, friendUserID: string): Push[] {
  const log = ctx.state.friends.log(ownerUserID);
  const tips = { fromToUserID: fromTo(ownerUserID, friendUserID), friendVersion: log.version, friendVersionID: log.id, friendSortVersion: 0 };
  return notify(ctx, { contentType: ContentType.friendRemarkSetNotification, sendID: ownerUserID, recvID: friendUserID, tips });
}

/**
 * A user's profile changed (update_user_info_ex): their own devices re-read it (1303), and,
 * when the name or face changed, every user who has them as a friend syncs friends (1209).
 */
export function userInfoUpdated(ctx: NotifyContext, opUserID: string, userID: string, nameOrFaceChanged: boolean): Push[] {
  const pushes = notify(ctx, { contentType: ContentType.userInfoUpdatedNotification, sendID: opUserID, recvID: userID, tips: { userID } });
  if (!nameOrFaceChanged) return pushes;
  for (const owner of ctx.state.friends.ownersOf(userID)) {
    ctx.state.friends.touch(owner, userID);
    pushes.push(...notify(ctx, { contentType: ContentType.friendInfoUpdatedNotification, sendID: opUserID, recvID: owner, tips: { userID } }));
  }
  return pushes;
}
