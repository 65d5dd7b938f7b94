/**
 * Every request client 3.5.2 can send (its `RequestApi`), and what the gateway does with it
 * (docs/client-protocol.md#version-bridging), as one table. `planRequest` turns a request into a plan only after every
 * argument has been checked against the table, because a mistyped argument can kill a
 * sync-style core (docs/client-protocol.md#arguments) and the core's own complaints about async ones are cryptic.
 */
import { Buffer } from 'node:buffer';
import type { CoreValue } from '../../core-wasm/call-result.ts';
import {
  HOST_ONLY_FUNCTIONS,
  SYNC_FUNCTIONS,
  checkSyncArguments,
  type SyncFunctionSpec,
} from '../../core-wasm/core-functions.ts';
import { isProtocolError, protocolError, type ProtocolError } from './error-codes.ts';
import { JsonBudget, parseBoundedJson } from './json-guard.ts';

/** What a client item must be. `json` is a string item holding JSON text. */
export type ParamType = 'string' | 'int' | 'number' | 'bool' | 'json';

/** Values that may reach a core from the table: Go string, int/float and bool params. */
export type CoreArg = string | number | boolean;

export interface ParamSpec {
  /** The client's name for it, for error messages. */
  readonly name: string;
  readonly type: ParamType;
  /**
   * For `json`: what the text must hold. JSON `null` passes for arrays (Go reads it as an
   * empty slice) but not for objects (a nil struct pointer panics inside the core).
   */
  readonly json?: 'array' | 'object';
  readonly nonEmpty?: boolean;
  /** The item may be left off (trailing items only): older clients sent fewer. */
  readonly whenMissing?: CoreArg;
  /** What an item of `null` becomes: the client turns an omitted optional into null. */
  readonly whenNull?: CoreArg;
  /** For `json`: "" passes as is (sync-style cores read it as an empty value). */
  readonly emptyAllowed?: boolean;
  /** For `json`: an object item is stringified instead of rejected. */
  readonly objectStringified?: boolean;
  /** For `json` arrays: a string that is not such JSON is one ID, sent as `[id]`. */
  readonly bareStringAsList?: boolean;
  /** For `int`: the range the core can hold (Go decodes into a fixed-size field). */
  readonly range?: readonly [min: number, max: number];
}

/**
 * A Go int32: a JSON field the core decodes fails on anything wider, and a positional
 * argument is silently wrapped by the core's glue (`int32(arg.Int())`). Either way, refused here.
 */
const INT32: readonly [number, number] = [-(2 ** 31), 2 ** 31 - 1];

export interface Identity {
  /** From the handshake: the only userID the gateway trusts. */
  readonly userID: string;
  readonly platformID: number;
}

/** Core arguments built from the checked items, or what is wrong with them. */
type Built = CoreArg[] | { readonly problem: string };

/** Reshapes of a core result into what client 3.5.2 expects (docs/client-protocol.md#version-bridging). */
export type ResultShape = 'fullUserItems' | 'fullUserItemsWithCache';

/**
 * Another core call whose result a reshape needs (the 3.8 core spreads over several
 * functions what one 3.5 call answered). Made alongside the main call; one that fails
 * leaves its part of the answer empty instead of failing the request.
 */
export interface CompanionCall {
  readonly fn: string;
  readonly args: CoreArg[];
}

interface WithParams {
  /** The client's positional items, in order. */
  readonly params: readonly ParamSpec[];
}

export type RequestRule =
  | (WithParams & {
      /** Handled by the session manager; the table only checks the arguments. */
      readonly kind: 'session';
      readonly fn: SessionFunction;
      readonly check?: (args: readonly CoreArg[], identity: Identity) => string | undefined;
    })
  | (WithParams & {
      /** Answered by the gateway without the core. */
      readonly kind: 'local';
      readonly answer: (args: readonly CoreArg[], identity: Identity) => string;
    })
  | (WithParams & {
      readonly kind: 'core';
      /** The core's JS global. */
      readonly fn: string;
      /** Core arguments (after operationID) when they differ from the checked items. */
      readonly toCore?: (args: readonly CoreArg[]) => Built;
      readonly reshape?: ResultShape;
      /** From the checked items: the companion calls, in the order the reshape reads them. */
      readonly companions?: (args: readonly CoreArg[]) => CompanionCall[];
    })
  | {
      /** Listed by the client but never sent by it: it does these itself. */
      readonly kind: 'client-only';
      readonly reason: string;
    };

export type RequestPlan = SessionPlan | LocalPlan | CorePlan;

/** What the session itself does: its login state, and the background status its sockets share. */
export type SessionFunction = 'login' | 'logout' | 'setAppBackgroundStatus';

