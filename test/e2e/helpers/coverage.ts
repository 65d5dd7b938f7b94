/**
 * The client coverage run's bookkeeping: which methods client 3.5.2 has, which listener
 * events the bundled core can emit (and which it never does), what each call answered and
 * on which tabs each event was seen, and the `docs/client-coverage.md` table made from that.
 */
import { writeFileSync } from 'node:fs';
import { CbEvents, OpenIMSDK, type WsResponse } from 'open-im-sdk';

/** Functions on a client instance that are its plumbing, not its API. */
const CLIENT_INTERNALS: ReadonlySet<string> = new Set([
  'sendRequest',
  'defaultDataFormatter',
  'createRequestFunction',
  'createRequestFunctionWithoutParams',
  'handleMessage',
  'handleReconnectSuccess',
  'internalUploadFile',
]);

/** Every public method of client 3.5.2, read off an instance (so a client upgrade shows up here). */
export function clientMethods(): string[] {
  const sdk = new OpenIMSDK() as unknown as Record<string, unknown>;
  return Object.keys(sdk).filter((k) => typeof sdk[k] === 'function' && !CLIENT_INTERNALS.has(k));
}

/** Methods that do their work over HTTP themselves (the upload path) rather than over the socket. */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  'uploadFile',
  'createImageMessageByFile',
  'createSoundMessageByFile',
  'createVideoMessageByFile',
  'createFileMessageByFile',
]);

/** Client events the bundled core (official 3.8.5) can make happen, under their 3.5.2 names. */
export const CORE_EVENTS: readonly CbEvents[] = [
  CbEvents.OnConnecting,
  CbEvents.OnConnectSuccess,
  CbEvents.OnConnectFailed,
  CbEvents.OnKickedOffline,
  CbEvents.OnUserTokenExpired,
  CbEvents.OnSyncServerStart,
  CbEvents.OnSyncServerFinish,
  CbEvents.OnSyncServerFailed,
  CbEvents.OnNewConversation,
  CbEvents.OnConversationChanged,
  CbEvents.OnTotalUnreadMessageCountChanged,
  CbEvents.OnRecvNewMessage,
  CbEvents.OnRecvNewMessages,
  CbEvents.OnRecvC2CReadReceipt,
  CbEvents.OnNewRecvMessageRevoked,
  CbEvents.OnFriendApplicationAdded,
  CbEvents.OnFriendApplicationAccepted,
  CbEvents.OnFriendApplicationRejected,
  CbEvents.OnFriendAdded,
  CbEvents.OnFriendDeleted,
  CbEvents.OnFriendInfoChanged,
  CbEvents.OnBlackAdded,
  CbEvents.OnBlackDeleted,
  CbEvents.OnJoinedGroupAdded,
  CbEvents.OnJoinedGroupDeleted,
  CbEvents.OnGroupMemberAdded,
  CbEvents.OnGroupMemberDeleted,
  CbEvents.OnGroupApplicationAdded,
  CbEvents.OnGroupInfoChanged,
  CbEvents.OnGroupMemberInfoChanged,
  CbEvents.OnGroupApplicationAccepted,
  CbEvents.OnGroupApplicationRejected,
  CbEvents.OnGroupDismissed,
  CbEvents.OnSelfInfoUpdated,
  CbEvents.OnUserStatusChanged,
  CbEvents.OnRecvCustomBusinessMessage,
];

