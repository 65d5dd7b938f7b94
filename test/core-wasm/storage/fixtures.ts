/**
 * Payloads as the official core passes them (observed at the boundary by running it,
 * from a fake server with users u1, u2, u3 and group g1), plus builders for variants.
 */

export const INSERT_LOGIN_USER = '{"userID":"u1","nickname":"nick_u1","createTime":1700000000000}';

export const BATCH_INSERT_FRIEND =
  '[{"ownerUserID":"u1","userID":"u2","remark":"","createTime":1795497730144,"addSource":1,"operatorUserID":"u1","nickname":"nick_u2","faceURL":"","ex":"","attachedInfo":"","isPinned":false}]';

export const BATCH_INSERT_GROUP =
  '[{"groupID":"g1","groupName":"G1","notification":"","introduction":"","faceURL":"","createTime":1795497730144,"status":0,"creatorUserID":"u2","groupType":2,"ownerUserID":"u2","memberCount":2,"ex":"","attachedInfo":"","needVerification":0,"lookMemberInfo":0,"applyMemberFriend":0,"notificationUpdateTime":0,"notificationUserID":""}]';

export const BATCH_INSERT_GROUP_MEMBER =
  '[{"groupID":"g1","userID":"u2","nickname":"nick_u2","faceURL":"","roleLevel":100,"joinTime":1795497730144,"joinSource":0,"inviterUserID":"","muteEndTime":0,"operatorUserID":"","ex":"","attachedInfo":""}]';

export const SET_VERSION_SYNC = '{"tableName":"local_friends","entityID":"u1","versionID":"vf1","version":1,"createTime":0,"uidList":["u2"]}';

export const SET_APP_SDK_VERSION = '{"version":"","installed":true}';

export const SENT_MESSAGE = {
  clientMsgID: '8a85b098c0bd834045256d728318bb4f',
  serverMsgID: '',
  sendID: 'u1',
  recvID: 'u2',
  senderPlatformID: 5,
  senderNickname: 'nick_u1',
  senderFaceURL: '',
  sessionType: 1,
  msgFrom: 100,
  contentType: 101,
  content: '{"content":"hello"}',
  isRead: false,
  status: 1,
  seq: 0,
  sendTime: 1795497734992,
  createTime: 1795497734992,
  attachedInfo: 'null',
  ex: '',
  localEx: '',
};

export const INSERT_SENDING_MESSAGE = '{"conversationID":"si_u1_u2","clientMsgID":"8a85b098c0bd834045256d728318bb4f","ex":""}';

export const CONVERSATION = {
  conversationID: 'si_u1_u2',
  conversationType: 1,
  userID: 'u2',
  groupID: '',
  showName: 'nick_u2',
  faceURL: '',
  recvMsgOpt: 0,
  unreadCount: 0,
  groupAtType: 0,
  latestMsg: '{"clientMsgID":"8a85b098c0bd834045256d728318bb4f"}',
  latestMsgSendTime: 1795497734992,
  draftText: '',
  draftTextTime: 0,
  isPinned: false,
  isPrivateChat: false,
  burnDuration: 0,
  isNotInGroup: false,
  updateUnreadCountTime: 0,
  attachedInfo: '',
  ex: '',
  maxSeq: 0,
  minSeq: 0,
  msgDestructTime: 0,
  isMsgDestruct: false,
};

export function conversation(over: Partial<typeof CONVERSATION>): typeof CONVERSATION {
  return { ...CONVERSATION, ...over };
}

/** A received message (status 2, with a server seq). */
export function message(over: Partial<typeof SENT_MESSAGE>): typeof SENT_MESSAGE {
  return { ...SENT_MESSAGE, serverMsgID: `srv-${over.clientMsgID ?? 'x'}`, status: 2, ...over };
}

export const UPDATE_CONVERSATION_U3 = '{"conversationType":1,"userID":"u3","showName":"nick_u3","unreadCount":1,"latestMsg":"{}","latestMsgSendTime":1795497151364}';

export const RECEIVED_ATTACHED_INFO = '{"groupHasReadInfo":{"hasReadCount":0,"groupMemberCount":0},"hasReadTime":0,"isPrivateChat":false}';
