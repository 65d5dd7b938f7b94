import { describe, expect, it } from 'vitest';
import { encodeProto } from '../../src/devserver/protocol/proto-codec.ts';
import { contentText, devServerForFile, textMsg } from './helpers/im-client.ts';

const { online, api } = devServerForFile();

async function createGroup(owner: string, members: string[], extra: Record<string, unknown> = {}) {
  const r = await api(owner, '/group/create_group', {
    memberUserIDs: members,
    adminUserIDs: [],
    ownerUserID: owner,
    groupInfo: {
      groupID: '',
      groupName: 'team',
      groupType: 2,
      creatorUserID: owner,
      notification: '',
      introduction: '',
      faceURL: '',
      ex: '',
      needVerification: 0,
      lookMemberInfo: 0,
      applyMemberFriend: 0,
    },
    sendMessage: null,
    ...extra,
  });
  expect(r.json?.errCode, JSON.stringify(r.json)).toBe(0);
  return (r.json?.data as { groupInfo: { groupID: string; ownerUserID: string; memberCount: number } }).groupInfo;
}

describe('(c) a small group', () => {
  it('create_group: reply, GroupCreated notification (seq 0) and the stored tips message (seq 1) to every member', async () => {
    const [alice, bob, carol] = [await online('g_alice'), await online('g_bob'), await online('g_carol')];
    const group = await createGroup('g_alice', ['g_bob', 'g_carol']);
    expect(group).toMatchObject({ ownerUserID: 'g_alice', memberCount: 3, groupName: 'team', status: 0, groupType: 2 });
    expect(group.groupID).toMatch(/^[0-9]+$/);

    for (const c of [alice, bob, carol]) {
      const pushed = await c.waitFor(() => (c.pushedMsgs().length >= 2 ? c.pushedMsgs() : undefined));
      const notification = pushed.find((p) => p.notification);
      const tips = pushed.find((p) => !p.notification);
      expect(notification).toMatchObject({ conversationID: `n_${group.groupID}`, msg: { seq: 0, contentType: 1501, sessionType: 3, msgFrom: 200 } });
      expect(notification?.operationID).not.toBe('');
      expect(tips).toMatchObject({ conversationID: `sg_${group.groupID}`, msg: { seq: 1, contentType: 1501, groupID: group.groupID } });
      const detail = JSON.parse((JSON.parse(Buffer.from(tips!.msg.content).toString()) as { detail: string }).detail) as {
        group: { groupID: string };
        opUser: { userID: string };
        groupMemberVersionID: string;
      };
      expect(detail.group.groupID).toBe(group.groupID);
      expect(detail.opUser.userID).toBe('g_alice');
      expect(detail.groupMemberVersionID).toMatch(/^[0-9a-f]{24}$/);
    }

    // members sync the group and its members
    const incr = await api('g_bob', '/group/get_incremental_join_groups', { userID: 'g_bob', versionID: '', version: 0 });
    expect(incr.json?.data).toMatchObject({ full: true });
    const joined = await api('g_bob', '/group/get_joined_group_list', { fromUserID: 'g_bob', pagination: { pageNumber: 1, showNumber: 100 } });
    expect(joined.json?.data).toMatchObject({ total: 1, groups: [expect.objectContaining({ groupID: group.groupID, memberCount: 3 })] });
    const ids = await api('g_bob', '/group/get_full_join_group_ids', { userID: 'g_bob', idHash: 0 });
    expect(ids.json?.data).toMatchObject({ equal: false, groupIDs: [group.groupID] });
    const v = incr.json?.data as { versionID: string; version: number };
    const again = await api('g_bob', '/group/get_incremental_join_groups', { userID: 'g_bob', versionID: v.versionID, version: v.version });
    expect(again.json?.data).toMatchObject({ full: false, insert: [], update: [], delete: [] });
    // a version 0 pair is never valid (full again), a real older version gets the delta
    const zero = await api('g_bob', '/group/get_incremental_join_groups', { userID: 'g_bob', versionID: v.versionID, version: 0 });
    expect(zero.json?.data).toMatchObject({ full: true });
    const second = await createGroup('g_carol', ['g_bob']);
    const delta = await api('g_bob', '/group/get_incremental_join_groups', { userID: 'g_bob', versionID: v.versionID, version: v.version });
    expect(delta.json?.data).toMatchObject({ full: false, version: v.version + 1, insert: [expect.objectContaining({ groupID: second.groupID })] });

    const batch = await api('g_bob', '/group/get_incremental_group_members_batch', {
      userID: 'g_bob',
      reqList: [{ groupID: group.groupID, versionID: '', version: 0 }],
    });
    expect((batch.json?.data as { respList: Record<string, unknown> }).respList[group.groupID]).toMatchObject({
      full: true,
      group: expect.objectContaining({ groupID: group.groupID }),
    });
    const list = await api('g_bob', '/group/get_group_member_list', { groupID: group.groupID, pagination: { pageNumber: 1, showNumber: 100 }, filter: 0, keyword: '' });
    expect(list.json?.data).toMatchObject({ total: 3 });
    expect((list.json?.data as { members: { userID: string; roleLevel: number; nickname: string }[] }).members.map((m) => [m.userID, m.roleLevel, m.nickname])).toEqual([
      ['g_alice', 100, 'g_alice'],
      ['g_bob', 20, 'g_bob'],
      ['g_carol', 20, 'g_carol'],
    ]);
    const info = await api('g_carol', '/group/get_groups_info', { groupIDs: [group.groupID, 'nope'] });
    expect((info.json?.data as { groupInfos: unknown[] }).groupInfos).toHaveLength(1);
    for (const c of [bob, carol]) await c.waitFor(() => (c.pushedMsgs().length >= 4 ? true : undefined));
    for (const c of [alice, bob, carol]) c.unsolicited.length = 0;
    const membersInfo = await api('g_carol', '/group/get_group_members_info', { groupID: group.groupID, userIDs: ['g_alice'] });
    expect(membersInfo.json?.data).toMatchObject({ members: [expect.objectContaining({ userID: 'g_alice', roleLevel: 100 })] });

    // every member has the group conversation already
    const conv = await api('g_alice', '/conversation/get_all_conversations', { ownerUserID: 'g_alice' });
    expect(conv.json?.data).toEqual({ conversations: [expect.objectContaining({ conversationID: `sg_${group.groupID}`, conversationType: 3, groupID: group.groupID })] });

    // a group message reaches all three, with the next seq
    const sent = await bob.call(1003, 'MsgData', textMsg('g_bob', { groupID: group.groupID }, 'hi team'), 'SendMsgResp');
    expect(sent.resp.errCode).toBe(0);
    for (const c of [alice, bob, carol]) {
      const msg = await c.waitFor(() => c.pushedMsgs().find((p) => p.msg.contentType === 101));
      expect(msg).toMatchObject({ conversationID: `sg_${group.groupID}`, msg: { seq: 2, sendID: 'g_bob' } });
      expect(contentText(msg.msg)).toBe('hi team');
    }
    const newest = await alice.call(1001, 'GetMaxSeqReq', { userID: 'g_alice' }, 'GetMaxSeqResp');
    expect(newest.data.maxSeqs).toEqual({ [`sg_${group.groupID}`]: 2 });
  });

  it('sending to a group one is not in → 1203; to a group that does not exist → 1004', async () => {
    const dan = await online('g_dan');
    await online('g_erin');
    const group = await createGroup('g_erin', []);
    expect(await dan.request(1003, encodeProto('MsgData', textMsg('g_dan', { groupID: group.groupID }, 'x')))).toMatchObject({
      errCode: 1203,
      errMsg: 'NotInGroupYetError',
    });
    expect(await dan.request(1003, encodeProto('MsgData', textMsg('g_dan', { groupID: '999' }, 'x')))).toMatchObject({
      errCode: 1004,
      errMsg: 'RecordNotFoundError',
    });
  });

  it('create_group rules: owner must be the caller, members must exist and not repeat, type 2 only', async () => {
    await online('g_fay');
    await online('g_gus');
    const base = { adminUserIDs: [], groupInfo: { groupType: 2 } };
    expect((await api('g_fay', '/group/create_group', { ...base, ownerUserID: 'g_gus', memberUserIDs: [] })).json?.errCode).toBe(1002);
    expect((await api('g_fay', '/group/create_group', { ...base, ownerUserID: 'g_fay', memberUserIDs: ['ghost'] })).json).toMatchObject({
      errCode: 1101,
      errMsg: 'UserIDNotFoundError',
    });
    expect((await api('g_fay', '/group/create_group', { ...base, ownerUserID: 'g_fay', memberUserIDs: ['g_fay'] })).json?.errCode).toBe(1001);
    expect((await api('g_fay', '/group/create_group', { ...base, ownerUserID: 'g_fay', memberUserIDs: [], groupInfo: { groupType: 1 } })).json?.errCode).toBe(1001);
    const g = await createGroup('g_fay', ['g_gus'], { groupInfo: { groupID: 'fixed_id', groupType: 2 } });
    expect(g.groupID).toBe('fixed_id');
    expect(
      (await api('g_fay', '/group/create_group', { ...base, ownerUserID: 'g_fay', memberUserIDs: [], groupInfo: { groupID: 'fixed_id', groupType: 2 } })).json,
    ).toMatchObject({
      errCode: 1202,
    });
    // outsiders cannot read members
    await online('g_hal');
    expect((await api('g_hal', '/group/get_group_members_info', { groupID: 'fixed_id', userIDs: ['g_fay'] })).json?.errCode).toBe(1002);
  });

  it('sendMessage:false sends only the unstored notification', async () => {
    const ida = await online('g_ida');
    const group = await createGroup('g_ida', [], { sendMessage: false });
    const [only] = await ida.waitFor(() => (ida.pushedMsgs().length > 0 ? ida.pushedMsgs() : undefined));
    expect(only).toMatchObject({ notification: true, msg: { seq: 0 } });
    const conv = await api('g_ida', '/conversation/get_all_conversations', { ownerUserID: 'g_ida' });
    expect(conv.json?.data).toEqual({ conversations: [] });
    expect(group.groupID).not.toBe('');
  });
});

