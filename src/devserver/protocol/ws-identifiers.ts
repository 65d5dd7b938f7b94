/**
 * Request identifiers of the long connection (docs/im-server.md#request-identifiers) and the protobuf messages each
 * one carries. The WS gateway dispatches on this table; anything not in it closes the
 * connection, as the real gateway does.
 */
import type { ProtoName } from './proto-schema.ts';

export const WsReq = {
  getNewestSeq: 1001,
  pullMsgByRange: 1002,
  sendMsg: 1003,
  sendSignalMsg: 1004,
  pullMsgBySeqList: 1005,
  getConvMaxReadSeq: 1006,
  pullConvLastMessage: 1007,
  pushMsg: 2001,
  kickOnline: 2002,
  logout: 2003,
  setBackgroundStatus: 2004,
  subUserOnlineStatus: 2005,
} as const;

export type WsReqName = keyof typeof WsReq;

export interface ClientRequestSpec {
  readonly id: number;
  readonly name: WsReqName;
  /** Protobuf type of the request's Data; undefined when the real server does not read it. */
  readonly request: ProtoName | undefined;
  readonly response: ProtoName | undefined;
}

/** Client → server requests; each gets exactly one reply with the same identifier and MsgIncr. */
export const CLIENT_REQUESTS: readonly ClientRequestSpec[] = [
  { id: WsReq.getNewestSeq, name: 'getNewestSeq', request: 'GetMaxSeqReq', response: 'GetMaxSeqResp' },
  { id: WsReq.pullMsgByRange, name: 'pullMsgByRange', request: 'PullMessageBySeqsReq', response: 'PullMessageBySeqsResp' },
  { id: WsReq.sendMsg, name: 'sendMsg', request: 'MsgData', response: 'SendMsgResp' },
  // The real server answers it with an argument error (it forwards a nil request).
  { id: WsReq.sendSignalMsg, name: 'sendSignalMsg', request: undefined, response: undefined },
  { id: WsReq.pullMsgBySeqList, name: 'pullMsgBySeqList', request: 'GetSeqMessageReq', response: 'GetSeqMessageResp' },
  {
    id: WsReq.getConvMaxReadSeq,
    name: 'getConvMaxReadSeq',
    request: 'GetConversationsHasReadAndMaxSeqReq',
    response: 'GetConversationsHasReadAndMaxSeqResp',
  },
  { id: WsReq.pullConvLastMessage, name: 'pullConvLastMessage', request: 'GetLastMessageReq', response: 'GetLastMessageResp' },
  { id: WsReq.logout, name: 'logout', request: 'DelUserPushTokenReq', response: 'DelUserPushTokenResp' },
  { id: WsReq.setBackgroundStatus, name: 'setBackgroundStatus', request: 'SetAppBackgroundStatusReq', response: undefined },
  { id: WsReq.subUserOnlineStatus, name: 'subUserOnlineStatus', request: 'SubUserOnlineStatus', response: 'SubUserOnlineStatusTips' },
];

const BY_ID: ReadonlyMap<number, ClientRequestSpec> = new Map(CLIENT_REQUESTS.map((r) => [r.id, r]));

export function clientRequest(id: number): ClientRequestSpec | undefined {
  return BY_ID.get(id);
}
