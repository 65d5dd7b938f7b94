import { describe, expect, it } from 'vitest';

import { SYNC_FUNCTIONS, checkSyncArguments } from '../../core-wasm/core-functions.ts';
import { isProtocolError, type ProtocolError } from '../../src/protocol/error-codes.ts';
import { REQUESTS, SERVER_MANAGED_FUNCTIONS } from '../../src/protocol/requests/table.ts';
import { planRequest } from '../../src/protocol/requests/plan.ts';
import { responseData } from '../../src/protocol/requests/results.ts';
import type { CorePlan, ParamSpec, RequestPlan, RequestRule } from '../../src/protocol/requests/rules.ts';
import { conversationID } from '../../src/shared/conversation-id.ts';

const identity = { userID: 'alice', platformID: 5 };

/** Client 3.5.2 `RequestApi`, as published in open-im-sdk@3.5.2 src/constant/api.ts. */
const CLIENT_3_5_2_REQUESTS = [
  'InitSDK', 'Login', 'Logout', 'GetLoginStatus', 'GetLoginUserID',
  'GetSelfUserInfo', 'SetSelfInfo', 'GetUsersInfoWithCache', 'SubscribeUsersStatus', 'UnsubscribeUsersStatus',
  'GetSubscribeUsersStatus', 'SetAppBackgroundStatus', 'NetworkStatusChanged', 'SetGlobalRecvMessageOpt',
  'AcceptFriendApplication', 'AddBlack', 'AddFriend', 'CheckFriend', 'DeleteFriend', 'GetBlackList',
  'GetFriendApplicationListAsApplicant', 'GetFriendApplicationListAsRecipient', 'GetFriendList',
  'GetSpecifiedFriendsInfo', 'RefuseFriendApplication', 'RemoveBlack', 'SearchFriends', 'SetFriendRemark',
  'CreateGroup', 'JoinGroup', 'InviteUserToGroup', 'GetJoinedGroupList', 'SearchGroups', 'GetSpecifiedGroupsInfo',
  'SetGroupInfo', 'GetGroupApplicationListAsRecipient', 'GetGroupApplicationListAsApplicant', 'AcceptGroupApplication',
  'RefuseGroupApplication', 'GetGroupMemberList', 'GetSpecifiedGroupMembersInfo', 'SearchGroupMembers',
  'SetGroupMemberInfo', 'GetGroupMemberOwnerAndAdmin', 'GetGroupMemberListByJoinTimeFilter', 'KickGroupMember',
  'ChangeGroupMemberMute', 'ChangeGroupMute', 'TransferGroupOwner', 'DismissGroup', 'QuitGroup',
  'GetAllConversationList', 'GetConversationListSplit', 'GetOneConversation', 'GetMultipleConversation',
  'GetConversationIDBySessionType', 'GetTotalUnreadMsgCount', 'MarkConversationMessageAsRead', 'SetConversationDraft',
  'PinConversation', 'SetConversationRecvMessageOpt', 'SetConversationPrivateChat', 'SetConversationBurnDuration',
  'ResetConversationGroupAtType', 'HideConversation', 'HideAllConversation', 'ClearConversationAndDeleteAllMsg',
  'DeleteConversationAndDeleteAllMsg',
  'CreateTextMessage', 'CreateTextAtMessage', 'CreateImageMessageByFile', 'CreateImageMessageByURL',
  'CreateSoundMessageByFile', 'CreateSoundMessageByURL', 'CreateVideoMessageByFile', 'CreateVideoMessageByURL',
  'CreateFileMessageByFile', 'CreateFileMessageByURL', 'CreateMergerMessage', 'CreateForwardMessage',
  'CreateLocationMessage', 'CreateQuoteMessage', 'CreateCardMessage', 'CreateCustomMessage', 'CreateFaceMessage',
  'SendMessage', 'SendMessageNotOss', 'UploadFile', 'TypingStatusUpdate', 'RevokeMessage', 'DeleteMessage',
  'DeleteMessageFromLocalStorage', 'DeleteAllMsgFromLocal', 'DeleteAllMsgFromLocalAndSvr', 'SearchLocalMessages',
  'GetAdvancedHistoryMessageList', 'GetAdvancedHistoryMessageListReverse', 'FindMessageList',
  'InsertGroupMessageToLocalStorage', 'InsertSingleMessageToLocalStorage', 'SetMessageLocalEx',
]; // prettier-ignore

