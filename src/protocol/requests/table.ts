/**
 * Every request client 3.5.2 can send (its `RequestApi`), and what the gateway does with it
 * (docs/client-protocol.md#version-bridging), as one table. plan.ts turns a request into a
 * plan only after every argument has been checked against its row (arguments.ts), because a
 * mistyped argument can kill a sync-style core (docs/client-protocol.md#arguments) and the
 * core's own complaints about async ones are cryptic.
 */
import { HOST_ONLY_FUNCTIONS } from '../../../core-wasm/core-functions.ts';
import { conversationID } from '../../shared/conversation-id.ts';
import { describe } from './arguments.ts';
import type { Built, CompanionCall, CoreArg, ParamSpec, RequestRule, ResultShape } from './rules.ts';

/**
 * A Go int32: a JSON field the core decodes fails on anything wider, and a positional
 * argument is silently wrapped by the core's glue (`int32(arg.Int())`). Either way, refused here.
 */
const INT32: readonly [number, number] = [-(2 ** 31), 2 ** 31 - 1];

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

const SEND_MESSAGE_PARAMS = [jsonObject('message'), str('recvID'), str('groupID'), jsonObject('offlinePushInfo'), bool('isOnlineOnly')];

const TABLE = {
  // Auth
  InitSDK: clientOnly('the server initializes the core itself when the user logs in'),
  Login: {
    kind: 'session',
    fn: 'login',
    params: [str('userID', { nonEmpty: true }), str('token', { nonEmpty: true })],
    check: ([userID], identity) =>
      userID === identity.userID ? undefined : `argument 1 (userID) ${JSON.stringify(userID)} is not the user this connection was opened for`,
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
  JoinGroup: core('joinGroup', [str('groupID'), str('reqMsg'), int('joinSource', { range: INT32 }), str('ex', { whenMissing: '', whenNull: '' })]),
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
  GetGroupMemberList: core('getGroupMemberList', [str('groupID'), int('filter', { range: INT32 }), int('offset', { range: INT32 }), int('count', { range: INT32 })]),
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
    answer: ([sourceID, sessionType], identity) => JSON.stringify(conversationID(Number(sessionType), identity.userID, String(sourceID))),
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
  CreateImageMessageByURL: core('createImageMessageByURL', [str('sourcePath'), jsonObject('sourcePicture'), jsonObject('bigPicture'), jsonObject('snapshotPicture')]),
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
  InsertGroupMessageToLocalStorage: core('insertGroupMessageToLocalStorage', [jsonObject('message'), str('groupID'), str('sendID')]),
  InsertSingleMessageToLocalStorage: core('insertSingleMessageToLocalStorage', [jsonObject('message'), str('recvID'), str('sendID')]),
  SetMessageLocalEx: core('setMessageLocalEx', [str('conversationID'), str('clientMsgID'), str('localEx')]),
} satisfies Record<string, RequestRule>;

export type ClientRequestName = keyof typeof TABLE;

/** The table: one row per client 3.5.2 `RequestApi` name. */
export const REQUESTS: Readonly<Record<ClientRequestName, RequestRule>> = TABLE;

/**
 * Core globals a client must never reach by name: the host's plumbing, the session
 * lifecycle (the session manager owns it), and functions that expect browser files.
 */
export const SERVER_MANAGED_FUNCTIONS: ReadonlySet<string> = new Set([...HOST_ONLY_FUNCTIONS, 'initSDK', 'unInitSDK', 'login', 'logout', 'sendMessage', 'uploadFile']);

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
