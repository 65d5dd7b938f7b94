/**
 * The read side of the long connection (docs/im-server.md#seqs): newest seqs (1001), range pulls
 * (1002), seq-list pulls (1005), has-read and max seqs (1006) and last messages (1007),
 * with the real message service's clamping and end markers.
 *
 * Seqs start at 1 here; the real server's minimum is 0, which only ever adds a
 * placeholder for seq 0 to a pull starting at 0.
 */
import { ContentType, MsgStatus } from '../protocol/constants.ts';
import { isNotificationConversationID, notificationTwin, selfNotificationConversationID } from '../protocol/conversation-id.ts';
import { PullOrder, type HasReadAndMaxSeq, type MsgData, type MsgsByConversation, type ProtoTypes, type PullMsgs } from '../protocol/proto-schema.ts';
import type { DevState } from '../store/state.ts';

const MIN_SEQ = 1;

function emptyMsg(): MsgData {
  return {
    sendID: '',
    recvID: '',
    groupID: '',
    clientMsgID: '',
    serverMsgID: '',
    senderPlatformID: 0,
    senderNickname: '',
    senderFaceURL: '',
    sessionType: 0,
    msgFrom: 0,
    contentType: 0,
    content: new Uint8Array(0),
    seq: 0,
    sendTime: 0,
    createTime: 0,
    status: 0,
    isRead: false,
    options: {},
    offlinePushInfo: null,
    atUserIDList: [],
    attachedInfo: '',
    ex: '',
  };
}

/**
 * Stored messages for the seqs as this user sees them: a deleted-placeholder for each one
 * missing, an empty deleted message for one they deleted, a revoked message's notice in
 * its place.
 */
function messagesAt(state: DevState, userID: string, conversationID: string, seqs: readonly number[]): MsgData[] {
  return seqs.map((seq) => messageFor(state, userID, conversationID, seq) ?? { ...emptyMsg(), seq, status: MsgStatus.hasDeleted });
}

export function messageFor(state: DevState, userID: string, conversationID: string, seq: number): MsgData | undefined {
  const msg = state.messages.get(conversationID, seq);
  if (msg === undefined) return undefined;
  if (state.messages.isDeletedFor(userID, conversationID, seq)) return { ...msg, content: new Uint8Array(0), status: MsgStatus.hasDeleted };
  const revocation = state.messages.revocation(conversationID, seq);
  if (revocation === undefined) return msg;
  const revoked = {
    revokerID: revocation.userID,
    revokerRole: revocation.role,
    clientMsgID: msg.clientMsgID,
    revokerNickname: revocation.nickname,
    revokeTime: revocation.time,
    sourceMessageSendTime: msg.sendTime,
    sourceMessageSendID: msg.sendID,
    sourceMessageSenderNickname: msg.senderNickname,
    sessionType: msg.sessionType,
    seq: msg.seq,
    ex: msg.ex,
  };
  const content = new TextEncoder().encode(JSON.stringify({ detail: JSON.stringify(revoked) }));
  return { ...msg, contentType: ContentType.msgRevokeNotification, content };
}

/** The first seq the user may pull (they may have cleared the conversation). */
function firstSeqFor(state: DevState, userID: string, conversationID: string): number {
  return Math.max(MIN_SEQ, state.messages.minSeqFor(userID, conversationID));
}

/** The user's conversations: records, their notification twins, and the self-notification one. */
function conversationIDsForSeqs(state: DevState, userID: string): string[] {
  const ids = state.conversations.ids(userID);
  return [...ids, ...ids.map(notificationTwin), selfNotificationConversationID(userID)];
}

export function getMaxSeq(state: DevState, userID: string): ProtoTypes['GetMaxSeqResp'] {
  const maxSeqs: Record<string, number> = {};
  const minSeqs: Record<string, number> = {};
  for (const id of conversationIDsForSeqs(state, userID)) {
    const seq = state.messages.maxSeq(id);
    if (seq !== 0) maxSeqs[id] = seq;
    const min = state.messages.minSeqFor(userID, id);
    if (min !== 0) minSeqs[id] = min;
  }
  return { maxSeqs, minSeqs };
}

function bucket(out: MsgsByConversation, conversationID: string): Record<string, PullMsgs> {
  return isNotificationConversationID(conversationID) ? out.notificationMsgs : out.msgs;
}

