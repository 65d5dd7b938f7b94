/** `/msg/*` read marks (spec §4.5); each answers `{}` and then sends the read receipt. */
import { SessionType } from '../../protocol/constants.ts';
import { ImError } from '../../protocol/error-codes.ts';
import { readReceipt, type ReadReceipt } from '../../messaging/read-receipts.ts';
import type { ConversationRecord } from '../../store/conversations.ts';
import { requireSelfOrAdmin, type ApiContext, type ApiHandler } from '../context.ts';

function conversationOf(ctx: ApiContext, userID: string, conversationID: string): ConversationRecord {
  const record = ctx.state.conversations.get(userID, conversationID);
  if (record === undefined) throw new ImError('RecordNotFoundError', 'conversation not found');
  return record;
}

/** Who a single-chat receipt goes to: the peer; for a group, the group. */
function peerOf(record: ConversationRecord): string {
  return record.conversationType === SessionType.single ? record.userID : record.groupID;
}

function sendReceipt(ctx: ApiContext, receipt: ReadReceipt): void {
  const pushes = readReceipt(ctx.state, receipt, ctx.operationID);
  ctx.after(() => ctx.gateway.push(pushes));
}

function setConversationHasReadSeq(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const userID = body.string('userID');
  const conversationID = body.string('conversationID');
  const hasReadSeq = body.int('hasReadSeq');
  requireSelfOrAdmin(ctx, userID);
  if (hasReadSeq > state.messages.maxSeq(conversationID)) {
    throw new ImError('ArgsError', 'hasReadSeq must not be bigger than maxSeq');
  }
  state.messages.setHasReadSeq(userID, conversationID, hasReadSeq);
  sendReceipt(ctx, { conversationID, sessionType: SessionType.single, sendID: userID, recvID: userID, seqs: [], hasReadSeq });
  return undefined;
}

function markMsgsAsRead(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const userID = body.string('userID');
  const conversationID = body.string('conversationID');
  const seqs = body.ints('seqs');
  requireSelfOrAdmin(ctx, userID);
  const hasReadSeq = seqs[seqs.length - 1];
  if (hasReadSeq === undefined) throw new ImError('ArgsError', 'seqs must not be empty');
  if (hasReadSeq > state.messages.maxSeq(conversationID)) {
    throw new ImError('ArgsError', 'hasReadSeq must not be bigger than maxSeq');
  }
  const record = conversationOf(ctx, userID, conversationID);
  state.messages.markRead(conversationID, seqs);
  if (hasReadSeq > state.messages.hasReadSeq(userID, conversationID)) state.messages.setHasReadSeq(userID, conversationID, hasReadSeq);
  sendReceipt(ctx, {
    conversationID,
    sessionType: record.conversationType,
    sendID: userID,
    recvID: peerOf(record),
    seqs,
    hasReadSeq,
  });
  return undefined;
}

function markConversationAsRead(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const userID = body.string('userID');
  const conversationID = body.string('conversationID');
  const requested = body.int('hasReadSeq');
  requireSelfOrAdmin(ctx, userID);
  const record = conversationOf(ctx, userID, conversationID);
  let hasReadSeq = state.messages.hasReadSeq(userID, conversationID);
  if (record.conversationType === SessionType.single) {
    const seqs: number[] = [];
    for (let seq = hasReadSeq + 1; seq <= requested; seq++) seqs.push(seq);
    for (const seq of body.ints('seqs')) if (!seqs.includes(seq)) seqs.push(seq);
    if (seqs.length > 0) state.messages.markRead(conversationID, seqs);
    if (requested > hasReadSeq) {
      state.messages.setHasReadSeq(userID, conversationID, requested);
      hasReadSeq = requested;
    }
    sendReceipt(ctx, { conversationID, sessionType: record.conversationType, sendID: userID, recvID: peerOf(record), seqs, hasReadSeq });
  } else if (record.conversationType === SessionType.group || record.conversationType === SessionType.notification) {
    if (requested > hasReadSeq) {
      state.messages.setHasReadSeq(userID, conversationID, requested);
      hasReadSeq = requested;
    }
    sendReceipt(ctx, { conversationID, sessionType: SessionType.single, sendID: userID, recvID: userID, seqs: [], hasReadSeq });
  }
  return undefined;
}

export const MSG_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/msg/set_conversation_has_read_seq': setConversationHasReadSeq,
  '/msg/mark_msgs_as_read': markMsgsAsRead,
  '/msg/mark_conversation_as_read': markConversationAsRead,
};