const rows = Object.entries<RequestRule>(REQUESTS);
const rowsWithParams = rows.filter((r): r is [string, Exclude<RequestRule, { kind: 'client-only' }>] => r[1].kind !== 'client-only');
const tableCoreFunctions = rows.flatMap(([, rule]) => (rule.kind === 'core' ? [rule.fn] : []));
/** What a full core registers: every table function plus extras the pass-through can reach. */
const allFunctions: ReadonlySet<string> = new Set([
  ...tableCoreFunctions,
  ...Object.keys(SYNC_FUNCTIONS),
  'login',
  'logout',
  'unInitSDK',
  'uploadFile',
  'sendMessage',
  'commonEventFunc',
  'debugEcho',
  'setConversation',
]);

function plan(name: string, data: unknown[], fns: ReadonlySet<string> = allFunctions): RequestPlan {
  const result = planRequest(name, data, identity, fns);
  if (isProtocolError(result)) throw new Error(`${name} ${JSON.stringify(data)} was refused: ${result.errMsg}`);
  return result;
}

function corePlan(name: string, data: unknown[]): CorePlan {
  const p = plan(name, data);
  if (p.kind !== 'core') throw new Error(`${name} is not a core plan`);
  return p;
}

function refusal(name: string, data: unknown[], fns: ReadonlySet<string> = allFunctions): ProtocolError {
  const result = planRequest(name, data, identity, fns);
  if (!isProtocolError(result)) throw new Error(`${name} ${JSON.stringify(data)} was accepted: ${JSON.stringify(result)}`);
  return result;
}

function validItem(spec: ParamSpec, name: string): unknown {
  if (name === 'Login' && spec.name === 'userID') return identity.userID;
  switch (spec.type) {
    case 'string':
      return 'x1';
    case 'int':
      return 3;
    case 'number':
      return 1.5;
    case 'bool':
      return true;
    case 'json':
      // One object that every row's own field checks accept (SetFriendRemark's, the searches').
      return spec.json === 'array' ? '["a"]' : '{"toUserID":"bob","remark":"r","keywordList":["k"]}';
  }
}

/** Values of the wrong type for a param (null only where the param has no null default). */
function wrongItems(spec: ParamSpec): unknown[] {
  const nullItem = spec.whenNull === undefined ? [null] : [];
  switch (spec.type) {
    case 'string':
      return [1, true, {}, ['x'], ...nullItem, ...(spec.nonEmpty ? [''] : [])];
    case 'int':
      return ['1', 1.5, true, Number.MAX_SAFE_INTEGER + 2, ...nullItem];
    case 'number':
      return ['1.5', Number.POSITIVE_INFINITY, Number.NaN, false, ...nullItem];
    case 'bool':
      return ['true', 1, ...nullItem];
    case 'json': {
      const otherKind = spec.json === 'array' ? '{"a":1}' : '["a"]';
      return [
        1,
        true,
        ['a'],
        otherKind,
        ...(spec.bareStringAsList ? [] : ['not json', '{"a":']),
        ...(spec.objectStringified ? [] : [{ a: 1 }]),
        ...(spec.emptyAllowed || spec.bareStringAsList ? [] : ['']),
        ...(spec.json === 'object' ? ['null'] : []),
        ...nullItem,
      ].filter((v) => !(spec.bareStringAsList && typeof v === 'string'));
    }
  }
}