export interface SessionPlan {
  readonly kind: 'session';
  readonly reqFuncName: string;
  readonly fn: SessionFunction;
  /** Checked: `[userID, token]` for login (userID equal to the handshake's), `[]` for logout, `[hidden]`. */
  readonly args: CoreArg[];
}

export interface LocalPlan {
  readonly kind: 'local';
  readonly reqFuncName: string;
  /** The response `data`. */
  readonly data: string;
}

export interface CorePlan {
  readonly kind: 'core';
  readonly reqFuncName: string;
  readonly fn: string;
  readonly args: unknown[];
  /** Sync-style globals resolve an array (`[result]`, `[""]` on failure) instead of JSON text. */
  readonly style: 'async' | 'sync';
  readonly reshape?: ResultShape;
  readonly companions?: readonly CompanionCall[];
  /** Not a table row: a function of the loaded core called by its own name. */
  readonly passThrough: boolean;
}

// --- table helpers -------------------------------------------------------------------

type ParamOptions = Omit<ParamSpec, 'name' | 'type' | 'json'>;
const str = (name: string, o?: ParamOptions): ParamSpec => ({ name, type: 'string', ...o });
const int = (name: string, o?: ParamOptions): ParamSpec => ({ name, type: 'int', ...o });
const num = (name: string): ParamSpec => ({ name, type: 'number' });
const bool = (name: string): ParamSpec => ({ name, type: 'bool' });
const jsonArray = (name: string, o?: ParamOptions): ParamSpec => ({ name, type: 'json', json: 'array', ...o });
const jsonObject = (name: string, o?: ParamOptions): ParamSpec => ({ name, type: 'json', json: 'object', ...o });

function core(
  fn: string,
  params: readonly ParamSpec[] = [],
  more: {
    toCore?: (args: readonly CoreArg[]) => Built;
    reshape?: ResultShape;
    companions?: (args: readonly CoreArg[]) => CompanionCall[];
  } = {},
): RequestRule {
  return { kind: 'core', fn, params, ...more };
}

/** Always the same core arguments, whatever the (parameterless) request. */
const fixedArgs =
  (...coreArgs: CoreArg[]) =>
  (): Built =>
    coreArgs;

/** 3.8 folded the per-field conversation setters into setConversation(id, JSON). */
const setConversationField =
  (field: string, fixed?: CoreArg) =>
  (args: readonly CoreArg[]): Built => {
    const [conversationID, value] = args;
    return [conversationID ?? '', JSON.stringify({ [field]: fixed ?? value })];
  };

const clientOnly = (reason: string): RequestRule => ({ kind: 'client-only', reason });

const BY_FILE = 'the client uploads the file over HTTP itself, then sends the …ByURL request';

// Go `ApplicationListReq` with count 0: the core pages through everything, as the 3.5 call returned everything.
const FRIEND_APPLICATIONS_AS_APPLICANT = JSON.stringify({ offset: 0, count: 0 });
const FRIEND_APPLICATIONS_AS_RECIPIENT = JSON.stringify({ handleResults: [], offset: 0, count: 0 });
const GROUP_APPLICATIONS = JSON.stringify({ groupIDs: [], handleResults: [], offset: 0, count: 0 });

/** The user's black list, for the blackInfo of 3.5-shaped user records. */
const BLACK_LIST: CompanionCall = { fn: 'getBlackList', args: [] };

const SEND_MESSAGE_PARAMS = [
  jsonObject('message'),
  str('recvID'),
  str('groupID'),
  jsonObject('offlinePushInfo'),
  bool('isOnlineOnly'),
];

