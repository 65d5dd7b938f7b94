/**
 * Listener events: from the JSON text the core hands to `commonEventFunc` to the envelopes
 * clients get (docs/client-protocol.md#listener-events).
 */
import type { ClientEnvelope } from './envelope.ts';
import { kindOfConversationID } from '../shared/conversation-id.ts';

/** How a core `OnRecvNewMessage` reaches clients (docs/client-protocol.md#new-message-events; `--new-message-events`). */
export const NEW_MESSAGE_MODES = ['batch', 'single', 'both'] as const;
export type NewMessageMode = (typeof NEW_MESSAGE_MODES)[number];

/** Client 3.5.2 `CbEvents`: names the client emits to listeners instead of settling a request. */
export const CLIENT_EVENTS: ReadonlySet<string> = new Set([
  'OnConnectFailed',
  'OnConnectSuccess',
  'OnConnecting',
  'OnKickedOffline',
  'OnSelfInfoUpdated',
  'OnUserTokenExpired',
  'OnProgress',
  'OnRecvNewMessage',
  'OnRecvNewMessages',
  'OnRecvMessageRevoked',
  'OnNewRecvMessageRevoked',
  'OnRecvC2CReadReceipt',
  'OnRecvGroupReadReceipt',
  'OnConversationChanged',
  'OnNewConversation',
  'OnSyncServerFailed',
  'OnSyncServerFinish',
  'OnSyncServerStart',
  'OnTotalUnreadMessageCountChanged',
  'OnBlackAdded',
  'OnBlackDeleted',
  'OnFriendApplicationAccepted',
  'OnFriendApplicationAdded',
  'OnFriendApplicationDeleted',
  'OnFriendApplicationRejected',
  'OnFriendInfoChanged',
  'OnFriendAdded',
  'OnFriendDeleted',
  'OnJoinedGroupAdded',
  'OnJoinedGroupDeleted',
  'OnGroupDismissed',
  'OnGroupMemberAdded',
  'OnGroupMemberDeleted',
  'OnGroupApplicationAdded',
  'OnGroupApplicationDeleted',
  'OnGroupInfoChanged',
  'OnGroupMemberInfoChanged',
  'OnGroupApplicationAccepted',
  'OnGroupApplicationRejected',
  'UploadComplete',
  'OnRecvCustomBusinessMessage',
  'OnUserStatusChanged',
  'OnReceiveNewInvitation',
  'OnInviteeAccepted',
  'OnInviteeRejected',
  'OnInvitationCancelled',
  'OnHangUp',
  'OnInvitationTimeout',
  'OnInviteeAcceptedByOtherDevice',
  'OnInviteeRejectedByOtherDevice',
  'OnStreamChange',
  'OnRoomParticipantConnected',
  'OnRoomParticipantDisconnected',
  'OnReceiveCustomSignal',
]);

export type ForceCloseReason = 'kicked' | 'token-expired' | 'token-invalid';

/**
 * Events after which the core has already logged itself out (docs/client-protocol.md#sessions): the session manager
 * forwards them, then closes the core's sockets and frees the core. Keyed by both the core's
 * and the client's name, since OnUserTokenInvalid reaches clients as OnUserTokenExpired.
 */
export type ForceCloseEvent = 'OnKickedOffline' | 'OnUserTokenExpired' | 'OnUserTokenInvalid';

export const FORCE_CLOSE_EVENTS: Readonly<Record<ForceCloseEvent, ForceCloseReason>> = {
  OnKickedOffline: 'kicked',
  OnUserTokenExpired: 'token-expired',
  OnUserTokenInvalid: 'token-invalid',
};

/** Why an event (core or client name) ends the session, or undefined if it does not. */
export function forceCloseReason(event: string): ForceCloseReason | undefined {
  return Object.hasOwn(FORCE_CLOSE_EVENTS, event) ? FORCE_CLOSE_EVENTS[event as ForceCloseEvent] : undefined;
}

