/**
 * The protobuf messages the long connection carries (docs/im-server.md#protobuf-messages), as a protobufjs JSON
 * descriptor plus the TypeScript shape each one decodes to.
 *
 * Package names are left out: they never reach the wire. Enums are declared as int32,
 * which is wire-identical. Decoded values follow proto3 defaults (every scalar present,
 * unset sub-messages null, int64 as JS numbers).
 */

type Field = { readonly type: string; readonly id: number; readonly rule?: 'repeated' } | { readonly keyType: string; readonly type: string; readonly id: number };

interface MessageSpec {
  readonly fields: Readonly<Record<string, Field>>;
}

const str = (id: number): Field => ({ type: 'string', id });
const i32 = (id: number): Field => ({ type: 'int32', id });
const i64 = (id: number): Field => ({ type: 'int64', id });
const bool = (id: number): Field => ({ type: 'bool', id });
const bytes = (id: number): Field => ({ type: 'bytes', id });
const msg = (type: string, id: number): Field => ({ type, id });
const list = (type: string, id: number): Field => ({ type, id, rule: 'repeated' });
const map = (type: string, id: number): Field => ({ keyType: 'string', type, id });

export const PROTO_SCHEMA = {
  // openim.sdkws
  OfflinePushInfo: {
    fields: { title: str(1), desc: str(2), ex: str(3), iOSPushSound: str(4), iOSBadgeCount: bool(5), signalInfo: str(6) },
  },
  MsgData: {
    fields: {
      sendID: str(1),
      recvID: str(2),
      groupID: str(3),
      clientMsgID: str(4),
      serverMsgID: str(5),
      senderPlatformID: i32(6),
      senderNickname: str(7),
      senderFaceURL: str(8),
      sessionType: i32(9),
      msgFrom: i32(10),
      contentType: i32(11),
      content: bytes(12),
      seq: i64(14),
      sendTime: i64(15),
      createTime: i64(16),
      status: i32(17),
      isRead: bool(18),
      options: map('bool', 19),
      offlinePushInfo: msg('OfflinePushInfo', 20),
      atUserIDList: list('string', 21),
      attachedInfo: str(22),
      ex: str(23),
    },
  },
  // The capitalised field name is the real one.
  PullMsgs: { fields: { Msgs: list('MsgData', 1), isEnd: bool(2), endSeq: i64(3) } },
  PushMessages: { fields: { msgs: map('PullMsgs', 1), notificationMsgs: map('PullMsgs', 2) } },
  GetMaxSeqReq: { fields: { userID: str(1) } },
  GetMaxSeqResp: { fields: { maxSeqs: map('int64', 1), minSeqs: map('int64', 2) } },
  SeqRange: { fields: { conversationID: str(1), begin: i64(2), end: i64(3), num: i64(4) } },
  PullMessageBySeqsReq: { fields: { userID: str(1), seqRanges: list('SeqRange', 2), order: i32(3) } },
  PullMessageBySeqsResp: { fields: { msgs: map('PullMsgs', 1), notificationMsgs: map('PullMsgs', 2) } },
  SetAppBackgroundStatusReq: { fields: { userID: str(1), isBackground: bool(2) } },
  SubUserOnlineStatus: { fields: { subscribeUserID: list('string', 1), unsubscribeUserID: list('string', 2) } },
  SubUserOnlineStatusElem: { fields: { userID: str(1), onlinePlatformIDs: list('int32', 2) } },
  SubUserOnlineStatusTips: { fields: { subscribers: list('SubUserOnlineStatusElem', 1) } },
  // openim.msg
  SendMsgResp: { fields: { serverMsgID: str(1), clientMsgID: str(2), sendTime: i64(3), modify: msg('MsgData', 4) } },
  GetConversationsHasReadAndMaxSeqReq: {
    fields: { userID: str(1), conversationIDs: list('string', 2), returnPinned: bool(3) },
  },
  Seqs: { fields: { maxSeq: i64(1), hasReadSeq: i64(2), maxSeqTime: i64(3) } },
  GetConversationsHasReadAndMaxSeqResp: {
    fields: { seqs: map('Seqs', 1), pinnedConversationIDs: list('string', 2) },
  },
  // Field numbers really start at 2 here.
  ConversationSeqs: { fields: { conversationID: str(2), seqs: list('int64', 3) } },
  GetSeqMessageReq: { fields: { userID: str(1), conversations: list('ConversationSeqs', 2), order: i32(3) } },
  GetSeqMessageResp: { fields: { msgs: map('PullMsgs', 1), notificationMsgs: map('PullMsgs', 2) } },
  GetLastMessageReq: { fields: { userID: str(1), conversationIDs: list('string', 2) } },
  GetLastMessageResp: { fields: { msgs: map('MsgData', 1) } },
  // openim.push
  DelUserPushTokenReq: { fields: { userID: str(1), platformID: i32(2) } },
  DelUserPushTokenResp: { fields: {} },
} as const satisfies Record<string, MessageSpec>;

