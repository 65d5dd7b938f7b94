/**
 * Protocol constants the dev server reasons about (openimsdk/protocol `constant`,
 * docs/im-server.md#messages). Only the values this server acts on are listed.
 */

export const SessionType = {
  single: 1,
  /** Old "write" groups; the real server refuses to send to them. */
  writeGroup: 2,
  group: 3,
  notification: 4,
} as const;

export const ContentType = {
  text: 101,
  revoke: 111,
  typing: 113,
  friendApplicationApprovedNotification: 1201,
  friendApplicationRejectedNotification: 1202,
  friendApplicationNotification: 1203,
  friendAddedNotification: 1204,
  friendDeletedNotification: 1205,
  friendRemarkSetNotification: 1206,
  blackAddedNotification: 1207,
  blackDeletedNotification: 1208,
  friendInfoUpdatedNotification: 1209,
  friendsInfoUpdateNotification: 1210,
  conversationChangeNotification: 1300,
  userInfoUpdatedNotification: 1303,
  groupCreatedNotification: 1501,
  groupInfoSetNotification: 1502,
  joinGroupApplicationNotification: 1503,
  memberQuitNotification: 1504,
  groupApplicationAcceptedNotification: 1505,
  groupApplicationRejectedNotification: 1506,
  groupOwnerTransferredNotification: 1507,
  memberKickedNotification: 1508,
  memberInvitedNotification: 1509,
  memberEnterNotification: 1510,
  groupDismissedNotification: 1511,
  groupMemberMutedNotification: 1512,
  groupMemberCancelMutedNotification: 1513,
  groupMutedNotification: 1514,
  groupCancelMutedNotification: 1515,
  groupMemberInfoSetNotification: 1516,
  groupMemberSetToAdminNotification: 1517,
  groupMemberSetToOrdinaryUserNotification: 1518,
  groupInfoSetAnnouncementNotification: 1519,
  groupInfoSetNameNotification: 1520,
  conversationPrivateChatNotification: 1701,
  clearConversationNotification: 1703,
  businessNotification: 2001,
  msgRevokeNotification: 2101,
  deleteMsgsNotification: 2102,
  hasReadReceipt: 2200,
  /** Content types in [begin, end] are notifications and skip the sender checks. */
  notificationBegin: 1000,
  notificationEnd: 5000,
} as const;

export const MsgFrom = { user: 100, system: 200 } as const;

/** Message status: 4 = deleted (placeholders for missing seqs). */
export const MsgStatus = { sendSuccess: 2, hasDeleted: 4 } as const;

export const PlatformID = { ios: 1, web: 5, admin: 10 } as const;

/** Token states kept per (user, platform) (docs/im-server.md#issuing-tokens). */
export const TokenState = { normal: 0, invalid: 1, kicked: 2, expired: 3 } as const;
export type TokenStateValue = (typeof TokenState)[keyof typeof TokenState];

export const GroupRole = { owner: 100, admin: 60, member: 20 } as const;
/** needVerification: who needs an approval to join. */
export const GroupVerification = {
  /** Applications need approval, invitations get in directly. */
  applyNeedsApprovalInviteDirectly: 0,
  /** Everyone needs approval, except when the owner or an admin invites. */
  allNeedApproval: 1,
  /** Anyone who asks gets in. */
  directly: 2,
} as const;
/** How a member came in (joinSource). */
export const JoinSource = { admin: 1, invitation: 2, search: 3, qrCode: 4 } as const;
/** A group application's state (handleResult). */
export const GroupResponse = { pending: 0, accepted: 1, refused: -1 } as const;
export const GroupStatus = { ok: 0, dismissed: 2, muted: 3 } as const;
/** The only group type create_group accepts. */
export const WORKING_GROUP = 2;
/** JoinByInvitation: how create_group records its members. */
export const JOIN_BY_INVITATION = 2;

/** `globalRecvMsgOpt` / conversation `recvMsgOpt`. */
export const RecvMsgOpt = { receive: 0, notReceive: 1, receiveNotNotify: 2 } as const;

/** appMangerLevel: admin accounts are registered with 3 at start-up, as the real server does. */
export const AppManagerLevel = { ordinary: 1, admin: 2, notificationAdmin: 3 } as const;

/** Keys of `MsgData.options`; a missing key means true (docs/im-server.md#message-options). */
export const MsgOption = {
  history: 'history',
  persistent: 'persistent',
  offlinePush: 'offlinePush',
  unreadCount: 'unreadCount',
  conversationUpdate: 'conversationUpdate',
  senderSync: 'senderSync',
  notPrivate: 'notPrivate',
  senderConversationUpdate: 'senderConversationUpdate',
  reactionFromCache: 'reactionFromCache',
  isNotNotification: 'isNotNotification',
  isSendMsg: 'isSendMsg',
} as const;

export type MsgOptionKey = (typeof MsgOption)[keyof typeof MsgOption];

export function optionOn(options: Readonly<Record<string, boolean>>, key: MsgOptionKey): boolean {
  return options[key] !== false;
}
