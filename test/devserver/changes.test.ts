/**
 * The routes that change things after the first sync (black lists, revocation, deletion,
 * clearing, group administration), on real sockets with the hand-made client: their rules
 * and error codes, who gets each notification, and what later pulls show each user.
 */
import { describe, expect, it } from 'vitest';
import { encodeProto } from '../../src/devserver/protocol/proto-codec.ts';
import { contentText, devServerForFile, textMsg, type ImTestClient } from './helpers/im-client.ts';

const { online, api } = devServerForFile();

const ok = async (as: string, path: string, body: unknown): Promise<Record<string, unknown> | undefined> => {
  const r = await api(as, path, body);
  expect(r.json?.errCode, `${path}: ${JSON.stringify(r.json)}`).toBe(0);
  return r.json?.data;
};
const code = async (as: string, path: string, body: unknown): Promise<number | undefined> => (await api(as, path, body)).json?.errCode;

async function send(c: ImTestClient, to: { recvID: string } | { groupID: string }, text: string): Promise<{ errCode: number }> {
  return { errCode: (await c.request(1003, encodeProto('MsgData', textMsg(c.userID, to, text)))).errCode };
}

/** Content types of the notifications the client was pushed, in order. */
const pushedTypes = (c: ImTestClient): number[] =>
  c
    .pushedMsgs()
    .filter((p) => p.notification)
    .map((p) => p.msg.contentType);

async function group(owner: string, members: string[], needVerification = 0): Promise<string> {
  const data = await ok(owner, '/group/create_group', {
    memberUserIDs: members,
    adminUserIDs: [],
    ownerUserID: owner,
    groupInfo: { groupName: 'g', groupType: 2, needVerification },
  });
  return (data?.['groupInfo'] as { groupID: string }).groupID;
}

describe('black lists', () => {
  it('add_black: the blocked user cannot write (1302), both get 1207; remove_black lets them write again', async () => {
    const [ann, ben] = [await online('b_ann'), await online('b_ben')];
    await ok('b_ann', '/friend/add_black', { ownerUserID: 'b_ann', blackUserID: 'b_ben', ex: 'x' });
    for (const c of [ann, ben]) await c.waitFor(() => (pushedTypes(c).includes(1207) ? true : undefined));
    expect(await ok('b_ann', '/friend/get_black_list', { userID: 'b_ann', pagination: { pageNumber: 1, showNumber: 10 } })).toMatchObject({
      total: 1,
      blacks: [{ ownerUserID: 'b_ann', blackUserInfo: { userID: 'b_ben' }, ex: 'x', operatorUserID: 'b_ann' }],
    });
    expect((await send(ben, { recvID: 'b_ann' }, 'hi')).errCode).toBe(1302);
    expect((await send(ann, { recvID: 'b_ben' }, 'hi')).errCode, 'the blocker still can').toBe(0);
    expect(await code('b_ben', '/friend/add_black', { ownerUserID: 'b_ann', blackUserID: 'b_ben' }), 'only for oneself').toBe(1002);
    await ok('b_ann', '/friend/remove_black', { ownerUserID: 'b_ann', blackUserID: 'b_ben' });
    expect((await send(ben, { recvID: 'b_ann' }, 'hi again')).errCode).toBe(0);
  });

  it('update_friends and set_friend_remark need an existing friendship', async () => {
    await online('b_cid');
    expect(await code('b_cid', '/friend/update_friends', { ownerUserID: 'b_cid', friendUserIDs: ['b_ann'], remark: 'x' })).toBe(1004);
    expect(await code('b_cid', '/friend/update_friends', { ownerUserID: 'b_cid', friendUserIDs: [] })).toBe(1001);
    expect(await code('b_cid', '/friend/set_friend_remark', { ownerUserID: 'b_cid', friendUserID: 'b_ann', remark: 'x' })).toBe(1004);
  });
});

