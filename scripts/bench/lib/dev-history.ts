/**
 * Chat history in the dev server for a bench user, so a first login has something to
 * sync (conversations, message seqs, the messages themselves) and a returning login,
 * finding it all in its local database, visibly has less to do.
 *
 * The messages go through the dev server's own send path, as if the peers had sent them
 * while the user was offline; nobody is connected, so the pushes it returns are dropped.
 */
import { randomUUID } from 'node:crypto';
import type { DevServer } from '../../../src/devserver/dev-server.ts';
import { sendMessage } from '../../../src/devserver/messaging/send.ts';
import { ContentType, MsgFrom, PlatformID, SessionType } from '../../../src/devserver/protocol/constants.ts';
import type { MsgData } from '../../../src/devserver/protocol/proto-schema.ts';

export interface HistoryShape {
  /** Peers who each wrote to the user: one single-chat conversation per peer. */
  peers: number;
  /** Text messages per conversation. */
  messagesPerPeer: number;
}

function textMessage(sendID: string, recvID: string, text: string, now: number): MsgData {
  return {
    sendID,
    recvID,
    groupID: '',
    clientMsgID: randomUUID().replaceAll('-', ''),
    serverMsgID: '',
    senderPlatformID: PlatformID.web,
    senderNickname: sendID,
    senderFaceURL: '',
    sessionType: SessionType.single,
    msgFrom: MsgFrom.user,
    contentType: ContentType.text,
    content: new TextEncoder().encode(JSON.stringify({ content: text })),
    seq: 0,
    sendTime: now,
    createTime: now,
    status: 1,
    isRead: false,
    // Every option left at its default (on): stored, counted unread, conversation updated.
    options: {},
    offlinePushInfo: null,
    atUserIDList: [],
    attachedInfo: '',
    ex: '',
  };
}

/** Registers `userID` and its peers (`<userID>-p<i>`) and files their messages to the user. */
export async function seedHistory(dev: DevServer, userID: string, shape: HistoryShape): Promise<void> {
  await dev.userToken(userID); // registers the user: messages to an unknown user are refused
  for (let p = 0; p < shape.peers; p++) {
    const peer = `${userID}-p${p}`;
    await dev.userToken(peer); // registers the peer; the token itself is not needed
    for (let m = 0; m < shape.messagesPerPeer; m++) {
      const msg = textMessage(peer, userID, `message ${m} from ${peer}: a line of ordinary chat text`, dev.state.now());
      sendMessage({ state: dev.state, opUserID: peer, operationID: `seed-${randomUUID()}` }, msg);
    }
  }
}