export function pullByRanges(state: DevState, req: ProtoTypes['PullMessageBySeqsReq']): MsgsByConversation {
  const out: MsgsByConversation = { msgs: {}, notificationMsgs: {} };
  for (const range of req.seqRanges) {
    const id = range.conversationID;
    const notification = isNotificationConversationID(id);
    let maxSeq = state.messages.maxSeq(id);
    const minSeq = firstSeqFor(state, req.userID, id);
    const seqs: number[] = [];
    if (!notification) {
      // Chat conversations are only served to users who have them.
      const conversation = state.conversations.get(req.userID, id);
      if (conversation === undefined) continue;
      if (conversation.maxSeq !== 0 && conversation.maxSeq < maxSeq) maxSeq = conversation.maxSeq;
      if (minSeq > range.end) continue;
      const begin = Math.max(range.begin, minSeq);
      const end = Math.min(range.end, maxSeq);
      if (end < begin) continue;
      const first = end - begin + 1 <= range.num ? begin : end - range.num + 1;
      for (let seq = first; seq <= end; seq++) seqs.push(seq);
    } else {
      const end = Math.min(range.end, maxSeq);
      for (let seq = Math.max(range.begin, minSeq); seq <= end; seq++) seqs.push(seq);
    }
    if (seqs.length === 0) continue;
    const isEnd = req.order === PullOrder.desc ? range.begin <= minSeq : maxSeq <= range.end;
    bucket(out, id)[id] = { Msgs: messagesAt(state, req.userID, id, seqs), isEnd, endSeq: 0 };
  }
  return out;
}

export function pullBySeqs(state: DevState, req: ProtoTypes['GetSeqMessageReq']): MsgsByConversation {
  const out: MsgsByConversation = { msgs: {}, notificationMsgs: {} };
  for (const conv of req.conversations) {
    const id = conv.conversationID;
    const maxSeq = state.messages.maxSeq(id);
    const minSeq = firstSeqFor(state, req.userID, id);
    let isEnd = false;
    let endSeq = 0;
    const seqs: number[] = [];
    for (const seq of conv.seqs) {
      if (seq <= 0) continue;
      if (seq >= minSeq && seq <= maxSeq) {
        seqs.push(seq);
        continue;
      }
      if (seq < minSeq && req.order === PullOrder.desc) {
        isEnd = true;
        endSeq = minSeq;
      }
      if (seq > maxSeq && req.order === PullOrder.asc) {
        isEnd = true;
        endSeq = maxSeq;
      }
    }
    const target = bucket(out, id);
    const pulled = (target[id] ??= { Msgs: [], isEnd: false, endSeq: 0 });
    pulled.Msgs.push(...messagesAt(state, req.userID, id, seqs));
    pulled.isEnd = isEnd;
    pulled.endSeq = endSeq;
  }
  return out;
}

export function hasReadAndMaxSeqs(state: DevState, req: ProtoTypes['GetConversationsHasReadAndMaxSeqReq']): ProtoTypes['GetConversationsHasReadAndMaxSeqResp'] {
  const ids = req.conversationIDs.length > 0 ? req.conversationIDs : state.conversations.ids(req.userID);
  const seqs: Record<string, HasReadAndMaxSeq> = {};
  for (const id of ids) {
    const limit = state.conversations.get(req.userID, id)?.maxSeq ?? 0;
    seqs[id] = {
      maxSeq: limit !== 0 ? limit : state.messages.maxSeq(id),
      hasReadSeq: state.messages.hasReadSeq(req.userID, id),
      maxSeqTime: state.messages.maxSeqTime(id),
    };
  }
  return { seqs, pinnedConversationIDs: [] };
}

export function lastMessages(state: DevState, req: ProtoTypes['GetLastMessageReq']): ProtoTypes['GetLastMessageResp'] {
  const msgs: Record<string, MsgData> = {};
  for (const id of req.conversationIDs) {
    const seq = state.messages.maxSeq(id);
    if (seq < firstSeqFor(state, req.userID, id)) continue;
    const last = messageFor(state, req.userID, id, seq);
    if (last !== undefined) msgs[id] = last;
  }
  return { msgs };
}