describe('the request table', () => {
  it('has exactly one row per client 3.5.2 RequestApi name', () => {
    expect(Object.keys(REQUESTS).sort()).toEqual([...CLIENT_3_5_2_REQUESTS].sort());
  });

  it('sends Login and Logout to the session manager and answers GetLoginUserID itself', () => {
    expect(REQUESTS.Login.kind).toBe('session');
    expect(REQUESTS.Logout.kind).toBe('session');
    expect(REQUESTS.GetLoginUserID.kind).toBe('local');
    expect(REQUESTS.GetConversationIDBySessionType.kind).toBe('local');
  });

  it('only allows defaults on trailing params', () => {
    for (const [name, rule] of rowsWithParams) {
      const firstOptional = rule.params.findIndex((p) => p.whenMissing !== undefined);
      if (firstOptional < 0) continue;
      expect(
        rule.params.slice(firstOptional).every((p) => p.whenMissing !== undefined),
        name,
      ).toBe(true);
    }
  });

  describe.each(rowsWithParams)('%s', (name, rule) => {
    const valid = rule.params.map((spec) => validItem(spec, name));

    it('accepts well-typed arguments', () => {
      const p = plan(name, valid);
      expect(p.kind).toBe(rule.kind);
      expect(p.reqFuncName).toBe(name);
    });

    if (rule.kind === 'core') {
      it('plans its core call with scalar arguments, in the calling style of its function', () => {
        const p = plan(name, valid);
        if (p.kind !== 'core') throw new Error(`${name} planned as ${p.kind}`);
        expect(p.fn).toBe(rule.fn);
        expect(p.passThrough).toBe(false);
        for (const arg of p.args) expect(['string', 'number', 'boolean']).toContain(typeof arg);
        const sync = SYNC_FUNCTIONS[p.fn];
        expect(p.style).toBe(sync ? 'sync' : 'async');
        if (sync) expect(checkSyncArguments(p.fn, sync, p.args)).toBeUndefined();
      });
    }

    it('rejects each wrongly typed argument with 10002 naming the function and position', () => {
      for (const [i, spec] of rule.params.entries()) {
        for (const wrong of wrongItems(spec)) {
          const data = valid.with(i, wrong);
          const err = refusal(name, data);
          expect(err.errCode, `${name} item ${i + 1} = ${String(wrong)}`).toBe(10002);
          expect(err.errMsg).toContain(name);
          expect(err.errMsg).toContain(`argument ${i + 1} (${spec.name})`);
        }
      }
    });

    it('rejects too many arguments', () => {
      const err = refusal(name, [...valid, 'extra']);
      expect(err.errCode).toBe(10002);
      expect(err.errMsg).toMatch(new RegExp(`^${name}: takes .*got ${valid.length + 1}$`));
    });

    const required = rule.params.filter((p) => p.whenMissing === undefined).length;
    if (required > 0) {
      it('rejects missing required arguments', () => {
        const err = refusal(name, valid.slice(0, required - 1));
        expect(err.errCode).toBe(10002);
        expect(err.errMsg).toContain(name);
      });
    }

    if (rule.kind === 'core') {
      it('is refused cleanly when the loaded core lacks its function', () => {
        const err = refusal(name, valid, new Set());
        expect(err.errCode).toBe(20002);
        expect(err.errMsg).toContain(rule.fn);
      });
    }
  });

  it.each(rows.filter(([, r]) => r.kind === 'client-only').map(([n]) => n))('refuses client-only %s', (name) => {
    const err = refusal(name, []);
    expect(err.errCode).toBe(20002);
    expect(err.errMsg).toContain(name);
  });
});