const TABLE = {
  // Auth
  InitSDK: clientOnly('the server initializes the core itself when the user logs in'),
  Login: {
    kind: 'session',
    fn: 'login',
    params: [str('userID', { nonEmpty: true }), str('token', { nonEmpty: true })],
    check: ([userID], identity) =>
      userID === identity.userID
        ? undefined
        : `argument 1 (userID) ${JSON.stringify(userID)} is not the user this connection was opened for`,
  },
  Logout: { kind: 'session', fn: 'logout', params: [] },
  GetLoginStatus: core('getLoginStatus'),
  GetLoginUserID: { kind: 'local', params: [], answer: (_args, identity) => JSON.stringify(identity.userID) },

  // User
  GetSelfUserInfo: core('getSelfUserInfo'),
  SetSelfInfo: core('setSelfInfo', [jsonObject('userInfo')]),
  GetUsersInfoWithCache: core('getUsersInfo', [jsonArray('userIDList'), str('groupID', { whenMissing: '', whenNull: '' })], {
    toCore: ([userIDList]) => [userIDList ?? ''],
    reshape: 'fullUserItemsWithCache',
    // As the 3.5 core did: the user's friend and black records, and their membership of groupID.
    companions: ([userIDList, groupID]) => [
      { fn: 'getSpecifiedFriendsInfo', args: [userIDList ?? '', false] },
      BLACK_LIST,
      ...(groupID ? [{ fn: 'getSpecifiedGroupMembersInfo', args: [groupID, userIDList ?? ''] }] : []),
    ],
  }),
  SubscribeUsersStatus: core('subscribeUsersStatus', [jsonArray('userIDList')]),
  UnsubscribeUsersStatus: core('unsubscribeUsersStatus', [jsonArray('userIDList')]),
  GetSubscribeUsersStatus: core('getSubscribeUsersStatus'),
  // Per socket: the session puts the core in background only when all its sockets are.
  SetAppBackgroundStatus: { kind: 'session', fn: 'setAppBackgroundStatus', params: [bool('isInBackground')] },
  NetworkStatusChanged: core('networkStatusChanged'),
  SetGlobalRecvMessageOpt: core('setSelfInfo', [int('opt', { range: INT32 })], {
    toCore: ([opt]) => [JSON.stringify({ globalRecvMsgOpt: opt })],
  }),

  // Friend
  AcceptFriendApplication: core('acceptFriendApplication', [jsonObject('params')]),
  AddBlack: core('addBlack', [str('toUserID'), str('ex', { whenMissing: '', whenNull: '' })]),
  AddFriend: core('addFriend', [jsonObject('params')]),
  CheckFriend: core('checkFriend', [jsonArray('userIDList')]),
  DeleteFriend: core('deleteFriend', [str('friendUserID')]),
  GetBlackList: core('getBlackList'),
  GetFriendApplicationListAsApplicant: core('getFriendApplicationListAsApplicant', [], {
    toCore: fixedArgs(FRIEND_APPLICATIONS_AS_APPLICANT),
  }),
  GetFriendApplicationListAsRecipient: core('getFriendApplicationListAsRecipient', [], {
    toCore: fixedArgs(FRIEND_APPLICATIONS_AS_RECIPIENT),
  }),
  GetFriendList: core('getFriendList', [], { toCore: fixedArgs(false), reshape: 'fullUserItems', companions: () => [BLACK_LIST] }),
  GetSpecifiedFriendsInfo: core('getSpecifiedFriendsInfo', [jsonArray('userIDList')], {
    toCore: ([userIDList]) => [userIDList ?? '', false],
    reshape: 'fullUserItems',
    companions: () => [BLACK_LIST],
  }),
  RefuseFriendApplication: core('refuseFriendApplication', [jsonObject('params')]),
  RemoveBlack: core('removeBlack', [str('userID')]),
  SearchFriends: core('searchFriends', [jsonObject('params')], { toCore: keywordSearch }),
  SetFriendRemark: core('updateFriends', [jsonObject('params')], { toCore: friendRemark }),

  // Group
  CreateGroup: core('createGroup', [jsonObject('params')]),
  JoinGroup: core('joinGroup', [
    str('groupID'),
    str('reqMsg'),
    int('joinSource', { range: INT32 }),
    str('ex', { whenMissing: '', whenNull: '' }),
  ]),
  InviteUserToGroup: core('inviteUserToGroup', [str('groupID'), str('reason'), jsonArray('userIDList')]),
  GetJoinedGroupList: core('getJoinedGroupList'),
  SearchGroups: core('searchGroups', [jsonObject('params')], { toCore: keywordSearch }),
  GetSpecifiedGroupsInfo: core('getSpecifiedGroupsInfo', [jsonArray('groupIDList')]),
  SetGroupInfo: core('setGroupInfo', [jsonObject('params')]),
  GetGroupApplicationListAsRecipient: core('getGroupApplicationListAsRecipient', [], {
    toCore: fixedArgs(GROUP_APPLICATIONS),
  }),
  GetGroupApplicationListAsApplicant: core('getGroupApplicationListAsApplicant', [], {
    toCore: fixedArgs(GROUP_APPLICATIONS),
  }),
  AcceptGroupApplication: core('acceptGroupApplication', [str('groupID'), str('fromUserID'), str('handleMsg')]),
  RefuseGroupApplication: core('refuseGroupApplication', [str('groupID'), str('fromUserID'), str('handleMsg')]),
  GetGroupMemberList: core('getGroupMemberList', [
    str('groupID'),
    int('filter', { range: INT32 }),
    int('offset', { range: INT32 }),
    int('count', { range: INT32 }),
  ]),
  GetSpecifiedGroupMembersInfo: core('getSpecifiedGroupMembersInfo', [str('groupID'), jsonArray('userIDList')]),
  SearchGroupMembers: core('searchGroupMembers', [jsonObject('params')], { toCore: keywordSearch }),
  SetGroupMemberInfo: core('setGroupMemberInfo', [jsonObject('params')]),
  GetGroupMemberOwnerAndAdmin: core('getGroupMemberOwnerAndAdmin', [str('groupID')]),
  GetGroupMemberListByJoinTimeFilter: core('getGroupMemberListByJoinTimeFilter', [
    str('groupID'),
    int('offset', { range: INT32 }),
    int('count', { range: INT32 }),
    int('joinTimeBegin'),
    int('joinTimeEnd'),
    jsonArray('filterUserIDList', { whenMissing: '[]', whenNull: '[]' }),
  ]),
  KickGroupMember: core('kickGroupMember', [str('groupID'), str('reason'), jsonArray('userIDList')]),
  ChangeGroupMemberMute: core('changeGroupMemberMute', [str('groupID'), str('userID'), int('mutedSeconds')]),
  // Exactly two: this core answers a third (muteBypassUserIDs) with "index out of range".
  ChangeGroupMute: core('changeGroupMute', [str('groupID'), bool('isMute')]),
  TransferGroupOwner: core('transferGroupOwner', [str('groupID'), str('newOwnerUserID')]),
  DismissGroup: core('dismissGroup', [str('groupID')]),
  QuitGroup: core('quitGroup', [str('groupID')]),

  // Conversation
  GetAllConversationList: core('getAllConversationList'),
  GetConversationListSplit: core('getConversationListSplit', [int('offset'), int('count')]),
  GetOneConversation: core('getOneConversation', [int('sessionType', { range: INT32 }), str('sourceID')]),
  // Typed `string` in the client, so apps may pass one bare ID instead of JSON.
  GetMultipleConversation: core('getMultipleConversation', [jsonArray('conversationIDList', { bareStringAsList: true })]),
  GetConversationIDBySessionType: {
    kind: 'local',
    params: [str('sourceID'), int('sessionType')],
    answer: ([sourceID, sessionType], identity) =>
      JSON.stringify(conversationID(Number(sessionType), identity.userID, String(sourceID))),
  },
  GetTotalUnreadMsgCount: core('getTotalUnreadMsgCount'),
  MarkConversationMessageAsRead: core('markConversationMessageAsRead', [str('conversationID')]),
  SetConversationDraft: core('setConversationDraft', [str('conversationID'), str('draftText')]),
  PinConversation: core('setConversation', [str('conversationID'), bool('isPinned')], {
    toCore: setConversationField('isPinned'),
  }),
  SetConversationRecvMessageOpt: core('setConversation', [str('conversationID'), int('opt', { range: INT32 })], {
    toCore: setConversationField('recvMsgOpt'),
  }),
  SetConversationPrivateChat: core('setConversation', [str('conversationID'), bool('isPrivate')], {
    toCore: setConversationField('isPrivateChat'),
  }),
  SetConversationBurnDuration: core('setConversation', [str('conversationID'), int('burnDuration', { range: INT32 })], {
    toCore: setConversationField('burnDuration'),
  }),
  ResetConversationGroupAtType: core('setConversation', [str('conversationID')], {
    toCore: setConversationField('groupAtType', 0),
  }),
  HideConversation: core('hideConversation', [str('conversationID')]),
  HideAllConversation: core('hideAllConversations'),
  ClearConversationAndDeleteAllMsg: core('clearConversationAndDeleteAllMsg', [str('conversationID')]),
  DeleteConversationAndDeleteAllMsg: core('deleteConversationAndDeleteAllMsg', [str('conversationID')]),

  // Message
  CreateTextMessage: core('createTextMessage', [str('text')]),
  CreateTextAtMessage: core('createTextAtMessage', [
    str('text'),
    jsonArray('atUserIDList'),
    jsonArray('atUsersInfo', { whenNull: '', emptyAllowed: true }),
    jsonObject('message', { whenNull: '', emptyAllowed: true }),
  ]),
  CreateImageMessageByFile: clientOnly(BY_FILE),
  CreateImageMessageByURL: core('createImageMessageByURL', [
    str('sourcePath'),
    jsonObject('sourcePicture'),
    jsonObject('bigPicture'),
    jsonObject('snapshotPicture'),
  ]),
  CreateSoundMessageByFile: clientOnly(BY_FILE),
  CreateSoundMessageByURL: core('createSoundMessageByURL', [jsonObject('params')]),
  CreateVideoMessageByFile: clientOnly(BY_FILE),
  CreateVideoMessageByURL: core('createVideoMessageByURL', [jsonObject('params')]),
  CreateFileMessageByFile: clientOnly(BY_FILE),
  CreateFileMessageByURL: core('createFileMessageByURL', [jsonObject('params')]),
  CreateMergerMessage: core('createMergerMessage', [jsonArray('messageList'), str('title'), jsonArray('summaryList')]),
  CreateForwardMessage: core('createForwardMessage', [jsonObject('message')]),
  CreateLocationMessage: core('createLocationMessage', [str('description'), num('longitude'), num('latitude')]),
  // The client declares `message` a string but does not stringify what it is given.
  CreateQuoteMessage: core('createQuoteMessage', [str('text'), jsonObject('message', { objectStringified: true })]),
  CreateCardMessage: core('createCardMessage', [jsonObject('card')]),
  CreateCustomMessage: core('createCustomMessage', [str('data'), str('extension'), str('description')]),
  CreateFaceMessage: core('createFaceMessage', [int('index'), str('data')]),
  // The core's sendMessage would look for local files to upload; the client already did that.
  SendMessage: core('sendMessageNotOss', SEND_MESSAGE_PARAMS),
  SendMessageNotOss: core('sendMessageNotOss', SEND_MESSAGE_PARAMS),
  UploadFile: clientOnly('the client uploads files over HTTP itself'),
  TypingStatusUpdate: core('typingStatusUpdate', [str('recvID'), str('msgTip')]),
  RevokeMessage: core('revokeMessage', [str('conversationID'), str('clientMsgID')]),
  DeleteMessage: core('deleteMessage', [str('conversationID'), str('clientMsgID')]),
  DeleteMessageFromLocalStorage: core('deleteMessageFromLocalStorage', [str('conversationID'), str('clientMsgID')]),
  DeleteAllMsgFromLocal: core('deleteAllMsgFromLocal'),
  DeleteAllMsgFromLocalAndSvr: core('deleteAllMsgFromLocalAndSvr'),
  SearchLocalMessages: core('searchLocalMessages', [jsonObject('params')]),
  GetAdvancedHistoryMessageList: core('getAdvancedHistoryMessageList', [jsonObject('params')]),
  GetAdvancedHistoryMessageListReverse: core('getAdvancedHistoryMessageListReverse', [jsonObject('params')]),
  FindMessageList: core('findMessageList', [jsonArray('params')]),
  InsertGroupMessageToLocalStorage: core('insertGroupMessageToLocalStorage', [
    jsonObject('message'),
    str('groupID'),
    str('sendID'),
  ]),
  InsertSingleMessageToLocalStorage: core('insertSingleMessageToLocalStorage', [
    jsonObject('message'),
    str('recvID'),
    str('sendID'),
  ]),
  SetMessageLocalEx: core('setMessageLocalEx', [str('conversationID'), str('clientMsgID'), str('localEx')]),
} satisfies Record<string, RequestRule>;

