/**
 * HasReadReceipt (2200) notifications, sent after a user marks messages read (docs/im-server.md#has-read-seqs):
 * a MarkAsReadTips to the peer (single chat) or the group, stored in the notification
 * conversation; to oneself (other devices) it is pushed only, with seq 0, as the real
 * sender downgrades self-addressed receipts to unreliable.
 */
import { ContentType, MsgFrom, MsgOption, SessionType } from '../protocol/constants.ts';
import type { MsgData } from '../protocol/proto-schema.ts';
import type { DevState } from '../store/state.ts';
import { deliver, type Push } from './deliver.ts';
import { newMsgID } from './ids.ts';

export interface ReadReceipt {
  readonly conversationID: string;
  readonly sessionType: number;
  /** Who read. */
  readonly sendID: string;
  /** The peer, the group, or the reader themself. */
  readonly recvID: string;
  readonly seqs: readonly number[];
  readonly hasReadSeq: number;
}

export function readReceipt(state: DevState, receipt: ReadReceipt, operationID: string): Push[] {
  const reliable = receipt.sendID !== receipt.recvID;
  const tips = {
    markAsReadUserID: receipt.sendID,
    conversationID: receipt.conversationID,
    // Go writes an empty list as null
    seqs: receipt.seqs.length > 0 ? receipt.seqs : null,
    hasReadSeq: receipt.hasReadSeq,
  };
  const now = state.now();
  const msg: MsgData = {
    sendID: receipt.sendID,
    recvID: receipt.recvID,
    groupID: receipt.sessionType === SessionType.group ? receipt.recvID : '',
    clientMsgID: newMsgID(receipt.sendID, now),
    serverMsgID: newMsgID(receipt.sendID, now),
    senderPlatformID: 0,
    senderNickname: '',
    senderFaceURL: '',
    sessionType: receipt.sessionType,
    msgFrom: MsgFrom.system,
    contentType: ContentType.hasReadReceipt,
    content: new TextEncoder().encode(JSON.stringify({ detail: JSON.stringify(tips) })),
    seq: 0,
    sendTime: now,
    createTime: now,
    status: 0,
    isRead: false,
    options: {
      [MsgOption.isNotNotification]: false,
      [MsgOption.isSendMsg]: false,
      [MsgOption.history]: reliable,
      [MsgOption.persistent]: reliable,
      [MsgOption.offlinePush]: false,
      [MsgOption.unreadCount]: false,
      [MsgOption.conversationUpdate]: false,
      [MsgOption.senderSync]: true,
      [MsgOption.notPrivate]: false,
      [MsgOption.senderConversationUpdate]: false,
      [MsgOption.reactionFromCache]: false,
    },
    offlinePushInfo: { title: '', desc: '', ex: '', iOSPushSound: '', iOSBadgeCount: false, signalInfo: '' },
    atUserIDList: [],
    attachedInfo: '',
    ex: '',
  };
  return deliver(state, msg, operationID);
}
