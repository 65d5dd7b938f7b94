/**
 * Server notifications (contentType 1000–5000, msgFrom 200) as the real notification
 * sender builds them from a `notification.yml` entry (protocol/notification-config.ts):
 * the options come from the entry, the content is `{"detail": JSON(tips)}`, and delivery is
 * the ordinary message path, which also stores a chat copy when the entry says `isSendMsg`.
 */
import { MsgFrom, MsgOption, SessionType } from '../protocol/constants.ts';
import { notificationKind, type NotificationConfig } from '../protocol/notification-config.ts';
import type { MsgData } from '../protocol/proto-schema.ts';
import type { DevState } from '../store/state.ts';
import { deliver, type Push } from './deliver.ts';
import { newMsgID } from './ids.ts';

/** Options of a notification per its config: the real defaults, then unreadCount/offlinePush/history/isSendMsg. */
export function notificationOptions(config: Pick<NotificationConfig, 'isSendMsg' | 'reliable'> & { offlinePush: { enable: boolean } }): Record<string, boolean> {
  const reliable = config.reliable === true;
  return {
    [MsgOption.isNotNotification]: false,
    [MsgOption.isSendMsg]: config.isSendMsg,
    [MsgOption.history]: reliable,
    [MsgOption.persistent]: reliable,
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

export interface NotifyContext {
  readonly state: DevState;
  readonly operationID: string;
}

export interface Notification {
  readonly contentType: number;
  readonly sendID: string;
  /** A userID, or the groupID for group notifications. */
  readonly recvID: string;
  readonly tips: unknown;
  /** When the notification travels as another session type than its entry's (revoke: the message's). */
  readonly sessionType?: number;
  /** A request's `sendMessage`: overrides the entry's isSendMsg when given. */
  readonly sendMessage?: boolean | undefined;
  /** Name the sender in the message (the group senders look it up). */
  readonly withSenderName?: boolean;
  /** Users who get the push although they are no longer in the group (kicked, quit). */
  readonly alsoTo?: readonly string[];
}

/** Builds a notification per its content type's entry and delivers it; returns the pushes. */
export function notify(ctx: NotifyContext, n: Notification): Push[] {
  const kind = notificationKind(n.contentType);
  const config = n.sendMessage === undefined ? kind.config : { ...kind.config, isSendMsg: n.sendMessage };
  const sender = n.withSenderName === true ? ctx.state.users.get(n.sendID) : undefined;
  const msg = notificationMsg(ctx.state, {
    sendID: n.sendID,
    recvID: n.recvID,
    sessionType: n.sessionType ?? kind.sessionType,
    contentType: n.contentType,
    tips: n.tips,
    config,
    ...(sender !== undefined && { sender: { nickname: sender.nickname, faceURL: sender.faceURL } }),
  });
  const pushes = deliver(ctx.state, msg, ctx.operationID);
  const alsoTo = n.alsoTo ?? [];
  if (alsoTo.length === 0) return pushes;
  return pushes.map((p) => ({ ...p, userIDs: [...new Set([...p.userIDs, ...alsoTo])] }));
}