describe('rows whose core call differs from the client request', () => {
  it.each([
    ['GetUsersInfoWithCache', ['["u1"]', 'g1'], 'getUsersInfo', ['["u1"]']],
    ['SetGlobalRecvMessageOpt', [2], 'setSelfInfo', ['{"globalRecvMsgOpt":2}']],
    ['GetFriendApplicationListAsApplicant', [], 'getFriendApplicationListAsApplicant', ['{"offset":0,"count":0}']],
    ['GetFriendApplicationListAsRecipient', [], 'getFriendApplicationListAsRecipient', ['{"handleResults":[],"offset":0,"count":0}']],
    ['GetFriendList', [], 'getFriendList', [false]],
    ['GetSpecifiedFriendsInfo', ['["b","c"]'], 'getSpecifiedFriendsInfo', ['["b","c"]', false]],
    ['SetFriendRemark', ['{"toUserID":"bob","remark":"Bobby"}'], 'updateFriends', ['{"friendUserIDs":["bob"],"remark":"Bobby"}']],
    ['GetGroupApplicationListAsRecipient', [], 'getGroupApplicationListAsRecipient', ['{"groupIDs":[],"handleResults":[],"offset":0,"count":0}']],
    ['GetGroupApplicationListAsApplicant', [], 'getGroupApplicationListAsApplicant', ['{"groupIDs":[],"handleResults":[],"offset":0,"count":0}']],
    ['PinConversation', ['c1', true], 'setConversation', ['c1', '{"isPinned":true}']],
    ['SetConversationRecvMessageOpt', ['c1', 2], 'setConversation', ['c1', '{"recvMsgOpt":2}']],
    ['SetConversationPrivateChat', ['c1', false], 'setConversation', ['c1', '{"isPrivateChat":false}']],
    ['SetConversationBurnDuration', ['c1', 30], 'setConversation', ['c1', '{"burnDuration":30}']],
    ['ResetConversationGroupAtType', ['c1'], 'setConversation', ['c1', '{"groupAtType":0}']],
    ['HideAllConversation', [], 'hideAllConversations', []],
    ['SendMessage', ['{"a":1}', 'bob', '', '{"title":"t"}', false], 'sendMessageNotOss', ['{"a":1}', 'bob', '', '{"title":"t"}', false]],
    ['ChangeGroupMute', ['g1', true], 'changeGroupMute', ['g1', true]],
  ] as Array<[string, unknown[], string, unknown[]]>)('%s', (name, data, fn, args) => {
    const p = corePlan(name, data);
    expect(p.fn).toBe(fn);
    expect(p.args).toEqual(args);
  });

  it.each(['SearchFriends', 'SearchGroups', 'SearchGroupMembers'])('%s needs a keyword (the core reads keywordList[0])', (name) => {
    for (const params of ['{}', '{"keywordList":[]}', '{"keywordList":[1]}', '{"keywordList":"k"}']) {
      const r = refusal(name, [params]);
      expect(r.errCode, params).toBe(10002);
      expect(r.errMsg).toMatch(new RegExp(`^${name}: argument 1 \\(params\\) field keywordList must be a non-empty array of strings`));
    }
    expect(corePlan(name, ['{"keywordList":["k"]}']).args).toEqual(['{"keywordList":["k"]}']);
  });

  it('SetFriendRemark names the bad field', () => {
    expect(refusal('SetFriendRemark', ['{"remark":"x"}']).errMsg).toMatch(/SetFriendRemark: argument 1 \(params\) field toUserID/);
    expect(refusal('SetFriendRemark', ['{"toUserID":"b"}']).errMsg).toMatch(/field remark must be a string, got nothing/);
  });

  it('ChangeGroupMute refuses the third argument newer clients send', () => {
    expect(refusal('ChangeGroupMute', ['g1', true, '[]']).errCode).toBe(10002);
  });

  it.each(['SetConversationRecvMessageOpt', 'SetConversationBurnDuration'])('%s refuses integers the core decodes into an int32 field, naming the range', (name) => {
    expect(corePlan(name, ['si_a_b', 2 ** 31 - 1]).args).toHaveLength(2);
    const r = refusal(name, ['si_a_b', 2 ** 40]);
    expect(r.errCode).toBe(10002);
    expect(r.errMsg).toMatch(/argument 2 \(\w+\) must be an integer from -2147483648 to 2147483647, got number 1099511627776/);
    expect(refusal(name, ['si_a_b', -(2 ** 31) - 1]).errCode).toBe(10002);
  });

  it.each([
    ['JoinGroup', ['g1', 'hi', 2 ** 31, ''], 3],
    ['GetGroupMemberList', ['g1', 0, 0, 2 ** 31], 4],
    ['GetGroupMemberList', ['g1', -(2 ** 31) - 1, 0, 10], 2],
    ['GetGroupMemberListByJoinTimeFilter', ['g1', 2 ** 40, 10, 0, 0, '[]'], 2],
    ['GetOneConversation', [2 ** 31, 'bob'], 1],
  ] as const)('%s refuses %j: the core would wrap its int32 argument %i silently', (name, data, position) => {
    const r = refusal(name, [...data]);
    expect(r.errCode).toBe(10002);
    expect(r.errMsg).toMatch(new RegExp(`argument ${position} \\(\\w+\\) must be an integer from -2147483648 to 2147483647`));
  });

  it('SetGlobalRecvMessageOpt refuses an opt beyond int32', () => {
    expect(refusal('SetGlobalRecvMessageOpt', [2 ** 40]).errMsg).toMatch(/from -2147483648 to 2147483647/);
  });
});