describe('revoke, delete, clear', () => {
  it('revoke_msg: only the sender; the notice is stored; later pulls show the revoked notice in its place; twice → 1404', async () => {
    const [ada, bo] = [await online('r_ada'), await online('r_bo')];
    await send(ada, { recvID: 'r_bo' }, 'oops');
    const id = 'si_r_ada_r_bo';
    expect(await code('r_bo', '/msg/revoke_msg', { userID: 'r_bo', conversationID: id, seq: 1 }), 'not the sender').toBe(1002);
    expect(await code('r_bo', '/msg/revoke_msg', { userID: 'r_ada', conversationID: id, seq: 1 }), 'not oneself').toBe(1002);
    expect(await code('r_ada', '/msg/revoke_msg', { userID: 'r_ada', conversationID: id, seq: 9 })).toBe(1004);
    await ok('r_ada', '/msg/revoke_msg', { userID: 'r_ada', conversationID: id, seq: 1 });
    const notice = await bo.waitFor(() => bo.pushedMsgs().find((p) => p.msg.contentType === 2101));
    expect(notice).toMatchObject({ conversationID: 'n_r_ada_r_bo', notification: true, msg: { seq: 1, sessionType: 1 } });
    const tips = JSON.parse((JSON.parse(Buffer.from(notice.msg.content).toString()) as { detail: string }).detail) as Record<string, unknown>;
    expect(tips).toMatchObject({ revokerUserID: 'r_ada', seq: 1, conversationID: id, isAdminRevoke: false });
    const pulled = await bo.call(1005, 'GetSeqMessageReq', { userID: 'r_bo', conversations: [{ conversationID: id, seqs: [1] }] }, 'GetSeqMessageResp');
    expect(pulled.data.msgs[id]?.Msgs[0]).toMatchObject({ contentType: 2101, seq: 1 });
    expect(await code('r_ada', '/msg/revoke_msg', { userID: 'r_ada', conversationID: id, seq: 1 })).toBe(1404);
  });

  it('delete_msgs and clear: gone for the caller only; pulls start after the clear; newest-seq says where', async () => {
    const [cy, di] = [await online('d_cy'), await online('d_di')];
    for (const t of ['one', 'two', 'three']) await send(cy, { recvID: 'd_di' }, t);
    const id = 'si_d_cy_d_di';
    await ok('d_di', '/msg/delete_msgs', { userID: 'd_di', conversationID: id, seqs: [2] });
    const pull = async (c: ImTestClient) =>
      (await c.call(1002, 'PullMessageBySeqsReq', { userID: c.userID, seqRanges: [{ conversationID: id, begin: 1, end: 3, num: 10 }] }, 'PullMessageBySeqsResp')).data
        .msgs[id]?.Msgs ?? [];
    expect((await pull(di)).map((m) => m.status)).toEqual([1, 4, 1]);
    expect((await pull(cy)).map((m) => contentText(m))).toEqual(['one', 'two', 'three']);
    await ok('d_di', '/msg/clear_conversation_msg', { userID: 'd_di', conversationIDs: [id] });
    expect(await pull(di)).toEqual([]);
    expect((await pull(cy)).length).toBe(3);
    expect(await ok('d_di', '/msg/get_conversations_has_read_and_max_seq', { userID: 'd_di', conversationIDs: [id] })).toMatchObject({
      seqs: { [id]: { maxSeq: 3, hasReadSeq: 3 } },
    });
    const newest = await di.call(1001, 'GetMaxSeqReq', { userID: 'd_di' }, 'GetMaxSeqResp');
    expect(newest.data).toMatchObject({ maxSeqs: { [id]: 3 }, minSeqs: { [id]: 4 } });
    await send(cy, { recvID: 'd_di' }, 'four');
    expect((await pull(di)).length, 'nothing below the clear, and the range asked ends at 3').toBe(0);
  });

  it('pulls answer for the connection’s user whatever the request says', async () => {
    const [ed, , gil] = [await online('p_ed'), await online('p_flo'), await online('p_gil')];
    await send(gil, { recvID: 'p_flo' }, 'private');
    const forged = await ed.call(
      1002,
      'PullMessageBySeqsReq',
      { userID: 'p_flo', seqRanges: [{ conversationID: 'si_p_flo_p_gil', begin: 1, end: 5, num: 10 }] },
      'PullMessageBySeqsResp',
    );
    expect(forged.data.msgs).toEqual({});
  });

  it('send_business_notification: admins only (a user gets 1002)', async () => {
    await online('x_hal');
    expect(await code('x_hal', '/msg/send_business_notification', { key: 'k', data: 'd', sendUserID: 'x_hal', recvUserID: 'x_hal' })).toBe(1002);
  });
});

