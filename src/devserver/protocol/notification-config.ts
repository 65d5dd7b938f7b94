/**
 * How the real server sends each notification (its default `notification.yml`, plus the
 * message service's own entries): whether a stored copy also lands in the chat
 * (`isSendMsg`), whether it is kept with a seq (`reliable`; most are pushed only, seq 0),
 * offline push texts, and the session type it travels as (1: to one user, in `n_<a>_<b>`;
 * 3: to a group's members, in `n_<groupID>`). The core reacts to the content type.
 */
import { ContentType, SessionType } from './constants.ts';

export interface NotificationConfig {
  readonly isSendMsg: boolean;
  /** Stored with a seq (the real reliabilityLevel 2) instead of only pushed. */
  readonly reliable?: boolean;
  readonly offlinePush: { readonly enable: boolean; readonly title: string; readonly desc: string; readonly ex: string };
}

export interface NotificationKind {
  readonly config: NotificationConfig;
  readonly sessionType: number;
}

const push = (title: string, enable = false): NotificationConfig['offlinePush'] => ({ enable, title, desc: title, ex: title });
/** The group entries name their texts `<entry> title` / `desc` / `ext`. */
const groupPush = (entry: string, enable = false): NotificationConfig['offlinePush'] => ({
  enable,
  title: `${entry} title`,
  desc: `${entry} desc`,
  ex: `${entry} ext`,
});
const toUser = (config: NotificationConfig): NotificationKind => ({ config, sessionType: SessionType.single });
const toGroup = (config: NotificationConfig): NotificationKind => ({ config, sessionType: SessionType.group });

export const NOTIFICATIONS: Readonly<Record<number, NotificationKind>> = {
  // friends
  [ContentType.friendApplicationNotification]: toUser({ isSendMsg: false, offlinePush: push('Somebody applies to add you as a friend', true) }),
  [ContentType.friendApplicationApprovedNotification]: toUser({ isSendMsg: true, offlinePush: push('Someone applies to add your friend application', true) }),
  [ContentType.friendApplicationRejectedNotification]: toUser({ isSendMsg: false, offlinePush: push('Someone rejected your friend application', true) }),
  [ContentType.friendAddedNotification]: toUser({ isSendMsg: false, offlinePush: push('We have become friends') }),
  [ContentType.friendDeletedNotification]: toUser({ isSendMsg: false, offlinePush: push('deleted a friend') }),
  [ContentType.friendRemarkSetNotification]: toUser({ isSendMsg: false, offlinePush: push("Your friend's profile has been changed") }),
  [ContentType.blackAddedNotification]: toUser({ isSendMsg: false, offlinePush: push('blocked a user') }),
  [ContentType.blackDeletedNotification]: toUser({ isSendMsg: false, offlinePush: push('Remove a blocked user') }),
  [ContentType.friendInfoUpdatedNotification]: toUser({ isSendMsg: false, offlinePush: push('friend info updated') }),
  [ContentType.friendsInfoUpdateNotification]: toUser({ isSendMsg: false, offlinePush: push('friend info updated') }),
  // users and conversations
  [ContentType.userInfoUpdatedNotification]: toUser({ isSendMsg: false, offlinePush: push('userInfo updated') }),
  [ContentType.conversationChangeNotification]: toUser({ isSendMsg: false, offlinePush: push('conversation changed') }),
  [ContentType.conversationPrivateChatNotification]: toUser({ isSendMsg: true, offlinePush: push('burn after reading') }),
  // groups
  [ContentType.groupCreatedNotification]: toGroup({
    isSendMsg: true,
    offlinePush: { enable: false, title: 'create group title', desc: 'create group desc', ex: 'create group ext' },
  }),
  [ContentType.groupInfoSetNotification]: toGroup({ isSendMsg: false, offlinePush: groupPush('groupInfoSet') }),
  [ContentType.joinGroupApplicationNotification]: toUser({ isSendMsg: false, offlinePush: groupPush('joinGroupApplication', true) }),
  [ContentType.memberQuitNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('memberQuit') }),
  [ContentType.groupApplicationAcceptedNotification]: toUser({ isSendMsg: false, offlinePush: groupPush('groupApplicationAccepted', true) }),
  [ContentType.groupApplicationRejectedNotification]: toUser({ isSendMsg: false, offlinePush: groupPush('groupApplicationRejected', true) }),
  [ContentType.groupOwnerTransferredNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('groupOwnerTransferred') }),
  [ContentType.memberKickedNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('memberKicked') }),
  [ContentType.memberInvitedNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('memberInvited') }),
  [ContentType.memberEnterNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('memberEnter') }),
  [ContentType.groupDismissedNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('groupDismissed') }),
  [ContentType.groupMutedNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('groupMuted') }),
  [ContentType.groupCancelMutedNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('groupCancelMuted') }),
  [ContentType.groupMemberMutedNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('groupMemberMuted') }),
  [ContentType.groupMemberCancelMutedNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('groupMemberCancelMuted') }),
  [ContentType.groupMemberInfoSetNotification]: toGroup({ isSendMsg: false, offlinePush: groupPush('groupMemberInfoSet') }),
  // The default file has no entries for these two: all zero values.
  [ContentType.groupMemberSetToAdminNotification]: toGroup({ isSendMsg: false, offlinePush: push('') }),
  [ContentType.groupMemberSetToOrdinaryUserNotification]: toGroup({ isSendMsg: false, offlinePush: push('') }),
  [ContentType.groupInfoSetAnnouncementNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('groupInfoSetAnnouncement') }),
  [ContentType.groupInfoSetNameNotification]: toGroup({ isSendMsg: true, offlinePush: groupPush('groupInfoSetName') }),
  // the message service's own, kept with a seq; their session type is the message's
  [ContentType.msgRevokeNotification]: toUser({ isSendMsg: false, reliable: true, offlinePush: push('') }),
  [ContentType.deleteMsgsNotification]: toUser({ isSendMsg: false, reliable: true, offlinePush: push('') }),
  [ContentType.clearConversationNotification]: toUser({ isSendMsg: false, offlinePush: push('') }),
  // send_business_notification builds its own options: not stored, nothing unread
  [ContentType.businessNotification]: toUser({ isSendMsg: false, offlinePush: push('') }),
};

export function notificationKind(contentType: number): NotificationKind {
  const kind = NOTIFICATIONS[contentType];
  if (kind === undefined) throw new Error(`no notification config for content type ${contentType}`);
  return kind;
}