export type ClientRequestName = keyof typeof TABLE;

/** The table: one row per client 3.5.2 `RequestApi` name. */
export const REQUESTS: Readonly<Record<ClientRequestName, RequestRule>> = TABLE;

/**
 * Core globals a client must never reach by name: the host's plumbing, the session
 * lifecycle (the session manager owns it), and functions that expect browser files.
 */
export const SERVER_MANAGED_FUNCTIONS: ReadonlySet<string> = new Set([
  ...HOST_ONLY_FUNCTIONS,
  'initSDK',
  'unInitSDK',
  'login',
  'logout',
  'sendMessage',
  'uploadFile',
]);

// --- row-specific logic ---------------------------------------------------------------

/** SetFriendRemark({toUserID, remark}) became updateFriends({friendUserIDs, remark}) in 3.8. */
function friendRemark([params]: readonly CoreArg[]): Built {
  const { toUserID, remark } = JSON.parse(String(params)) as Record<string, unknown>;
  if (typeof toUserID !== 'string' || toUserID === '') {
    return { problem: `argument 1 (params) field toUserID must be a non-empty string, got ${describe(toUserID)}` };
  }
  if (typeof remark !== 'string') {
    return { problem: `argument 1 (params) field remark must be a string, got ${describe(remark)}` };
  }
  return [JSON.stringify({ friendUserIDs: [toUserID], remark })];
}