export type ProtoName = keyof typeof PROTO_SCHEMA;

export interface OfflinePushInfo {
  title: string;
  desc: string;
  ex: string;
  iOSPushSound: string;
  iOSBadgeCount: boolean;
  signalInfo: string;
}

export interface MsgData {
  sendID: string;
  recvID: string;
  groupID: string;
  clientMsgID: string;
  serverMsgID: string;
  senderPlatformID: number;
  senderNickname: string;
  senderFaceURL: string;
  sessionType: number;
  msgFrom: number;
  contentType: number;
  content: Uint8Array;
  seq: number;
  sendTime: number;
  createTime: number;
  status: number;
  isRead: boolean;
  options: Record<string, boolean>;
  offlinePushInfo: OfflinePushInfo | null;
  atUserIDList: string[];
  attachedInfo: string;
  ex: string;
}

export interface PullMsgs {
  Msgs: MsgData[];
  isEnd: boolean;
  endSeq: number;
}

export interface MsgsByConversation {
  msgs: Record<string, PullMsgs>;
  notificationMsgs: Record<string, PullMsgs>;
}

export interface SeqRange {
  conversationID: string;
  begin: number;
  end: number;
  num: number;
}

export interface SubUserOnlineStatusElem {
  userID: string;
  onlinePlatformIDs: number[];
}

export interface HasReadAndMaxSeq {
  maxSeq: number;
  hasReadSeq: number;
  maxSeqTime: number;
}

/** TypeScript shape of every message in PROTO_SCHEMA, by name. */
export interface ProtoTypes {
  OfflinePushInfo: OfflinePushInfo;
  MsgData: MsgData;
  PullMsgs: PullMsgs;
  PushMessages: MsgsByConversation;
  GetMaxSeqReq: { userID: string };
  GetMaxSeqResp: { maxSeqs: Record<string, number>; minSeqs: Record<string, number> };
  SeqRange: SeqRange;
  PullMessageBySeqsReq: { userID: string; seqRanges: SeqRange[]; order: number };
  PullMessageBySeqsResp: MsgsByConversation;
  SetAppBackgroundStatusReq: { userID: string; isBackground: boolean };
  SubUserOnlineStatus: { subscribeUserID: string[]; unsubscribeUserID: string[] };
  SubUserOnlineStatusElem: SubUserOnlineStatusElem;
  SubUserOnlineStatusTips: { subscribers: SubUserOnlineStatusElem[] };
  SendMsgResp: { serverMsgID: string; clientMsgID: string; sendTime: number; modify: MsgData | null };
  GetConversationsHasReadAndMaxSeqReq: { userID: string; conversationIDs: string[]; returnPinned: boolean };
  Seqs: HasReadAndMaxSeq;
  GetConversationsHasReadAndMaxSeqResp: { seqs: Record<string, HasReadAndMaxSeq>; pinnedConversationIDs: string[] };
  ConversationSeqs: { conversationID: string; seqs: number[] };
  GetSeqMessageReq: { userID: string; conversations: { conversationID: string; seqs: number[] }[]; order: number };
  GetSeqMessageResp: MsgsByConversation;
  GetLastMessageReq: { userID: string; conversationIDs: string[] };
  GetLastMessageResp: { msgs: Record<string, MsgData> };
  DelUserPushTokenReq: { userID: string; platformID: number };
  DelUserPushTokenResp: Record<string, never>;
}

/** Pull order of 1002/1005 requests. */
export const PullOrder = { asc: 0, desc: 1 } as const;