describe('defaults and tolerated shapes', () => {
  it.each([
    ['AddBlack', ['bob'], ['bob', '']],
    ['AddBlack', ['bob', null], ['bob', '']],
    ['AddBlack', ['bob', 'why'], ['bob', 'why']],
    ['JoinGroup', ['g1', 'hi', 3], ['g1', 'hi', 3, '']],
    ['JoinGroup', ['g1', 'hi', 3, 'ex'], ['g1', 'hi', 3, 'ex']],
    ['GetGroupMemberListByJoinTimeFilter', ['g1', 0, 10, 0, 0, null], ['g1', 0, 10, 0, 0, '[]']],
    ['GetGroupMemberListByJoinTimeFilter', ['g1', 0, 10, 0, 0], ['g1', 0, 10, 0, 0, '[]']],
    ['GetGroupMemberListByJoinTimeFilter', ['g1', 0, 10, 0, 0, '["u"]'], ['g1', 0, 10, 0, 0, '["u"]']],
    ['CreateTextAtMessage', ['hi', '["u"]', null, ''], ['hi', '["u"]', '', '']],
    ['CreateTextAtMessage', ['hi', '["u"]', '[{"atUserID":"u"}]', '{"a":1}'], ['hi', '["u"]', '[{"atUserID":"u"}]', '{"a":1}']],
    ['CreateQuoteMessage', ['hi', { clientMsgID: 'm' }], ['hi', '{"clientMsgID":"m"}']],
    ['CreateQuoteMessage', ['hi', '{"clientMsgID":"m"}'], ['hi', '{"clientMsgID":"m"}']],
    ['GetMultipleConversation', ['["si_a_b","g_1"]'], ['["si_a_b","g_1"]']],
    ['GetMultipleConversation', ['si_a_b'], ['["si_a_b"]']],
    ['GetUsersInfoWithCache', ['["u1"]'], ['["u1"]']],
    ['GetUsersInfoWithCache', ['["u1"]', null], ['["u1"]']],
    ['CheckFriend', ['null'], ['null']],
  ] as Array<[string, unknown[], unknown[]]>)('%s %j', (name, data, args) => {
    expect(corePlan(name, data).args).toEqual(args);
  });

  it('an empty string is not an ID list', () => {
    expect(refusal('GetMultipleConversation', ['']).errCode).toBe(10002);
  });
});

describe('session rows', () => {
  it('plans Login with the checked userID and token', () => {
    expect(plan('Login', ['alice', 'tok'])).toEqual({ kind: 'session', reqFuncName: 'Login', fn: 'login', args: ['alice', 'tok'] });
  });

  it('refuses a Login for another user than the handshake', () => {
    const err = refusal('Login', ['mallory', 'tok']);
    expect(err.errCode).toBe(10002);
    expect(err.errMsg).toMatch(/Login: argument 1 \(userID\) "mallory"/);
  });

  it('refuses an empty token', () => {
    expect(refusal('Login', ['alice', '']).errMsg).toContain('argument 2 (token)');
  });

  it('plans Logout', () => {
    expect(plan('Logout', [])).toEqual({ kind: 'session', reqFuncName: 'Logout', fn: 'logout', args: [] });
  });

  it('plans SetAppBackgroundStatus as the session (background is per socket), checking its boolean', () => {
    expect(plan('SetAppBackgroundStatus', [true])).toEqual({ kind: 'session', reqFuncName: 'SetAppBackgroundStatus', fn: 'setAppBackgroundStatus', args: [true] });
    expect(refusal('SetAppBackgroundStatus', ['yes']).errMsg).toContain('argument 1 (isInBackground) must be a boolean');
  });
});