/** The 3.8 core's searches read keywordList[0]: an empty or missing list panics inside it. */
function keywordSearch(args: readonly CoreArg[]): Built {
  const { keywordList } = JSON.parse(String(args[0])) as Record<string, unknown>;
  if (!Array.isArray(keywordList) || keywordList.length === 0 || !keywordList.every((k) => typeof k === 'string')) {
    return { problem: `argument 1 (params) field keywordList must be a non-empty array of strings, got ${describe(keywordList)}` };
  }
  return [...args];
}

/** How the core names a conversation per session type (the core has no global for it). */
const CONVERSATION_ID_RULES: Readonly<Record<number, { prefix: string; withLoginUser: boolean }>> = {
  1: { prefix: 'si_', withLoginUser: true }, // single chat
  2: { prefix: 'g_', withLoginUser: false }, // group
  3: { prefix: 'sg_', withLoginUser: false }, // super group
  4: { prefix: 'sn_', withLoginUser: true }, // notification
};

export function conversationID(sessionType: number, loginUserID: string, sourceID: string): string {
  const rule = Object.hasOwn(CONVERSATION_ID_RULES, sessionType) ? CONVERSATION_ID_RULES[sessionType] : undefined;
  if (!rule) return '';
  if (!rule.withLoginUser) return rule.prefix + sourceID;
  // Go sorts the pair by UTF-8 bytes; JS string order differs outside the BMP.
  const pair = [loginUserID, sourceID].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return rule.prefix + pair.join('_');
}