describe('conversation settings', () => {
  it('burn after reading reaches the peer (1701); only for the caller’s chat with a registered user', async () => {
    const [ivy, jon] = [await online('c_ivy'), await online('c_jon')];
    const set = (peer: string, conversationID: string) =>
      api('c_ivy', '/conversation/set_conversations', { userIDs: ['c_ivy'], conversation: { conversationID, conversationType: 1, userID: peer, isPrivateChat: true } });
    expect((await set('c_nobody', 'si_c_ivy_c_nobody')).json?.errCode).toBe(1001);
    expect((await set('c_jon', 'si_c_jon_c_someone')).json?.errCode).toBe(1001);
    expect((await set('c_jon', 'si_c_ivy_c_jon')).json?.errCode).toBe(0);
    await jon.waitFor(() => (pushedTypes(jon).includes(1701) ? true : undefined));
    await ivy.waitFor(() => (pushedTypes(ivy).includes(1300) ? true : undefined));
    const peer = await ok('c_jon', '/conversation/get_conversations', { ownerUserID: 'c_jon', conversationIDs: ['si_c_ivy_c_jon'] });
    expect(peer).toMatchObject({ conversations: [{ isPrivateChat: true }] });
  });
});

describe('group administration', () => {
  it('kick_group: only managers; kicked users still hear it; their chat stops at the notice', async () => {
    const [own, mem, oth] = [await online('k_own'), await online('k_mem'), await online('k_oth')];
    const g = await group('k_own', ['k_mem', 'k_oth']);
    expect(await code('k_mem', '/group/kick_group', { groupID: g, kickedUserIDs: ['k_oth'] }), 'an ordinary member').toBe(1002);
    expect(await code('k_own', '/group/kick_group', { groupID: g, kickedUserIDs: ['k_own'] }), 'oneself').toBe(1001);
    await ok('k_own', '/group/kick_group', { groupID: g, kickedUserIDs: ['k_oth'] });
    for (const c of [own, mem, oth]) await c.waitFor(() => (pushedTypes(c).includes(1508) ? true : undefined));
    await send(own, { groupID: g }, 'after');
    await mem.waitFor(() => mem.pushedMsgs().find((p) => p.msg.contentType === 101));
    const ranges = { userID: 'k_oth', seqRanges: [{ conversationID: `sg_${g}`, begin: 1, end: 10, num: 10 }] };
    const seen = await oth.call(1002, 'PullMessageBySeqsReq', ranges, 'PullMessageBySeqsResp');
    expect(seen.data.msgs[`sg_${g}`]?.Msgs.map((m) => m.contentType)).toEqual([1501, 1508]);
    const members = await ok('k_own', '/group/get_group_member_list', { groupID: g, pagination: { pageNumber: 1, showNumber: 10 } });
    expect((members?.['members'] as { userID: string }[]).map((m) => m.userID)).toEqual(['k_own', 'k_mem']);
  });

  it('applications: to the managers and the applicant; answered once (1206); the owner cannot quit (1002)', async () => {
    const [own, app] = [await online('a_own'), await online('a_app')];
    const g = await group('a_own', []);
    await ok('a_app', '/group/join_group', { groupID: g, reqMessage: 'hi', joinSource: 3, inviterUserID: 'a_app' });
    for (const c of [own, app]) await c.waitFor(() => (pushedTypes(c).includes(1503) ? true : undefined));
    const tips = JSON.parse(
      (JSON.parse(Buffer.from(own.pushedMsgs().find((p) => p.msg.contentType === 1503)!.msg.content).toString()) as { detail: string }).detail,
    ) as Record<string, unknown>;
    expect(tips).toMatchObject({ reqMsg: 'hi', uuid: expect.any(String), request: { userInfo: { userID: 'a_app' }, groupInfo: { groupID: g }, handleResult: 0 } });
    expect(await ok('a_own', '/group/get_recv_group_applicationList', { fromUserID: 'a_own', pagination: { pageNumber: 1, showNumber: 10 } })).toMatchObject({
      total: 1,
    });
    expect(await code('a_app', '/group/group_application_response', { groupID: g, fromUserID: 'a_app', handleResult: 1 }), 'not a manager').toBe(1004);
    await ok('a_own', '/group/group_application_response', { groupID: g, fromUserID: 'a_app', handledMsg: 'ok', handleResult: 1 });
    expect(await code('a_own', '/group/group_application_response', { groupID: g, fromUserID: 'a_app', handleResult: 1 })).toBe(1206);
    await app.waitFor(() => (pushedTypes(app).includes(1505) && pushedTypes(app).includes(1510) ? true : undefined));
    expect(await code('a_own', '/group/quit_group', { groupID: g, userID: 'a_own' })).toBe(1002);
    await ok('a_app', '/group/quit_group', { groupID: g, userID: 'a_app' });
    await app.waitFor(() => (pushedTypes(app).includes(1504) ? true : undefined));
  });

  it('set_group_info_ex logs the change for member syncs (which then carry the group); dismiss_group: members hear it, then are gone, sending is 1204', async () => {
    const [own, mem] = [await online('s_own'), await online('s_mem')];
    const g = await group('s_own', ['s_mem']);
    const first = (await ok('s_mem', '/group/get_incremental_group_members', { groupID: g, versionID: '', version: 0 })) as { versionID: string; version: number };
    expect(await code('s_mem', '/group/set_group_info_ex', { groupID: g, groupName: 'x' }), 'not a manager').toBe(1002);
    await ok('s_own', '/group/set_group_info_ex', { groupID: g, groupName: 'renamed', notification: 'hello' });
    await mem.waitFor(() => (pushedTypes(mem).includes(1520) && pushedTypes(mem).includes(1519) ? true : undefined));
    const delta = await ok('s_mem', '/group/get_incremental_group_members', { groupID: g, versionID: first.versionID, version: first.version });
    expect(delta).toMatchObject({ full: false, update: [], group: { groupName: 'renamed', notification: 'hello', notificationUserID: 's_own' } });
    expect(await code('s_own', '/group/mute_group_member', { groupID: g, userID: 's_mem', mutedSeconds: -1 })).toBe(1001);
    await ok('s_own', '/group/mute_group_member', { groupID: g, userID: 's_mem', mutedSeconds: 60 });
    expect((await send(mem, { groupID: g }, 'muted?')).errCode).toBe(1402);
    expect(await code('s_mem', '/group/dismiss_group', { groupID: g }), 'not the owner').toBe(1002);
    await ok('s_own', '/group/dismiss_group', { groupID: g });
    for (const c of [own, mem]) await c.waitFor(() => (pushedTypes(c).includes(1511) ? true : undefined));
    expect((await send(own, { groupID: g }, 'anyone?')).errCode).toBe(1204);
    const joined = await ok('s_mem', '/group/get_full_join_group_ids', { userID: 's_mem' });
    expect(joined?.['groupIDs']).toEqual([]);
  });
});