describe('read marks', () => {
  it('mark_conversation_as_read advances has-read, tells the peer, and syncs own devices', async () => {
    const reader = await online('r_reader');
    const writer = await online('r_writer');
    for (const t of ['a', 'b', 'c']) await writer.call(1003, 'MsgData', textMsg('r_writer', { recvID: 'r_reader' }, t), 'SendMsgResp');
    const id = 'si_r_reader_r_writer';
    const r = await api('r_reader', '/msg/mark_conversation_as_read', { conversationID: id, userID: 'r_reader', hasReadSeq: 3, seqs: [] });
    expect(r.json).toEqual({ errCode: 0, errMsg: '', errDlt: '' });
    const seqs = await reader.call(1006, 'GetConversationsHasReadAndMaxSeqReq', { userID: 'r_reader' }, 'GetConversationsHasReadAndMaxSeqResp');
    expect(seqs.data.seqs[id]).toMatchObject({ maxSeq: 3, hasReadSeq: 3 });
    const receipt = await writer.waitFor(() => writer.pushedMsgs().find((p) => p.msg.contentType === 2200));
    expect(receipt).toMatchObject({ notification: true, conversationID: 'n_r_reader_r_writer', msg: { seq: 1 } });
    const tips = JSON.parse((JSON.parse(Buffer.from(receipt.msg.content).toString()) as { detail: string }).detail) as unknown;
    expect(tips).toEqual({ markAsReadUserID: 'r_reader', conversationID: id, seqs: [1, 2, 3], hasReadSeq: 3 });
    // the receipt conversation shows up in 1001 as the notification twin
    const newest = await writer.call(1001, 'GetMaxSeqReq', { userID: 'r_writer' }, 'GetMaxSeqResp');
    expect(newest.data.maxSeqs).toEqual({ [id]: 3, n_r_reader_r_writer: 1 });
    // the pulled messages are now flagged read
    const pulled = await writer.call(1005, 'GetSeqMessageReq', { userID: 'r_writer', conversations: [{ conversationID: id, seqs: [1] }], order: 0 }, 'GetSeqMessageResp');
    expect(pulled.data.msgs[id]?.Msgs[0]?.isRead).toBe(true);
    expect((await api('r_reader', '/msg/set_conversation_has_read_seq', { conversationID: id, userID: 'r_reader', hasReadSeq: 9 })).json?.errCode).toBe(1001);
    expect((await api('r_reader', '/msg/mark_msgs_as_read', { conversationID: id, userID: 'r_reader', seqs: [] })).json?.errCode).toBe(1001);
    expect((await api('r_reader', '/msg/mark_conversation_as_read', { conversationID: 'si_x', userID: 'r_reader', hasReadSeq: 1 })).json?.errCode).toBe(1004);
  });
});