// --- planning -------------------------------------------------------------------------

/**
 * What to do with a request. Table rows are checked against their parameters; any other
 * UpperCamel name the loaded core registers (lowerCamel) is passed through with the items
 * as its arguments, so custom cores and the test core's Debug* functions are reachable.
 */
export function planRequest(
  reqFuncName: string,
  data: unknown[],
  identity: Identity,
  coreFunctions: ReadonlySet<string>,
  budget: JsonBudget = new JsonBudget(),
): RequestPlan | ProtocolError {
  if (Object.hasOwn(REQUESTS, reqFuncName)) {
    return planRow(reqFuncName, REQUESTS[reqFuncName as ClientRequestName], data, identity, coreFunctions, budget);
  }
  return planPassThrough(reqFuncName, data, coreFunctions);
}

function planRow(
  reqFuncName: string,
  rule: RequestRule,
  data: unknown[],
  identity: Identity,
  coreFunctions: ReadonlySet<string>,
  budget: JsonBudget,
): RequestPlan | ProtocolError {
  if (rule.kind === 'client-only') {
    return protocolError('UnknownFunction', `${reqFuncName} is not served by this server: ${rule.reason}`);
  }
  const args = checkItems(rule.params, data, budget);
  if (!Array.isArray(args)) return protocolError(args.overLimit ? 'LimitExceeded' : 'ArgsError', `${reqFuncName}: ${args.problem}`);

  switch (rule.kind) {
    case 'session': {
      const problem = rule.check?.(args, identity);
      if (problem) return protocolError('ArgsError', `${reqFuncName}: ${problem}`);
      return { kind: 'session', reqFuncName, fn: rule.fn, args };
    }
    case 'local':
      return { kind: 'local', reqFuncName, data: rule.answer(args, identity) };
    case 'core': {
      if (!coreFunctions.has(rule.fn)) {
        return protocolError('UnknownFunction', `${reqFuncName}: the loaded core has no function ${rule.fn}`);
      }
      const built = rule.toCore ? rule.toCore(args) : args;
      if (!Array.isArray(built)) return protocolError('ArgsError', `${reqFuncName}: ${built.problem}`);
      const plan = corePlan(reqFuncName, rule.fn, built, false, rule.reshape);
      return rule.companions && !isProtocolError(plan) ? { ...plan, companions: rule.companions(args) } : plan;
    }
  }
}

function planPassThrough(reqFuncName: string, data: unknown[], coreFunctions: ReadonlySet<string>): CorePlan | ProtocolError {
  // Only UpperCamel names, like the client's: "login" must not bypass the Login row.
  const fn = /^[A-Z][A-Za-z0-9_]*$/.test(reqFuncName) ? reqFuncName[0]!.toLowerCase() + reqFuncName.slice(1) : undefined;
  if (fn !== undefined && SERVER_MANAGED_FUNCTIONS.has(fn)) {
    return protocolError('UnknownFunction', `${reqFuncName} cannot be called by clients: the server manages ${fn} itself`);
  }
  if (fn === undefined || !coreFunctions.has(fn)) {
    return protocolError(
      'UnknownFunction',
      `unknown request ${JSON.stringify(reqFuncName)}: not a client API and not a function of the loaded core`,
    );
  }
  return corePlan(reqFuncName, fn, data, true);
}

function corePlan(
  reqFuncName: string,
  fn: string,
  args: unknown[],
  passThrough: boolean,
  reshape?: ResultShape,
): CorePlan | ProtocolError {
  const sync = syncSpec(fn);
  // Last line of defence for sync-style globals, whose bad arguments end the core.
  const problem = sync && checkSyncArguments(fn, sync, args);
  if (problem) return protocolError('ArgsError', `${reqFuncName}: ${problem}`);
  return { kind: 'core', reqFuncName, fn, args, style: sync ? 'sync' : 'async', passThrough, ...(reshape && { reshape }) };
}

