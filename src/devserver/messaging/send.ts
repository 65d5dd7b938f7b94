/**
 * SendMsg (WS 1003) as the real message service does it (docs/im-server.md#send): stamp the message,
 * run the sender checks of its session type, then hand it to delivery. Errors are the
 * real codes: unknown session type 1001, unknown receiver 1004, unknown group 1004,
 * blocked by the receiver 1302, dismissed group 1204, not a member 1203, muted 1402/1403.
 *
 * One deliberate difference: the message's sendID must be the connection's user (or
 * an admin). The real service does not check, which lets one user file messages under
 * another's name; nothing legitimate relies on that.
 */
import { ContentType, GroupRole, GroupStatus, MsgOption, RecvMsgOpt, SessionType, type MsgOptionKey } from '../protocol/constants.ts';
import { conversationIDOf, isNotificationMsg } from '../protocol/conversation-id.ts';
import { ImError } from '../protocol/im-error-codes.ts';
import type { MsgData } from '../protocol/proto-schema.ts';
import type { DevState } from '../store/state.ts';
import { deliver, type Push } from './deliver.ts';
import { newMsgID } from './ids.ts';

export interface SendContext {
  readonly state: DevState;
  /** The connection's (or token's) user. */
  readonly opUserID: string;
  readonly operationID: string;
}

export interface SendOutcome {
  /** undefined: accepted but dropped by the receiver's settings (the real reply then has no data). */
  readonly resp: { serverMsgID: string; clientMsgID: string; sendTime: number } | undefined;
  readonly pushes: readonly Push[];
}

const OPTIONS_OFF_BY_CONTENT: Readonly<Record<number, readonly MsgOptionKey[]>> = {
  [ContentType.revoke]: [MsgOption.unreadCount, MsgOption.offlinePush],
  [ContentType.hasReadReceipt]: [MsgOption.conversationUpdate, MsgOption.senderConversationUpdate, MsgOption.unreadCount, MsgOption.offlinePush],
  [ContentType.typing]: [
    MsgOption.history,
    MsgOption.persistent,
    MsgOption.senderSync,
    MsgOption.conversationUpdate,
    MsgOption.senderConversationUpdate,
    MsgOption.unreadCount,
    MsgOption.offlinePush,
  ],
};

function stamp(msg: MsgData, now: number): MsgData {
  const stamped: MsgData = { ...msg, options: { ...msg.options }, serverMsgID: newMsgID(msg.sendID, now) };
  if (stamped.sendTime === 0) stamped.sendTime = now;
  // The real server writes these into the message's options map only when it already has
  // entries (a Go nil map swallows the writes), so an option-less typing message keeps
  // its defaults there; so here.
  const off = OPTIONS_OFF_BY_CONTENT[stamped.contentType];
  if (off !== undefined && Object.keys(msg.options).length > 0) for (const key of off) stamped.options[key] = false;
  return stamped;
}

function isNotificationContent(contentType: number): boolean {
  return contentType >= ContentType.notificationBegin && contentType <= ContentType.notificationEnd;
}

/** The receiver's message settings: false means drop silently; may turn offline push off. */
function receiverAccepts(state: DevState, msg: MsgData): boolean {
  const receiver = state.users.get(msg.recvID);
  if (receiver === undefined) throw new ImError('RecordNotFoundError', 'userID not found');
  if (receiver.globalRecvMsgOpt === RecvMsgOpt.notReceive) return false;
  if (receiver.globalRecvMsgOpt === RecvMsgOpt.receiveNotNotify) {
    msg.options[MsgOption.offlinePush] = false;
    return true;
  }
  const conversation = state.conversations.get(msg.recvID, conversationIDOf(msg));
  if (conversation?.recvMsgOpt === RecvMsgOpt.notReceive) return msg.contentType === ContentType.hasReadReceipt;
  if (conversation?.recvMsgOpt === RecvMsgOpt.receiveNotNotify) msg.options[MsgOption.offlinePush] = false;
  return true;
}

function checkGroupSender(state: DevState, msg: MsgData): void {
  const group = state.groups.get(msg.groupID);
  if (group === undefined) throw new ImError('RecordNotFoundError', `group ${msg.groupID} not found`);
  if (group.status === GroupStatus.dismissed && msg.contentType !== ContentType.groupDismissedNotification) {
    throw new ImError('DismissedAlreadyError');
  }
  if (state.auth.isAdmin(msg.sendID) || isNotificationContent(msg.contentType)) return;
  const member = state.groups.member(msg.groupID, msg.sendID);
  if (member === undefined) throw new ImError('NotInGroupYetError');
  if (member.roleLevel === GroupRole.owner) return;
  if (member.muteEndTime >= state.now()) throw new ImError('MutedInGroup');
  if (group.status === GroupStatus.muted && member.roleLevel !== GroupRole.admin) throw new ImError('MutedGroup');
}

export function sendMessage(ctx: SendContext, input: MsgData): SendOutcome {
  const { state } = ctx;
  if (input.sendID !== ctx.opUserID && !state.auth.isAdmin(ctx.opUserID)) {
    throw new ImError('NoPermissionError', `sendID ${input.sendID} is not the connection's user ${ctx.opUserID}`);
  }
  const msg = stamp(input, state.now());
  switch (msg.sessionType) {
    case SessionType.single:
      // Friend verification is off by default in the real server, and so here.
      if (!isNotificationContent(msg.contentType) && !state.auth.isAdmin(msg.sendID) && state.friends.isBlack(msg.recvID, msg.sendID)) {
        throw new ImError('BlockedByPeer');
      }
      if (!isNotificationMsg(msg) && !receiverAccepts(state, msg)) return { resp: undefined, pushes: [] };
      break;
    case SessionType.notification:
      break;
    case SessionType.group:
      checkGroupSender(state, msg);
      break;
    default:
      throw new ImError('ArgsError', 'unknown sessionType');
  }
  return {
    resp: { serverMsgID: msg.serverMsgID, clientMsgID: msg.clientMsgID, sendTime: msg.sendTime },
    pushes: deliver(state, msg, ctx.operationID),
  };
}