describe('local rows', () => {
  it('answers GetLoginUserID with the quoted handshake userID', () => {
    expect(plan('GetLoginUserID', [])).toEqual({ kind: 'local', reqFuncName: 'GetLoginUserID', data: '"alice"' });
  });

  it.each([
    [1, 'bob', 'si_alice_bob'],
    [1, 'aaron', 'si_aaron_alice'],
    [2, 'g1', 'g_g1'],
    [3, 'g1', 'sg_g1'],
    [4, 'bob', 'sn_alice_bob'],
    [4, 'admin', 'sn_admin_alice'],
    [0, 'bob', ''],
    [5, 'bob', ''],
  ])('GetConversationIDBySessionType type %i with %s', (sessionType, sourceID, expected) => {
    expect(plan('GetConversationIDBySessionType', [sourceID, sessionType])).toEqual({
      kind: 'local',
      reqFuncName: 'GetConversationIDBySessionType',
      data: JSON.stringify(expected),
    });
  });

  it('sorts IDs in UTF-8 byte order like the core', () => {
    // JS string order puts the surrogate pair of U+1F600 before U+FF5E; UTF-8 order does not.
    expect(conversationID(1, '\u{1F600}', '\uFF5E')).toBe('si_\uFF5E_\u{1F600}');
  });
});

describe('pass-through to the loaded core', () => {
  it("calls an unknown UpperCamel name by the core's lowerCamel name, with the items as is", () => {
    const p = corePlan('DebugEcho', [{ a: [1, 2] }]);
    expect(p).toEqual({
      kind: 'core',
      reqFuncName: 'DebugEcho',
      fn: 'debugEcho',
      args: [{ a: [1, 2] }],
      style: 'async',
      passThrough: true,
    });
  });

  it('reaches 3.8 names the client does not know', () => {
    expect(corePlan('SetConversation', ['c1', '{"ex":"x"}']).fn).toBe('setConversation');
  });

  it('still checks sync-style functions', () => {
    expect(corePlan('CreateAdvancedTextMessage', ['hi', '[]']).style).toBe('sync');
    const err = refusal('CreateAdvancedTextMessage', ['hi']);
    expect(err.errCode).toBe(10002);
    expect(err.errMsg).toContain('CreateAdvancedTextMessage');
  });

  it('refuses names the core does not register, naming them', () => {
    const err = refusal('FooBar', []);
    expect(err.errCode).toBe(20002);
    expect(err.errMsg).toContain('"FooBar"');
  });

  it('refuses lowerCamel and odd names even when the core has them', () => {
    for (const name of ['debugEcho', 'login', 'getFriendList', 'Debug-Echo', '', 'constructor', '__proto__', 'ToString']) {
      expect(refusal(name, []).errCode, name).toBe(20002);
    }
  });

  it('never reaches functions the server manages', () => {
    for (const fn of SERVER_MANAGED_FUNCTIONS) {
      const name = fn[0]!.toUpperCase() + fn.slice(1);
      // Some are table rows (Login → session manager, SendMessage → sendMessageNotOss).
      for (const data of [[], ['alice', 't'], ['{"a":1}', 'r', '', '{}', false]]) {
        const result = planRequest(name, data, identity, allFunctions);
        if (!isProtocolError(result) && result.kind === 'core') expect(result.fn, name).not.toBe(fn);
      }
      if (!Object.hasOwn(REQUESTS, name)) expect(refusal(name, []).errCode, name).toBe(20002);
    }
    expect(refusal('UnInitSDK', []).errMsg).toContain('the server manages unInitSDK');
  });
});