function syncSpec(fn: string): SyncFunctionSpec | undefined {
  return Object.hasOwn(SYNC_FUNCTIONS, fn) ? SYNC_FUNCTIONS[fn] : undefined;
}

// --- argument checks ------------------------------------------------------------------

/** What is wrong with an item; `overLimit` when it is within the types but beyond LIMITS.json. */
interface ItemProblem {
  readonly problem: string;
  readonly overLimit?: boolean;
}

function checkItems(params: readonly ParamSpec[], data: readonly unknown[], budget: JsonBudget): CoreArg[] | ItemProblem {
  const required = params.findLastIndex((p) => p.whenMissing === undefined) + 1;
  if (data.length < required || data.length > params.length) {
    const range = required === params.length ? `${required}` : `${required} to ${params.length}`;
    const names = params.map((p) => p.name).join(', ') || 'none';
    return { problem: `takes ${range} argument(s) (${names}), got ${data.length}` };
  }
  const args: CoreArg[] = [];
  for (const [i, spec] of params.entries()) {
    const where = `argument ${i + 1} (${spec.name})`;
    const checked = i < data.length ? checkItem(spec, data[i], budget, where) : spec.whenMissing;
    if (checked === undefined) return { problem: `${where} is missing` };
    if (typeof checked === 'object') return checked.overLimit ? checked : { problem: `${where} ${checked.problem}` };
    args.push(checked);
  }
  return args;
}

function checkItem(spec: ParamSpec, value: unknown, budget: JsonBudget, where: string): CoreArg | ItemProblem {
  if (value === null && spec.whenNull !== undefined) return spec.whenNull;
  const wrong = (): ItemProblem => ({ problem: `must be ${expectation(spec)}, got ${describe(value)}` });
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' && (value !== '' || !spec.nonEmpty) ? value : wrong();
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) && inRange(spec, value) ? value : wrong();
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : wrong();
    case 'bool':
      return typeof value === 'boolean' ? value : wrong();
    case 'json':
      return checkJsonItem(spec, value, budget, where) ?? wrong();
  }
}

/**
 * The string to send for a `json` item, undefined when it does not hold the right JSON, or
 * the limit its text is over. An object item was already bounded as part of the request data.
 */
function checkJsonItem(spec: ParamSpec, value: unknown, budget: JsonBudget, where: string): string | ItemProblem | undefined {
  if (spec.objectStringified && isPlainObject(value)) return JSON.stringify(value);
  if (typeof value !== 'string') return undefined;
  if (value === '' && spec.emptyAllowed) return value;
  const decoded = parseBoundedJson(value, budget, where);
  if (!decoded.ok && 'limit' in decoded) return { problem: decoded.limit.message, overLimit: true };
  const parsed = decoded.ok ? decoded.value : undefined;
  const fits = spec.json === 'array' ? parsed === null || Array.isArray(parsed) : isPlainObject(parsed);
  if (fits) return value;
  if (spec.bareStringAsList && value !== '') return JSON.stringify([value]);
  return undefined;
}

function expectation(spec: ParamSpec): string {
  switch (spec.type) {
    case 'string':
      return spec.nonEmpty ? 'a non-empty string' : 'a string';
    case 'int':
      return spec.range ? `an integer from ${spec.range[0]} to ${spec.range[1]}` : 'an integer';
    case 'number':
      return 'a finite number';
    case 'bool':
      return 'a boolean';
    case 'json':
      return `a string holding a JSON ${spec.json ?? 'value'}${spec.emptyAllowed ? ' (or "")' : ''}`;
  }
}

