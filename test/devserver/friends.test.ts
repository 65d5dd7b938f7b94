import { describe, expect, it } from 'vitest';
import { devServerForFile } from './helpers/im-client.ts';

const { online, api } = devServerForFile();

function tipsOf(msg: { content: Uint8Array }): Record<string, unknown> {
  return JSON.parse((JSON.parse(Buffer.from(msg.content).toString('utf8')) as { detail: string }).detail) as Record<string, unknown>;
}

interface Incremental {
  version: number;
  versionID: string;
  full: boolean;
  insert: { ownerUserID: string; friendUser: { userID: string; nickname: string }; addSource: number; createTime: number }[];
  delete: string[];
}

describe('friends', () => {
  it('apply → the recipient (and the applicant) get FriendApplication 1203 in n_, unstored, with the request', async () => {
    const [ann, ben] = [await online('f_ann'), await online('f_ben')];
    const r = await api('f_ann', '/friend/add_friend', { fromUserID: 'f_ann', toUserID: 'f_ben', reqMsg: 'hi, ann here', ex: 'x' });
    expect(r.json).toEqual({ errCode: 0, errMsg: '', errDlt: '' });

    for (const c of [ben, ann]) {
      const pushed = await c.waitFor(() => c.pushedMsgs().find((p) => p.msg.contentType === 1203));
      expect(pushed).toMatchObject({
        conversationID: 'n_f_ann_f_ben',
        notification: true,
        msg: { seq: 0, sendID: 'f_ann', recvID: 'f_ben', sessionType: 1, msgFrom: 200 },
      });
      expect(pushed.operationID).not.toBe('');
      expect(tipsOf(pushed.msg)).toMatchObject({
        fromToUserID: { fromUserID: 'f_ann', toUserID: 'f_ben' },
        request: { fromUserID: 'f_ann', fromNickname: 'f_ann', toUserID: 'f_ben', toNickname: 'f_ben', handleResult: 0, reqMsg: 'hi, ann here', ex: 'x' },
      });
    }
    // notifications of this kind are not stored: nothing to pull
    const newest = await ben.call(1001, 'GetMaxSeqReq', { userID: 'f_ben' }, 'GetMaxSeqResp');
    expect(newest.data.maxSeqs).toEqual({});

    const asRecipient = await api('f_ben', '/friend/get_friend_apply_list', { userID: 'f_ben', pagination: { pageNumber: 1, showNumber: 100 }, handleResults: [] });
    expect(asRecipient.json?.data).toMatchObject({ total: 1, FriendRequests: [expect.objectContaining({ fromUserID: 'f_ann', handleResult: 0 })] });
    const asApplicant = await api('f_ann', '/friend/get_self_friend_apply_list', { userID: 'f_ann', pagination: { pageNumber: 1, showNumber: 100 }, handleResults: [] });
    expect(asApplicant.json?.data).toMatchObject({ total: 1, friendRequests: [expect.objectContaining({ toUserID: 'f_ben' })] });
    const count = await api('f_ben', '/friend/get_self_unhandled_apply_count', { userID: 'f_ben', time: 0 });
    expect(count.json?.data).toEqual({ count: 1 });
    // someone else's list is not readable
    const foreign = await api('f_ann', '/friend/get_friend_apply_list', { userID: 'f_ben', pagination: { pageNumber: 1, showNumber: 100 } });
    expect(foreign.json?.errCode).toBe(1002);
  });

  it('agree → friends both ways, versioned deltas, 1201 notification plus its stored tips message in si_', async () => {
    const [cat, dan] = [await online('f_cat'), await online('f_dan')];
    // both sync their (empty) lists first, as a logged-in core has
    const before: Record<string, Incremental> = {};
    for (const u of ['f_cat', 'f_dan']) {
      const full = await api(u, '/friend/get_incremental_friends', { userID: u, versionID: '', version: 0 });
      expect(full.json?.data).toMatchObject({ full: true, insert: [], sortVersion: 0 });
      before[u] = full.json?.data as unknown as Incremental;
    }
    expect((await api('f_cat', '/friend/add_friend', { fromUserID: 'f_cat', toUserID: 'f_dan', reqMsg: '', ex: '' })).json?.errCode).toBe(0);
    // only the recipient may answer
    const wrong = await api('f_cat', '/friend/add_friend_response', { fromUserID: 'f_cat', toUserID: 'f_dan', handleResult: 1, handleMsg: '' });
    expect(wrong.json?.errCode).toBe(1002);
    const ok = await api('f_dan', '/friend/add_friend_response', { fromUserID: 'f_cat', toUserID: 'f_dan', handleResult: 1, handleMsg: 'welcome' });
    expect(ok.json).toEqual({ errCode: 0, errMsg: '', errDlt: '' });

    for (const c of [cat, dan]) {
      const approved = await c.waitFor(() => c.pushedMsgs().find((p) => p.msg.contentType === 1201 && p.notification));
      expect(approved).toMatchObject({ conversationID: 'n_f_cat_f_dan', msg: { seq: 0, sendID: 'f_dan', recvID: 'f_cat' } });
      expect(tipsOf(approved.msg)).toMatchObject({
        fromToUserID: { fromUserID: 'f_cat', toUserID: 'f_dan' },
        handleMsg: 'welcome',
        request: { handleResult: 1, handlerUserID: 'f_dan', handleMsg: 'welcome' },
      });
      const tips = await c.waitFor(() => c.pushedMsgs().find((p) => p.msg.contentType === 1201 && !p.notification));
      expect(tips).toMatchObject({ conversationID: 'si_f_cat_f_dan', msg: { seq: 1, sendID: 'f_dan' } });
    }

    for (const [owner, friend] of [
      ['f_cat', 'f_dan'],
      ['f_dan', 'f_cat'],
    ] as const) {
      const prev = before[owner]!;
      const delta = await api(owner, '/friend/get_incremental_friends', { userID: owner, versionID: prev.versionID, version: prev.version });
      const d = delta.json?.data as unknown as Incremental;
      expect(d).toMatchObject({ full: false, version: prev.version + 1, versionID: prev.versionID, delete: [] });
      expect(d.insert).toEqual([
        expect.objectContaining({ ownerUserID: owner, addSource: 2, friendUser: expect.objectContaining({ userID: friend, nickname: friend }) }),
      ]);
      // FriendInfo times are seconds
      expect(d.insert[0]!.createTime).toBeLessThan(1e11);
      const list = await api(owner, '/friend/get_friend_list', { userID: owner, pagination: { pageNumber: 1, showNumber: 100 } });
      expect(list.json?.data).toMatchObject({ total: 1, friendsInfo: [expect.objectContaining({ friendUser: expect.objectContaining({ userID: friend }) })] });
      const ids = await api(owner, '/friend/get_full_friend_user_ids', { userID: owner, idHash: 0 });
      expect(ids.json?.data).toMatchObject({ userIDs: [friend], versionID: prev.versionID });
    }
    // the chat now exists for both, and the tips message counts as the approver's own
    const conv = await api('f_cat', '/conversation/get_all_conversations', { ownerUserID: 'f_cat' });
    expect(conv.json?.data).toEqual({ conversations: [expect.objectContaining({ conversationID: 'si_f_cat_f_dan', userID: 'f_dan' })] });
    const seqs = await dan.call(
      1006,
      'GetConversationsHasReadAndMaxSeqReq',
      { userID: 'f_dan', conversationIDs: [], returnPinned: false },
      'GetConversationsHasReadAndMaxSeqResp',
    );
    expect(seqs.data.seqs['si_f_cat_f_dan']).toMatchObject({ maxSeq: 1, hasReadSeq: 1 });

    // answered once only; applying again to a friend is refused
    const twice = await api('f_dan', '/friend/add_friend_response', { fromUserID: 'f_cat', toUserID: 'f_dan', handleResult: 1, handleMsg: '' });
    expect(twice.json).toMatchObject({ errCode: 1001 });
    const again = await api('f_cat', '/friend/add_friend', { fromUserID: 'f_cat', toUserID: 'f_dan', reqMsg: '', ex: '' });
    expect(again.json).toMatchObject({ errCode: 1304, errMsg: 'RelationshipAlreadyError' });
    const isFriend = await api('f_cat', '/friend/is_friend', { userID1: 'f_cat', userID2: 'f_dan' });
    expect(isFriend.json?.data).toEqual({ inUser1Friends: true, inUser2Friends: true });

    // deleting is one-sided and reaches the other side's log as a delete
    const cur = (await api('f_cat', '/friend/get_incremental_friends', { userID: 'f_cat', versionID: '', version: 0 })).json?.data as unknown as Incremental;
    expect((await api('f_cat', '/friend/delete_friend', { ownerUserID: 'f_cat', friendUserID: 'f_dan' })).json?.errCode).toBe(0);
    const afterDelete = await api('f_cat', '/friend/get_incremental_friends', { userID: 'f_cat', versionID: cur.versionID, version: cur.version });
    expect(afterDelete.json?.data).toMatchObject({ full: false, delete: ['f_dan'], insert: [] });
    const deleted = await dan.waitFor(() => dan.pushedMsgs().find((p) => p.msg.contentType === 1205));
    expect(deleted).toMatchObject({ conversationID: 'n_f_cat_f_dan', msg: { seq: 0, sendID: 'f_cat' } });
    const danStill = await api('f_dan', '/friend/is_friend', { userID1: 'f_dan', userID2: 'f_cat' });
    expect(danStill.json?.data).toEqual({ inUser1Friends: true, inUser2Friends: false });
  });

  it('refuse → 1202 to the applicant; crossed applications are both settled by one agree', async () => {
    const [eve, fay] = [await online('f_eve'), await online('f_fay')];
    await online('f_gus');
    await api('f_eve', '/friend/add_friend', { fromUserID: 'f_eve', toUserID: 'f_fay', reqMsg: 'me?', ex: '' });
    const refused = await api('f_fay', '/friend/add_friend_response', { fromUserID: 'f_eve', toUserID: 'f_fay', handleResult: -1, handleMsg: 'no' });
    expect(refused.json?.errCode).toBe(0);
    const rejected = await eve.waitFor(() => eve.pushedMsgs().find((p) => p.msg.contentType === 1202));
    expect(tipsOf(rejected.msg)).toMatchObject({ handleMsg: 'no', request: { handleResult: -1 } });
    expect(fay.pushedMsgs().some((p) => p.msg.contentType === 1201)).toBe(false);
    expect((await api('f_fay', '/friend/is_friend', { userID1: 'f_fay', userID2: 'f_eve' })).json?.data).toEqual({ inUser1Friends: false, inUser2Friends: false });
    // no application, or a bad answer
    const none = await api('f_fay', '/friend/add_friend_response', { fromUserID: 'f_gus', toUserID: 'f_fay', handleResult: 1, handleMsg: '' });
    expect(none.json?.errCode).toBe(1004);
    const bad = await api('f_fay', '/friend/add_friend_response', { fromUserID: 'f_eve', toUserID: 'f_fay', handleResult: 2, handleMsg: '' });
    expect(bad.json?.errCode).toBe(1001);
    const self = await api('f_eve', '/friend/add_friend', { fromUserID: 'f_eve', toUserID: 'f_eve', reqMsg: '', ex: '' });
    expect(self.json).toMatchObject({ errCode: 1301 });
    const ghost = await api('f_eve', '/friend/add_friend', { fromUserID: 'f_eve', toUserID: 'f_nobody', reqMsg: '', ex: '' });
    expect(ghost.json).toMatchObject({ errCode: 1004 });

    // a repeated application is pending again; crossing it and agreeing settles both
    await api('f_eve', '/friend/add_friend', { fromUserID: 'f_eve', toUserID: 'f_fay', reqMsg: 'please', ex: '' });
    await api('f_fay', '/friend/add_friend', { fromUserID: 'f_fay', toUserID: 'f_eve', reqMsg: 'ok you too', ex: '' });
    const pending = await api('f_fay', '/friend/get_friend_apply_list', { userID: 'f_fay', pagination: { pageNumber: 1, showNumber: 10 }, handleResults: [0] });
    expect(pending.json?.data).toMatchObject({ total: 1, FriendRequests: [expect.objectContaining({ reqMsg: 'please', handleMsg: '' })] });
    expect((await api('f_fay', '/friend/add_friend_response', { fromUserID: 'f_eve', toUserID: 'f_fay', handleResult: 1, handleMsg: '' })).json?.errCode).toBe(0);
    const both = await api('f_eve', '/friend/get_designated_friend_apply', { fromUserID: 'f_eve', toUserID: 'f_fay' });
    const requests = (both.json?.data as { friendRequests: { fromUserID: string; handleResult: number }[] }).friendRequests;
    expect(requests.map((r) => [r.fromUserID, r.handleResult]).sort()).toEqual([
      ['f_eve', 1],
      ['f_fay', 1],
    ]);
    expect((await api('f_eve', '/friend/is_friend', { userID1: 'f_eve', userID2: 'f_fay' })).json?.data).toEqual({ inUser1Friends: true, inUser2Friends: true });
  });
});
