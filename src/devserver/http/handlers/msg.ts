/**
 * `/msg/*`: read marks (docs/im-server.md#has-read-seqs; each answers `{}` and then sends the read receipt),
 * revocation, deletion and clearing (for the caller only, as the core asks), business
 * notifications from an admin, the server's clock.
 */
import { notify } from '../../messaging/notification.ts';
import { ContentType, GroupRole, MsgFrom, MsgOption, SessionType } from '../../protocol/constants.ts';
import { ImError } from '../../protocol/im-error-codes.ts';
import { readReceipt, type ReadReceipt } from '../../messaging/read-receipts.ts';
import type { ConversationRecord } from '../../store/conversations.ts';
import { deliver } from '../../messaging/deliver.ts';
import { newMsgID } from '../../messaging/ids.ts';
import { hasReadAndMaxSeqs, messageFor } from '../../messaging/sync.ts';
import { notificationOptions } from '../../messaging/notification.ts';
import { pushAfterReply, requireAdmin, requireSelfOrAdmin, type ApiContext, type ApiHandler } from '../context.ts';

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
  pushAfterReply(ctx, pushes);
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

/** Who may revoke: the sender; in a group also the owner, and an admin for ordinary members' messages. */
function revokerRole(ctx: ApiContext, userID: string, msg: { sessionType: number; sendID: string; groupID: string }): number {
  const { state } = ctx;
  if (state.auth.isAdmin(ctx.opUserID)) return 0;
  if (msg.sessionType === SessionType.single) {
    requireSelfOrAdmin(ctx, msg.sendID);
    return state.users.get(userID)?.appMangerLevel ?? 0;
  }
  if (msg.sessionType !== SessionType.group) throw new ImError('ServerInternalError', `msg sessionType ${msg.sessionType} not supported`);
  const role = state.groups.member(msg.groupID, userID)?.roleLevel;
  if (userID !== msg.sendID) {
    const senderRole = state.groups.member(msg.groupID, msg.sendID)?.roleLevel;
    const allowed = role === GroupRole.owner || (role === GroupRole.admin && (senderRole === undefined || senderRole === GroupRole.member));
    if (!allowed) throw new ImError('NoPermissionError', 'no permission');
  }
  return role ?? 0;
}

function revokeMsg(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const userID = body.string('userID');
  const conversationID = body.string('conversationID');
  const seq = body.int('seq');
  if (userID === '') throw new ImError('ArgsError', 'user_id is empty');
  if (conversationID === '') throw new ImError('ArgsError', 'conversation_id is empty');
  if (seq < 0) throw new ImError('ArgsError', 'seq is invalid');
  requireSelfOrAdmin(ctx, userID);
  const user = state.users.get(userID);
  if (user === undefined) throw new ImError('RecordNotFoundError', `user ${userID} not found`);
  const msg = messageFor(state, userID, conversationID, seq);
  if (msg === undefined || seq < state.messages.minSeqFor(userID, conversationID)) throw new ImError('RecordNotFoundError', 'msg not found');
  if (msg.contentType === ContentType.msgRevokeNotification) throw new ImError('MsgAlreadyRevoke', 'msg already revoke');
  const role = revokerRole(ctx, userID, msg);
  const now = state.now();
  state.messages.revoke(conversationID, seq, { userID, role, nickname: user.nickname, time: now });
  const tips = {
    revokerUserID: ctx.opUserID,
    clientMsgID: msg.clientMsgID,
    revokeTime: now,
    sesstionType: msg.sessionType,
    seq,
    conversationID,
    isAdminRevoke: state.auth.isAdmin(ctx.opUserID),
  };
  const recvID = msg.sessionType === SessionType.group ? msg.groupID : msg.recvID;
  const pushes = notify(ctx, { contentType: ContentType.msgRevokeNotification, sendID: userID, recvID, tips, sessionType: msg.sessionType });
  pushAfterReply(ctx, pushes);
  return undefined;
}

/** Without a sync option (the core sends none) the messages go for the caller only, silently. */
function deleteMsgs(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const userID = body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  const conversationID = body.string('conversationID');
  const seqs = body.ints('seqs');
  state.messages.deleteFor(userID, conversationID, seqs);
  const opt = body.object('deleteSyncOpt');
  if (opt?.bool('IsSyncSelf') === true || opt?.bool('IsSyncOther') === true) {
    const tips = { userID, conversationID, seqs };
    const pushes = notify(ctx, { contentType: ContentType.deleteMsgsNotification, sendID: userID, recvID: userID, tips });
    pushAfterReply(ctx, pushes);
  }
  return undefined;
}