function inRange(spec: ParamSpec, value: number): boolean {
  return !spec.range || (value >= spec.range[0] && value <= spec.range[1]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `the string ${clip(JSON.stringify(value))}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return `a ${typeof value}`;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

// --- results --------------------------------------------------------------------------

/**
 * The response `data` for a core's answer to a plan. Async globals resolve JSON text,
 * sent unchanged; sync-style ones resolve `[result]`, where `[""]` is the core's only way
 * to say it failed — most often because it is not logged in.
 */
export function responseData(
  plan: RequestPlan,
  value: CoreValue,
  loggedIn: boolean,
  companionValues: readonly (CoreValue | undefined)[] = [],
): { data: string } | ProtocolError {
  if (plan.kind === 'local') return { data: plan.data };
  const text = plan.kind === 'core' && plan.style === 'sync' ? syncResult(plan, value, loggedIn) : asyncResult(value);
  if (typeof text !== 'string') return text;
  if (plan.kind !== 'core' || plan.reshape === undefined) return { data: text };
  return reshapeResult(plan, plan.reshape, text, companionValues.map(companionResult));
}

/** A companion's parsed result; undefined when it failed or answered something unreadable. */
function companionResult(value: CoreValue | undefined): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function asyncResult(value: CoreValue): string {
  // Only a non-conforming core resolves anything but text; still send valid JSON.
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function syncResult(plan: CorePlan, value: CoreValue, loggedIn: boolean): string | ProtocolError {
  if (!Array.isArray(value)) {
    return protocolError('SdkInternalError', `${plan.reqFuncName}: ${plan.fn} answered ${typeof value}, not a result array`);
  }
  const first = value[0];
  if (typeof first === 'number' || typeof first === 'boolean') return String(first);
  if (typeof first === 'string' && first !== '') return first;
  return loggedIn
    ? protocolError('ArgsError', `${plan.reqFuncName}: ${plan.fn} produced no result (the core rejected the arguments)`)
    : protocolError('ResourceLoadNotComplete', `${plan.reqFuncName}: ${plan.fn} produced no result: not logged in`);
}

/** `companions`: the companion calls' results in the row's order (undefined for one that failed). */
type Reshaper = (result: unknown, companions: readonly unknown[]) => unknown[] | undefined;

/** Client 3.5.2 expects the v3.5.1 shapes for these; the 3.8 core returns flat records. */
const RESHAPERS: Readonly<Record<ResultShape, Reshaper>> = {
  // getFriendList / getSpecifiedFriendsInfo, with the black list as companion 0.
  fullUserItems: (result, [blacks]) => {
    const blackOf = recordsByID(blacks, 'userID', 'blockUserID');
    return eachRecord(result, (friend) => {
      if ('friendInfo' in friend) return friend;
      const userID = friendUserID(friend);
      return {
        publicInfo: {
          userID,
          nickname: stringField(friend, 'nickname'),
          faceURL: stringField(friend, 'faceURL'),
          ex: stringField(friend, 'ex'),
        },
        friendInfo: { ...friend, userID },
        blackInfo: blackView(blackOf.get(userID)),
      };
    });
  },
  // getUsersInfo, with the friend records (0), the black list (1) and, for a groupID, its members (2).
  fullUserItemsWithCache: (result, [friends, blacks, members]) => {
    const friendOf = recordsByID(friends, 'userID', 'friendUserID');
    const blackOf = recordsByID(blacks, 'userID', 'blockUserID');
    const memberOf = recordsByID(members, 'userID');
    return eachRecord(result, (user) => {
      if ('publicInfo' in user) return user;
      const userID = stringField(user, 'userID');
      const friend = friendOf.get(userID);
      return {
        publicInfo: user,
        friendInfo: friend === undefined ? null : { ...friend, userID },
        blackInfo: blackView(blackOf.get(userID)),
        groupMemberInfo: memberOf.get(userID) ?? null,
      };
    });
  },
};

/** LocalFriend's JSON names the friend `userID`; the Go field name is accepted as well. */
function friendUserID(friend: Record<string, unknown>): string {
  return stringField(friend, 'userID') || stringField(friend, 'friendUserID');
}

/** A black record as client 3.5.2 reads it: the blocked user is `userID` (LocalBlack's JSON name; the Go name is accepted too). */
function blackView(black: Record<string, unknown> | undefined): Record<string, unknown> | null {
  return black === undefined ? null : { ...black, userID: stringField(black, 'userID') || stringField(black, 'blockUserID') };
}

/** A companion's record list by the first of `keys` that holds an ID; empty when it failed. */
function recordsByID(list: unknown, ...keys: string[]): Map<string, Record<string, unknown>> {
  const byID = new Map<string, Record<string, unknown>>();
  if (!Array.isArray(list)) return byID;
  for (const record of list) {
    if (!isPlainObject(record)) continue;
    const id = keys.map((k) => stringField(record, k)).find((v) => v !== '');
    if (id !== undefined && !byID.has(id)) byID.set(id, record);
  }
  return byID;
}

function eachRecord(result: unknown, map: (record: Record<string, unknown>) => unknown): unknown[] | undefined {
  if (result === null) return []; // Go's nil slice
  if (!Array.isArray(result) || !result.every(isPlainObject)) return undefined;
  return result.map(map);
}

function stringField(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  return typeof value === 'string' ? value : '';
}

function reshapeResult(plan: CorePlan, shape: ResultShape, text: string, companions: readonly unknown[]): { data: string } | ProtocolError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const reshaped = parsed === undefined ? undefined : RESHAPERS[shape](parsed, companions);
  if (reshaped === undefined) {
    return protocolError('SdkInternalError', `${plan.reqFuncName}: ${plan.fn} answered in an unexpected shape`);
  }
  return { data: JSON.stringify(reshaped) };
}