/** Core events clients know under another name. */
const RENAMED_EVENTS: Readonly<Record<string, string>> = {
  // Client 3.5.2 has no OnUserTokenInvalid and would keep a dead session; v3.5.1 cores
  // reported these token errors as OnUserTokenExpired.
  OnUserTokenInvalid: 'OnUserTokenExpired',
};

/**
 * How many messages a core event carries, for the core events that deliver new messages.
 * Client 3.5.2 knows only OnRecvNewMessage(s): the 3.8 core also reports messages that
 * arrive while it is in background (OnRecvOfflineNewMessage) and messages sent online-only
 * (OnRecvOnlineOnlyMessage), which that client would drop without a word. All of them reach
 * clients as new messages, shaped per `--new-message-events`. Whether the core hands over one
 * message or a list depends on its listeners, not on the name, so both are read.
 */
const NEW_MESSAGE_EVENTS: ReadonlySet<string> = new Set([
  'OnRecvNewMessage',
  'OnRecvNewMessages',
  'OnRecvOfflineNewMessage',
  'OnRecvOfflineNewMessages',
  'OnRecvOnlineOnlyMessage',
  'OnRecvOnlineOnlyMessages',
]);

/**
 * Typing: the 3.8 core keeps content type 113 (typing) messages to itself and reports only
 * who is typing in which conversation (platforms still typing, [] once they stopped). Client
 * 3.5.2 expects the typing message itself, so one is made from the report.
 */
export const INPUT_STATUS_EVENT = 'OnConversationUserInputStatusChanged';

/** Content type of a typing message and the texts the 3.8 core uses for "started" / "stopped". */
export const TYPING = { contentType: 113, started: 'yes', stopped: 'no' } as const;

/**
 * Sent to a session's other sockets when one of them logs out: the gateway closes them right
 * after. Client 3.5.2 closes its socket on this event (as on a kick, without reconnecting)
 * and hands it to the app's OnKickedOffline listener, the one callback it has for "this
 * login has ended"; `data` says why. The `Logout` frame that follows is for raw clients:
 * the 3.5.2 client would close on it too, but tells the app nothing.
 */
export const ENDED_BY_OTHER_TAB_EVENT = 'OnKickedOffline';
export const ENDED_BY_OTHER_TAB_DATA = JSON.stringify({ reason: 'Logout', detail: 'another tab of this user and platform logged out' });

/**
 * The only event whose errCode/errMsg mean something. On every other event they are
 * leftovers of an earlier OnConnectFailed (the core reuses one record per listener).
 */
const EVENTS_WITH_ERROR: ReadonlySet<string> = new Set(['OnConnectFailed']);

/** A core event after normalization (docs/client-protocol.md#event-normalization). */
export interface CoreEvent {
  event: string;
  errCode: number;
  errMsg: string;
  data: string;
}

/**
 * Reads and normalizes the core's event JSON, or says why it cannot. translateCoreEvent
 * returns [] exactly when this fails, so callers use it to log the reason.
 */
