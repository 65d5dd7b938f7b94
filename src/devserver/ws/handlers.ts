/**
 * What each client request identifier does (docs/im-server.md#request-identifiers). A handler returns the reply's
 * Data or error, and optionally work to do once the reply is on its way (pushes) and
 * whether the connection ends after it (logout).
 */
import type { WsRequest } from '../gob/ws-messages.ts';
import type { Push } from '../messaging/deliver.ts';
import { sendMessage } from '../messaging/send.ts';
import { getMaxSeq, hasReadAndMaxSeqs, lastMessages, pullByRanges, pullBySeqs } from '../messaging/sync.ts';
import { ImError, toErrorFields, type ErrorFields } from '../protocol/im-error-codes.ts';
import { ProtoDecodeError, decodeProto, encodeProto } from '../protocol/proto-codec.ts';
import type { WsReqName } from '../protocol/ws-identifiers.ts';
import type { DevState } from '../store/state.ts';
import type { GatewayConnection } from './connection.ts';

/** What handlers may ask of the gateway. */
export interface GatewayActions {
  push(pushes: readonly Push[]): void;
  subscribe(conn: GatewayConnection, add: readonly string[], remove: readonly string[]): void;
  onlinePlatforms(userID: string): number[];
}

export interface WsHandlerContext {
  readonly state: DevState;
  readonly conn: GatewayConnection;
  readonly gateway: GatewayActions;
  readonly req: WsRequest;
}

export interface WsOutcome {
  readonly data?: Uint8Array;
  readonly error?: ErrorFields;
  readonly afterReply?: () => void;
  readonly closeAfterReply?: boolean;
}

export type WsHandler = (ctx: WsHandlerContext) => WsOutcome;

/** The real handlers wrap protobuf errors without a code: the reply says 500 and the decoder's words. */
function decodeError(err: ProtoDecodeError): WsOutcome {
  return { error: toErrorFields(new ImError('ServerInternalError', '', err.message)) };
}

function withDecoded<T>(decode: () => T, use: (value: T) => WsOutcome): WsOutcome {
  let value: T;
  try {
    value = decode();
  } catch (err) {
    if (err instanceof ProtoDecodeError) return decodeError(err);
    throw err;
  }
  return use(value);
}

export const WS_HANDLERS: Readonly<Record<Exclude<WsReqName, 'pushMsg' | 'kickOnline'>, WsHandler>> = {
  getNewestSeq: ({ state, conn, req }) =>
    withDecoded(
      () => decodeProto('GetMaxSeqReq', req.data),
      (m) => {
        if (m.userID !== conn.userID && !state.auth.isAdmin(conn.userID)) throw new ImError('NoPermissionError', `ownerUserID ${m.userID}`);
        return { data: encodeProto('GetMaxSeqResp', getMaxSeq(state, m.userID)) };
      },
    ),

  // Reads are answered for the connection's user, whatever userID the request names.
  pullMsgByRange: ({ state, conn, req }) =>
    withDecoded(
      () => decodeProto('PullMessageBySeqsReq', req.data),
      (m) => ({ data: encodeProto('PullMessageBySeqsResp', pullByRanges(state, { ...m, userID: conn.userID })) }),
    ),

  sendMsg: ({ state, conn, gateway, req }) =>
    withDecoded(
      () => decodeProto('MsgData', req.data),
      (msg) => {
        const outcome = sendMessage({ state, opUserID: conn.userID, operationID: req.operationID }, msg);
        return {
          data: outcome.resp === undefined ? new Uint8Array(0) : encodeProto('SendMsgResp', outcome.resp),
          afterReply: () => gateway.push(outcome.pushes),
        };
      },
    ),

  // The real gateway forwards this with no message, which the message service refuses.
  sendSignalMsg: () => {
    throw new ImError('ArgsError', 'msgData is nil');
  },

  pullMsgBySeqList: ({ state, conn, req }) =>
    withDecoded(
      () => decodeProto('GetSeqMessageReq', req.data),
      (m) => ({ data: encodeProto('GetSeqMessageResp', pullBySeqs(state, { ...m, userID: conn.userID })) }),
    ),

  getConvMaxReadSeq: ({ state, conn, req }) =>
    withDecoded(
      () => decodeProto('GetConversationsHasReadAndMaxSeqReq', req.data),
      (m) => ({ data: encodeProto('GetConversationsHasReadAndMaxSeqResp', hasReadAndMaxSeqs(state, { ...m, userID: conn.userID })) }),
    ),

  pullConvLastMessage: ({ state, conn, req }) =>
    withDecoded(
      () => decodeProto('GetLastMessageReq', req.data),
      (m) => ({ data: encodeProto('GetLastMessageResp', lastMessages(state, { ...m, userID: conn.userID })) }),
    ),

  // Replied, then the connection ends, whether or not the request decoded.
  logout: ({ req }) => {
    try {
      decodeProto('DelUserPushTokenReq', req.data);
    } catch (err) {
      if (err instanceof ProtoDecodeError) return { ...decodeError(err), closeAfterReply: true };
      throw err;
    }
    return { data: encodeProto('DelUserPushTokenResp', {}), closeAfterReply: true };
  },

  setBackgroundStatus: ({ conn, req }) =>
    withDecoded(
      () => decodeProto('SetAppBackgroundStatusReq', req.data),
      (m) => {
        conn.isBackground = m.isBackground;
        return {};
      },
    ),

  subUserOnlineStatus: ({ conn, gateway, req }) =>
    withDecoded(
      () => decodeProto('SubUserOnlineStatus', req.data),
      (m) => {
        gateway.subscribe(conn, m.subscribeUserID, m.unsubscribeUserID);
        const subscribers = m.subscribeUserID.map((userID) => ({ userID, onlinePlatformIDs: gateway.onlinePlatforms(userID) }));
        return { data: encodeProto('SubUserOnlineStatusTips', { subscribers }) };
      },
    ),
};
