/**
 * What happens to an accepted message after the send reply (the real server's message
 * transfer, docs/im-server.md#send): a seq and storage when `history` is on, the sender's has-read
 * seq, conversation records for everyone in it, and the list of users whose every
 * connection gets the push. A notification flagged `isSendMsg` also leaves a stored copy
 * in the chat conversation (docs/im-server.md#seqs), which is pushed too.
 */
import { MsgOption, SessionType, optionOn } from '../protocol/constants.ts';
import { conversationIDOf, isNotificationMsg } from '../protocol/conversation-id.ts';
import type { MsgData } from '../protocol/proto-schema.ts';
import type { DevState } from '../store/state.ts';

export interface Push {
  /** Every connection of every one of these users gets the message. */
  readonly userIDs: readonly string[];
  readonly conversationID: string;
  readonly msg: MsgData;
  readonly operationID: string;
}

function recipients(state: DevState, msg: MsgData): string[] {
  const users = new Set<string>();
  if (msg.sessionType === SessionType.group) {
    for (const userID of state.groups.memberIDs(msg.groupID)) users.add(userID);
  } else {
    users.add(msg.recvID);
  }
  if (optionOn(msg.options, MsgOption.senderSync)) users.add(msg.sendID);
  else users.delete(msg.sendID);
  return [...users];
}

function ensureConversations(state: DevState, msg: MsgData, conversationID: string): void {
  if (msg.sessionType === SessionType.group) {
    for (const userID of state.groups.memberIDs(msg.groupID)) {
      state.conversations.ensure(userID, conversationID, { conversationType: SessionType.group, groupID: msg.groupID });
    }
    return;
  }
  state.conversations.ensure(msg.sendID, conversationID, { conversationType: msg.sessionType, userID: msg.recvID });
  state.conversations.ensure(msg.recvID, conversationID, { conversationType: msg.sessionType, userID: msg.sendID });
}

function deliverOne(state: DevState, msg: MsgData, operationID: string): Push {
  const conversationID = conversationIDOf(msg);
  let pushed = msg;
  if (optionOn(msg.options, MsgOption.history)) {
    const seq = state.messages.append(conversationID, msg);
    pushed = { ...msg, seq };
    if (!isNotificationMsg(msg)) {
      state.messages.setHasReadSeq(msg.sendID, conversationID, seq);
      ensureConversations(state, msg, conversationID);
    }
  }
  return { userIDs: recipients(state, pushed), conversationID, msg: pushed, operationID };
}

export function deliver(state: DevState, msg: MsgData, operationID: string): Push[] {
  if (!isNotificationMsg(msg) || !optionOn(msg.options, MsgOption.isSendMsg)) return [deliverOne(state, msg, operationID)];
  const chatCopy: MsgData = {
    ...msg,
    options: {
      [MsgOption.offlinePush]: optionOn(msg.options, MsgOption.offlinePush),
      [MsgOption.unreadCount]: optionOn(msg.options, MsgOption.unreadCount),
    },
  };
  const notification: MsgData = {
    ...msg,
    options: { ...msg.options, [MsgOption.offlinePush]: false, [MsgOption.unreadCount]: false },
  };
  return [deliverOne(state, notification, operationID), deliverOne(state, chatCopy, operationID)];
}