describe('responseData', () => {
  const asyncPlan = corePlan('GetSelfUserInfo', []);
  const syncPlan = corePlan('CreateTextMessage', ['hi']);

  it('sends async results unchanged', () => {
    expect(responseData(asyncPlan, '{"userID":"alice"}', true)).toEqual({ data: '{"userID":"alice"}' });
    expect(responseData(asyncPlan, '""', true)).toEqual({ data: '""' });
  });

  it('sends a non-text async result as JSON', () => {
    expect(responseData(asyncPlan, 3, true)).toEqual({ data: '3' });
    expect(responseData(asyncPlan, null, true)).toEqual({ data: 'null' });
  });

  it('unwraps sync results', () => {
    expect(responseData(syncPlan, ['{"clientMsgID":"m"}'], true)).toEqual({ data: '{"clientMsgID":"m"}' });
    expect(responseData(corePlan('GetLoginStatus', []), [3], true)).toEqual({ data: '3' });
    expect(responseData(corePlan('GetLoginStatus', []), [-1001], false)).toEqual({ data: '-1001' });
  });

  it.each([[['']], [[]], [[null]]])('turns the sync failure %j into 10004 when not logged in, else 10002', (value) => {
    const notLoggedIn = responseData(syncPlan, value, false);
    expect(notLoggedIn).toMatchObject({ kind: 'error', errCode: 10004 });
    expect((notLoggedIn as ProtocolError).errMsg).toContain('CreateTextMessage');
    expect(responseData(syncPlan, value, true)).toMatchObject({ kind: 'error', errCode: 10002 });
  });

  it('reports a sync answer that is not an array as internal', () => {
    expect(responseData(syncPlan, '{"x":1}', true)).toMatchObject({ errCode: 10006 });
  });

  it('passes local answers and session results through', () => {
    expect(responseData(plan('GetLoginUserID', []), null, false)).toEqual({ data: '"alice"' });
    expect(responseData(plan('Login', ['alice', 't']), '""', false)).toEqual({ data: '""' });
  });

  describe('reshaping friends into FullUserItem', () => {
    const friend = {
      ownerUserID: 'alice',
      userID: 'bob',
      remark: 'B',
      nickname: 'Bob',
      faceURL: 'http://f',
      ex: 'e',
      createTime: 1700000000000,
      addSource: 1,
      operatorUserID: 'alice',
      attachedInfo: '',
      isPinned: false,
    };

    it.each(['GetFriendList', 'GetSpecifiedFriendsInfo'])('%s', (name) => {
      const p = corePlan(name, name === 'GetFriendList' ? [] : ['["bob"]']);
      const out = responseData(p, JSON.stringify([friend]), true);
      expect(JSON.parse((out as { data: string }).data)).toEqual([
        {
          publicInfo: { userID: 'bob', nickname: 'Bob', faceURL: 'http://f', ex: 'e' },
          friendInfo: friend,
          blackInfo: null,
        },
      ]);
    });

    it('accepts the Go field name friendUserID', () => {
      const { userID: _omit, ...rest } = friend;
      const out = responseData(corePlan('GetFriendList', []), JSON.stringify([{ ...rest, friendUserID: 'bob' }]), true);
      const [item] = JSON.parse((out as { data: string }).data) as Array<{ publicInfo: { userID: string }; friendInfo: { userID: string } }>;
      expect(item?.publicInfo.userID).toBe('bob');
      expect(item?.friendInfo.userID).toBe('bob');
    });

    it('leaves records that already have the 3.5 shape alone', () => {
      const shaped = [{ publicInfo: { userID: 'bob' }, friendInfo: friend, blackInfo: { userID: 'bob' } }];
      const out = responseData(corePlan('GetFriendList', []), JSON.stringify(shaped), true);
      expect(JSON.parse((out as { data: string }).data)).toEqual(shaped);
    });

    it('treats null as an empty list and refuses other shapes', () => {
      expect(responseData(corePlan('GetFriendList', []), 'null', true)).toEqual({ data: '[]' });
      for (const bad of ['{}', '[1]', 'not json', '"x"']) {
        expect(responseData(corePlan('GetFriendList', []), bad, true), bad).toMatchObject({ errCode: 10006 });
      }
    });
  });

  it('wraps public users into FullUserItemWithCache', () => {
    const user = { userID: 'bob', nickname: 'Bob', faceURL: '', ex: '', createTime: 1 };
    const out = responseData(corePlan('GetUsersInfoWithCache', ['["bob"]', '']), JSON.stringify([user]), true);
    expect(JSON.parse((out as { data: string }).data)).toEqual([{ publicInfo: user, friendInfo: null, blackInfo: null, groupMemberInfo: null }]);
  });

  describe('companion calls fill what 3.5 answered in one call', () => {
    // LocalBlack's JSON names the blocked user `userID`.
    const black = { ownerUserID: 'alice', userID: 'bob', nickname: 'Bob', faceURL: '', createTime: 5, addSource: 0, operatorUserID: 'alice', ex: '', attachedInfo: '' };
    const friend = {
      ownerUserID: 'alice',
      userID: 'bob',
      remark: 'B',
      nickname: 'Bob',
      faceURL: '',
      ex: '',
      createTime: 1,
      addSource: 1,
      operatorUserID: 'alice',
      attachedInfo: '',
      isPinned: false,
    };
    const member = {
      groupID: 'g1',
      userID: 'bob',
      nickname: 'Bob',
      faceURL: '',
      roleLevel: 20,
      joinTime: 1,
      joinSource: 2,
      inviterUserID: 'alice',
      muteEndTime: 0,
      operatorUserID: 'alice',
      ex: '',
      attachedInfo: '',
    };
    const user = { userID: 'bob', nickname: 'Bob', faceURL: '', ex: '', createTime: 1 };
    const carol = { userID: 'carol', nickname: 'Carol', faceURL: '', ex: '', createTime: 1 };

    it('friend lists ask for the black list and mark blocked friends', () => {
      for (const name of ['GetFriendList', 'GetSpecifiedFriendsInfo']) {
        const p = corePlan(name, name === 'GetFriendList' ? [] : ['["bob"]']);
        expect(p.companions, name).toEqual([{ fn: 'getBlackList', args: [] }]);
        const out = responseData(p, JSON.stringify([friend]), true, [JSON.stringify([black])]);
        expect(JSON.parse((out as { data: string }).data), name).toEqual([
          { publicInfo: { userID: 'bob', nickname: 'Bob', faceURL: '', ex: '' }, friendInfo: friend, blackInfo: { ...black, userID: 'bob' } },
        ]);
      }
    });

    it('getUsersInfoWithCache asks for friends, blacks and (with a groupID) the members of the group', () => {
      expect(corePlan('GetUsersInfoWithCache', ['["bob","carol"]', 'g1']).companions).toEqual([
        { fn: 'getSpecifiedFriendsInfo', args: ['["bob","carol"]', false] },
        { fn: 'getBlackList', args: [] },
        { fn: 'getSpecifiedGroupMembersInfo', args: ['g1', '["bob","carol"]'] },
      ]);
      expect(corePlan('GetUsersInfoWithCache', ['["bob"]']).companions).toHaveLength(2);
      const p = corePlan('GetUsersInfoWithCache', ['["bob","carol"]', 'g1']);
      const out = responseData(p, JSON.stringify([user, carol]), true, [JSON.stringify([friend]), JSON.stringify([black]), JSON.stringify([member])]);
      expect(JSON.parse((out as { data: string }).data)).toEqual([
        { publicInfo: user, friendInfo: friend, blackInfo: { ...black, userID: 'bob' }, groupMemberInfo: member },
        { publicInfo: carol, friendInfo: null, blackInfo: null, groupMemberInfo: null },
      ]);
    });

    it('reads a black record under the Go field name too', () => {
      const { userID: _omit, ...rest } = black;
      const out = responseData(corePlan('GetFriendList', []), JSON.stringify([friend]), true, [JSON.stringify([{ ...rest, blockUserID: 'bob' }])]);
      expect((JSON.parse((out as { data: string }).data) as Array<{ blackInfo: unknown }>)[0]?.blackInfo).toMatchObject({ userID: 'bob' });
    });

    it('a failed or unreadable companion leaves its part null, not the request failed', () => {
      const p = corePlan('GetUsersInfoWithCache', ['["bob"]', 'g1']);
      const out = responseData(p, JSON.stringify([user]), true, [undefined, 'not json', '{"x":1}']);
      expect(JSON.parse((out as { data: string }).data)).toEqual([{ publicInfo: user, friendInfo: null, blackInfo: null, groupMemberInfo: null }]);
    });
  });

  it('does not reshape rows without a reshaper', () => {
    const raw = '[{"userID":"bob"}]';
    expect(responseData(corePlan('GetBlackList', []), raw, true)).toEqual({ data: raw });
  });
});