export function parseCoreEvent(json: string): CoreEvent | { malformed: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    return { malformed: `core event is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { malformed: 'core event is not a JSON object' };
  }
  const { event, errCode, errMsg, data } = parsed as Record<string, unknown>;
  if (typeof event !== 'string' || event === '') {
    return { malformed: 'core event has no event name' };
  }
  const keepError = EVENTS_WITH_ERROR.has(event);
  return {
    event,
    errCode: keepError && typeof errCode === 'number' && Number.isFinite(errCode) ? errCode : 0,
    errMsg: keepError && typeof errMsg === 'string' ? errMsg : '',
    data: eventData(data),
  };
}

/** Clients always get a string: `""` when the core set none, numbers/booleans as JSON text. */
function eventData(data: unknown): string {
  if (data === undefined || data === null) return '';
  if (typeof data === 'string') return data;
  return JSON.stringify(data) ?? '';
}

/** What the translation needs to know about the session the event comes from. */
export interface EventContext {
  /** The session's user: the receiver of a typing message made from an input status report. */
  readonly userID: string;
}

/**
 * The envelopes to send to clients for one core event; [] when the JSON is malformed
 * (see parseCoreEvent). Listener events carry operationID "" so they can never settle a
 * pending request.
 */
export function translateCoreEvent(json: string, mode: NewMessageMode, context?: EventContext): ClientEnvelope[] {
  const parsed = parseCoreEvent(json);
  if ('malformed' in parsed) return [];
  const event = RENAMED_EVENTS[parsed.event] ?? parsed.event;
  const envelope: ClientEnvelope = { ...parsed, event, operationID: '' };
  if (NEW_MESSAGE_EVENTS.has(event)) return newMessageEnvelopes(messageTexts(envelope.data), mode);
  if (event === INPUT_STATUS_EVENT && context !== undefined) {
    const typing = typingMessage(envelope.data, context.userID);
    if (typing !== undefined) return newMessageEnvelopes([typing], mode);
  }
  return [envelope];
}

/** One OnRecvNewMessages with every message, and/or one OnRecvNewMessage per message. */
function newMessageEnvelopes(messages: readonly string[], mode: NewMessageMode): ClientEnvelope[] {
  const base = { errCode: 0, errMsg: '', operationID: '' };
  const singles = messages.map((data): ClientEnvelope => ({ ...base, event: 'OnRecvNewMessage', data }));
  const batch: ClientEnvelope = { ...base, event: 'OnRecvNewMessages', data: `[${messages.join(',')}]` };
  if (mode === 'single') return singles;
  return mode === 'batch' ? [batch] : [...singles, batch];
}

/**
 * The JSON text of each message in a core event's data (one message or a list), reusing
 * the core's text so nothing (e.g. large seq numbers) is re-encoded. Data that is not JSON
 * is passed on as one string.
 */
function messageTexts(data: string): string[] {
  if (data === '') return [];
  const items = splitJsonArray(data);
  if (items !== undefined) return items;
  try {
    JSON.parse(data);
  } catch {
    return [JSON.stringify(data)];
  }
  return [data];
}

/** The element texts of a JSON array, or undefined when the text is not one. */
export function splitJsonArray(text: string): string[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (parsed.length === 0) return [];
  // Valid JSON from here on: cut at the commas that sit at depth 1, outside strings.
  const items: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) start = i + 1;
    } else if (ch === ']' || ch === '}') {
      if (depth === 1) items.push(text.slice(start, i).trim());
      depth--;
    } else if (ch === ',' && depth === 1) {
      items.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return items;
}

/**
 * A typing message (as 3.5 cores delivered them) from the 3.8 core's input status report
 * `{conversationID, userID, platformIDs}`; undefined when the report is unreadable.
 */
function typingMessage(data: string, receiverID: string): string | undefined {
  let report: unknown;
  try {
    report = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof report !== 'object' || report === null) return undefined;
  const { conversationID, userID, platformIDs } = report as Record<string, unknown>;
  if (typeof conversationID !== 'string' || typeof userID !== 'string' || !Array.isArray(platformIDs)) return undefined;
  const kind = kindOfConversationID(conversationID);
  if (kind === undefined) return undefined;
  const { prefix: text, sessionType } = kind;
  const single = kind.ids === 2;
  const now = Date.now();
  const firstPlatform = platformIDs.find((p): p is number => typeof p === 'number') ?? 0;
  const msgTips = platformIDs.length > 0 ? TYPING.started : TYPING.stopped;
  return JSON.stringify({
    clientMsgID: '',
    serverMsgID: '',
    createTime: now,
    sendTime: now,
    sessionType,
    sendID: userID,
    recvID: single ? receiverID : '',
    groupID: single ? '' : conversationID.slice(text.length),
    msgFrom: 100,
    contentType: TYPING.contentType,
    senderPlatformID: firstPlatform,
    senderNickname: '',
    senderFaceUrl: '',
    seq: 0,
    isRead: false,
    status: 2,
    typingElem: { msgTips },
    attachedInfoElem: null,
    ex: '',
    localEx: '',
  });
}