/** Client events no server can make the bundled core emit, and why. */
export const NEVER_EMITTED: Readonly<Partial<Record<CbEvents, string>>> = {
  [CbEvents.OnProgress]: 'upload progress of the core sending local files; clients upload themselves and send …ByURL messages',
  [CbEvents.UploadComplete]: "the core's own uploadFile, which clients do not reach (they upload over HTTP)",
  [CbEvents.OnRecvMessageRevoked]: 'the 3.8 core reports revocations only as OnNewRecvMessageRevoked',
  [CbEvents.OnRecvGroupReadReceipt]: 'the 3.8 core has no group read receipts',
  [CbEvents.OnFriendApplicationDeleted]: 'the 3.8 core never deletes friend applications',
  [CbEvents.OnGroupApplicationDeleted]: 'the 3.8 core never deletes group applications',
  [CbEvents.OnReceiveNewInvitation]: 'RTC signalling: not in the open-source core',
  [CbEvents.OnInviteeAccepted]: 'RTC signalling: not in the open-source core',
  [CbEvents.OnInviteeRejected]: 'RTC signalling: not in the open-source core',
  [CbEvents.OnInvitationCancelled]: 'RTC signalling: not in the open-source core',
  [CbEvents.OnHangUp]: 'RTC signalling: not in the open-source core',
  [CbEvents.OnInvitationTimeout]: 'RTC signalling: not in the open-source core',
  [CbEvents.OnInviteeAcceptedByOtherDevice]: 'RTC signalling: not in the open-source core',
  [CbEvents.OnInviteeRejectedByOtherDevice]: 'RTC signalling: not in the open-source core',
  [CbEvents.OnStreamChange]: 'meetings: not in the open-source core',
  [CbEvents.OnRoomParticipantConnected]: 'meetings: not in the open-source core',
  [CbEvents.OnRoomParticipantDisconnected]: 'meetings: not in the open-source core',
  [CbEvents.OnReceiveCustomSignal]: 'meetings: not in the open-source core',
};

export interface MethodOutcome {
  /** "ok", or "errCode <n>" for a documented refusal. */
  readonly result: string;
  /** The tab that called it. */
  readonly by: string;
  readonly note: string;
}

export interface EventSighting {
  /** What made it happen. */
  readonly cause: string;
  /** The tabs that saw it. */
  readonly seenBy: readonly string[];
}

export class CoverageLog {
  readonly methods = new Map<string, MethodOutcome>();
  readonly events = new Map<string, EventSighting>();

  method(name: string, outcome: MethodOutcome): void {
    // The first outcome of a method is the one that shows its meaning; later ones add nothing.
    if (!this.methods.has(name)) this.methods.set(name, outcome);
  }

  event(name: string, sighting: EventSighting): void {
    if (!this.events.has(name)) this.events.set(name, sighting);
  }

  /** The coverage document, generated from what this run saw. */
  markdown(methods: readonly string[]): string {
    const lines = [
      '# Client coverage',
      '',
      'Generated by `test/e2e/client-coverage.e2e.test.ts` (do not edit): the real `open-im-sdk` 3.5.2 client,',
      'through the gateway (official core: openIM.wasm of @openim/wasm-client-sdk 3.8.5), against the embedded dev server.',
      '',
      `## Methods (${methods.length}: ${methods.filter((m) => !HTTP_METHODS.has(m)).length} over the socket, ${HTTP_METHODS.size} uploading over HTTP)`,
      '',
      '| method | result | called by | what it did |',
      '|---|---|---|---|',
      ...methods.map((m) => {
        const o = this.methods.get(m);
        const name = HTTP_METHODS.has(m) ? `${m} (HTTP upload)` : m;
        return o === undefined ? `| ${name} | NOT CALLED | | |` : `| ${name} | ${o.result} | ${o.by} | ${escape(o.note)} |`;
      }),
      '',
      `## Events the core can emit (${CORE_EVENTS.length})`,
      '',
      'Each is made to happen and must reach both tabs of the user it concerns.',
      '',
      '| event | made to happen by | seen by |',
      '|---|---|---|',
      ...CORE_EVENTS.map((e) => {
        const s = this.events.get(e);
        return s === undefined ? `| ${e} | NOT SEEN | |` : `| ${e} | ${escape(s.cause)} | ${s.seenBy.join(', ')} |`;
      }),
      '',
      `## Events the core never emits (${Object.keys(NEVER_EMITTED).length})`,
      '',
      '| event | why |',
      '|---|---|',
      ...Object.entries(NEVER_EMITTED).map(([e, why]) => `| ${e} | ${escape(why ?? '')} |`),
      '',
    ];
    return lines.join('\n');
  }

  write(path: URL, methods: readonly string[]): void {
    writeFileSync(path, this.markdown(methods));
  }
}

function escape(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** A client rejection (the response with errCode ≠ 0), for errors a method is documented to give. */
export function isResponse(value: unknown): value is WsResponse {
  return typeof value === 'object' && value !== null && 'errCode' in value && 'event' in value;
}
