/**
 * Server notifications (contentType 1000–5000, msgFrom 200) as the real notification
 * sender builds them from a `notification.yml` entry: the options come from the entry
 * (every default entry is reliabilityLevel 1, i.e. pushed with seq 0 and not stored), the
 * content is `{"detail": JSON(tips)}`, and delivery is the ordinary message path, which
 * also stores a chat copy when the entry says `isSendMsg`.
 */
import { MsgFrom, MsgOption, SessionType } from '../protocol/constants.ts';
import type { MsgData } from '../protocol/proto-schema.ts';
import type { DevState } from '../store/state.ts';
import { newMsgID } from './ids.ts';

/** One `notification.yml` entry (reliabilityLevel is 1 for all the defaults, so it is not a field). */
export interface NotificationConfig {
  readonly isSendMsg: boolean;
  readonly offlinePush: { readonly enable: boolean; readonly title: string; readonly desc: string; readonly ex: string };
}

/** Options of a notification per its config: the real defaults, then unreadCount/offlinePush/isSendMsg. */
export function notificationOptions(config: Pick<NotificationConfig, 'isSendMsg'> & { offlinePush: { enable: boolean } }): Record<string, boolean> {
  return {
    [MsgOption.isNotNotification]: false,
    [MsgOption.isSendMsg]: config.isSendMsg,
    [MsgOption.history]: false,
    [MsgOption.persistent]: false,
    [MsgOption.offlinePush]: config.offlinePush.enable,
    [MsgOption.unreadCount]: config.isSendMsg,
    [MsgOption.conversationUpdate]: false,
    [MsgOption.senderSync]: true,
    [MsgOption.notPrivate]: false,
    [MsgOption.senderConversationUpdate]: false,
    [MsgOption.reactionFromCache]: false,
  };
}

export interface NotificationInput {
  readonly sendID: string;
  /** A userID, or the groupID for group notifications. */
  readonly recvID: string;
  readonly sessionType: number;
  readonly contentType: number;
  /** The *Tips message, in the API's JSON shape. */
  readonly tips: unknown;
  readonly config: NotificationConfig;
  /** Only some senders look the operator's name up (group notifications do, friend ones do not). */
  readonly sender?: { readonly nickname: string; readonly faceURL: string };
}

/** The stamped MsgData (serverMsgID and sendTime set, as the message service would). */
export function notificationMsg(state: DevState, input: NotificationInput): MsgData {
  const now = state.now();
  const { config } = input;
  return {
    sendID: input.sendID,
    recvID: input.recvID,
    groupID: input.sessionType === SessionType.group ? input.recvID : '',
    clientMsgID: newMsgID(input.sendID, now),
    serverMsgID: newMsgID(input.sendID, now),
    senderPlatformID: 0,
    senderNickname: input.sender?.nickname ?? '',
    senderFaceURL: input.sender?.faceURL ?? '',
    sessionType: input.sessionType,
    msgFrom: MsgFrom.system,
    contentType: input.contentType,
    content: new TextEncoder().encode(JSON.stringify({ detail: JSON.stringify(input.tips) })),
    seq: 0,
    sendTime: now,
    createTime: now,
    status: 0,
    isRead: false,
    options: notificationOptions(config),
    offlinePushInfo: {
      title: config.offlinePush.title,
      desc: config.offlinePush.desc,
      ex: config.offlinePush.ex,
      iOSPushSound: '',
      iOSBadgeCount: false,
      signalInfo: '',
    },
    atUserIDList: [],
    attachedInfo: '',
    ex: '',
  };
}