/** The caller sees the conversations from after their newest message on, and has read them all. */
function clearConversations(ctx: ApiContext, userID: string, conversationIDs: readonly string[]): void {
  const { state } = ctx;
  const existing = conversationIDs.filter((id) => state.conversations.get(userID, id) !== undefined);
  for (const id of existing) {
    const maxSeq = state.messages.maxSeq(id);
    state.messages.setMinSeqFor(userID, id, maxSeq + 1);
    state.messages.setHasReadSeq(userID, id, maxSeq);
    state.conversations.update(userID, id, { minSeq: maxSeq + 1 });
  }
  const opt = ctx.body.object('deleteSyncOpt');
  if (opt?.bool('IsSyncSelf') === true && existing.length > 0) {
    const tips = { userID, conversationIDs: existing };
    const pushes = notify(ctx, { contentType: ContentType.clearConversationNotification, sendID: userID, recvID: userID, tips });
    pushAfterReply(ctx, pushes);
  }
}

/** Conversations one clear may name: every conversation a user has, at most, is what user_clear_all_msg covers. */
const MAX_CLEARED_AT_ONCE = 10_000;

function clearConversationMsg(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  const ids = [...new Set(ctx.body.strings('conversationIDs'))];
  if (ids.length > MAX_CLEARED_AT_ONCE) throw new ImError('ArgsError', `at most ${MAX_CLEARED_AT_ONCE} conversationIDs at once`);
  clearConversations(ctx, userID, ids);
  return undefined;
}

function userClearAllMsg(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  clearConversations(ctx, userID, ctx.state.conversations.ids(userID));
  return undefined;
}

/** An app admin's custom notice to one user: the core hands it to OnRecvCustomBusinessMessage. */
function sendBusinessNotification(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const sendUserID = body.string('sendUserID');
  const recvUserID = body.string('recvUserID');
  if (sendUserID === '' || recvUserID === '') throw new ImError('ArgsError', 'sendUserID and recvUserID are required');
  requireAdmin(ctx);
  if (!state.users.has(recvUserID)) throw new ImError('RecordNotFoundError', `user ${recvUserID} not found`);
  const now = state.now();
  const detail = JSON.stringify({ key: body.string('key'), data: body.string('data') });
  const msg = {
    sendID: sendUserID,
    recvID: recvUserID,
    groupID: '',
    clientMsgID: newMsgID(ctx.opUserID, now),
    serverMsgID: newMsgID(sendUserID, now),
    senderPlatformID: 0,
    senderNickname: '',
    senderFaceURL: '',
    sessionType: SessionType.single,
    msgFrom: MsgFrom.system,
    contentType: ContentType.businessNotification,
    content: new TextEncoder().encode(JSON.stringify({ detail })),
    seq: 0,
    sendTime: now,
    createTime: now,
    status: 0,
    isRead: false,
    options: { ...notificationOptions({ isSendMsg: false, offlinePush: { enable: false } }), [MsgOption.isSendMsg]: false },
    offlinePushInfo: null,
    atUserIDList: [],
    attachedInfo: '',
    ex: '',
  };
  const pushes = deliver(state, msg, ctx.operationID);
  pushAfterReply(ctx, pushes);
  return { serverMsgID: msg.serverMsgID, clientMsgID: msg.clientMsgID, sendTime: now };
}

/** What WS 1006 answers, over HTTP (for the caller, whatever userID the body names). */
function getConversationsHasReadAndMaxSeq(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  return hasReadAndMaxSeqs(ctx.state, { userID, conversationIDs: ctx.body.strings('conversationIDs'), returnPinned: ctx.body.bool('returnPinned') });
}

export const MSG_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/msg/get_conversations_has_read_and_max_seq': getConversationsHasReadAndMaxSeq,
  '/msg/revoke_msg': revokeMsg,
  '/msg/delete_msgs': deleteMsgs,
  '/msg/clear_conversation_msg': clearConversationMsg,
  '/msg/user_clear_all_msg': userClearAllMsg,
  '/msg/send_business_notification': sendBusinessNotification,
  '/msg/get_server_time': (ctx) => ({ serverTime: ctx.state.now() }),
  '/msg/set_conversation_has_read_seq': setConversationHasReadSeq,
  '/msg/mark_msgs_as_read': markMsgsAsRead,
  '/msg/mark_conversation_as_read': markConversationAsRead,
};
