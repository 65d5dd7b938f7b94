/**
 * Listener events: from the JSON text the core hands to `commonEventFunc` to the envelopes
 * clients get (spec §7).
 */
import type { ClientEnvelope } from './envelope.ts';

/** How a core `OnRecvNewMessage` reaches clients (§7.3). */
export type NewMessageMode = 'batch' | 'single' | 'both';

export const NEW_MESSAGE_MODES: readonly NewMessageMode[] = ['batch', 'single', 'both'];

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
 * Events after which the core has already logged itself out (§5.1): the session manager
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
 * The only event whose errCode/errMsg mean something. On every other event they are
 * leftovers of an earlier OnConnectFailed (the core reuses one record per listener).
 */
const EVENTS_WITH_ERROR: ReadonlySet<string> = new Set(['OnConnectFailed']);

/** A core event after normalization (§7.1 recommendation). */
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

/**
 * The envelopes to send to clients for one core event; [] when the JSON is malformed
 * (see parseCoreEvent). Listener events carry operationID "" so they can never settle a
 * pending request.
 */
export function translateCoreEvent(json: string, mode: NewMessageMode): ClientEnvelope[] {
  const parsed = parseCoreEvent(json);
  if ('malformed' in parsed) return [];
  const event = RENAMED_EVENTS[parsed.event] ?? parsed.event;
  const envelope: ClientEnvelope = { ...parsed, event, operationID: '' };
  if (event !== 'OnRecvNewMessage' || mode === 'single') return [envelope];
  const batch: ClientEnvelope = { ...envelope, event: 'OnRecvNewMessages', data: oneMessageBatch(envelope.data) };
  return mode === 'batch' ? [batch] : [envelope, batch];
}

/** `[message]` as JSON text, reusing the core's text so nothing (e.g. large seq numbers) is re-encoded. */
function oneMessageBatch(message: string): string {
  if (message === '') return '[]';
  try {
    JSON.parse(message);
  } catch {
    return JSON.stringify([message]);
  }
  return `[${message}]`;
}
