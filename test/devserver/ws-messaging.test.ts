import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/dev-server.ts';
import { decodeProto, encodeProto } from '../../src/devserver/protocol/proto-codec.ts';
import { callApi, contentText, ImTestClient, textMsg } from './helpers/im-client.ts';

let server: DevServer;
const clients: ImTestClient[] = [];

beforeAll(async () => {
  server = await startDevServer({ apiPort: 0, wsPort: 0 });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

async function login(userID: string, platformID = 5): Promise<ImTestClient> {
  const token = await server.userToken(userID, platformID);
  const { client, handshake } = await ImTestClient.connect(server.wsUrl, { userID, token, platformID });
  expect(handshake).toEqual({ errCode: 0, errMsg: '', errDlt: '' });
  clients.push(client);
  return client;
}

describe('(a) login and initial sync', () => {
  it('a fresh user gets empty seqs over WS and empty-but-valid sync answers over HTTP', async () => {
    const a = await login('fresh1');
    const newest = await a.call(1001, 'GetMaxSeqReq', { userID: 'fresh1' }, 'GetMaxSeqResp');
    expect(newest.resp).toMatchObject({ reqIdentifier: 1001, errCode: 0, msgIncr: 'fresh1_1', operationID: 'op-fresh1_1' });
    expect(newest.data.maxSeqs).toEqual({});
    const read = await a.call(1006, 'GetConversationsHasReadAndMaxSeqReq', { userID: 'fresh1' }, 'GetConversationsHasReadAndMaxSeqResp');
    expect(read.data.seqs).toEqual({});

    const token = await server.userToken('fresh1', 5);
    for (const path of ['/group/get_incremental_join_groups', '/friend/get_incremental_friends', '/conversation/get_incremental_conversations']) {
      const r = await callApi(server.apiUrl, path, { userID: 'fresh1', versionID: '', version: 0 }, { token });
      expect(r.json?.errCode, path).toBe(0);
      expect(r.json?.data).toMatchObject({ full: true, delete: [], insert: [], update: [] });
    }
    const users = await callApi(server.apiUrl, '/user/get_users_info', { userIDs: ['fresh1'] }, { token });
    expect(users.json?.data).toEqual({
      usersInfo: [expect.objectContaining({ userID: 'fresh1', nickname: 'fresh1', faceURL: '', ex: '', appMangerLevel: 0, globalRecvMsgOpt: 0 })],
    });
    const blacks = await callApi(server.apiUrl, '/friend/get_black_list', { userID: 'fresh1', pagination: { pageNumber: 1, showNumber: 200 } }, { token });
    expect(blacks.json).toEqual({ errCode: 0, errMsg: '', errDlt: '', data: { blacks: [], total: 0 } });
  });

  it('2004 and 2003 are answered; 2003 then ends the connection', async () => {
    const a = await login('bye1');
    const bg = await a.request(2004, encodeProto('SetAppBackgroundStatusReq', { userID: 'bye1', isBackground: true }));
    expect(bg).toMatchObject({ reqIdentifier: 2004, errCode: 0, data: new Uint8Array(0) });
    const out = await a.request(2003, encodeProto('DelUserPushTokenReq', { userID: 'bye1', platformID: 5 }));
    expect(out).toMatchObject({ reqIdentifier: 2003, errCode: 0 });
    await a.closed;
  });

  it('1001 for somebody else is refused with NoPermissionError', async () => {
    const a = await login('nosy1');
    const r = await a.request(1001, encodeProto('GetMaxSeqReq', { userID: 'someoneElse' }));
    expect(r).toMatchObject({ errCode: 1002, errMsg: 'NoPermissionError' });
  });
});

describe('(b) one-to-one messages', () => {
  it('send → reply, then the stored message is pushed to every connection of both users', async () => {
    const alice = await login('alice_b');
    const alice2 = await login('alice_b', 1); // another platform of alice
    const bob = await login('bob_b');
    const sent = await alice.call(1003, 'MsgData', textMsg('alice_b', { recvID: 'bob_b' }, 'hello bob'), 'SendMsgResp');
    expect(sent.resp.errCode).toBe(0);
    expect(sent.data.serverMsgID).toMatch(/^[0-9a-f]{32}$/);
    expect(sent.data.sendTime).toBeGreaterThan(0);

    for (const c of [alice, alice2, bob]) {
      const [push] = await c.waitFor((f) => (f.some((x) => x.reqIdentifier === 2001) ? c.pushedMsgs() : undefined));
      expect(push?.conversationID).toBe('si_alice_b_bob_b');
      expect(push?.msg.seq).toBe(1);
      expect(push?.msg.serverMsgID).toBe(sent.data.serverMsgID);
      expect(push?.operationID).not.toBe('');
      expect(contentText(push!.msg)).toBe('hello bob');
    }

    // bob answers; the seq continues in the same conversation
    await bob.call(1003, 'MsgData', textMsg('bob_b', { recvID: 'alice_b' }, 'hi alice'), 'SendMsgResp');
    await alice.waitFor(() => (alice.pushedMsgs().length >= 2 ? true : undefined));
    expect(alice.pushedMsgs().map((p) => p.msg.seq)).toEqual([1, 2]);

    // 1001 / 1006 now know the conversation; the sender's has-read seq is its own last message
    const newest = await bob.call(1001, 'GetMaxSeqReq', { userID: 'bob_b' }, 'GetMaxSeqResp');
    expect(newest.data.maxSeqs).toEqual({ si_alice_b_bob_b: 2 });
    const read = await bob.call(1006, 'GetConversationsHasReadAndMaxSeqReq', { userID: 'bob_b' }, 'GetConversationsHasReadAndMaxSeqResp');
    expect(read.data.seqs['si_alice_b_bob_b']).toMatchObject({ maxSeq: 2, hasReadSeq: 2 });
    const readA = await alice.call(1006, 'GetConversationsHasReadAndMaxSeqReq', { userID: 'alice_b' }, 'GetConversationsHasReadAndMaxSeqResp');
    expect(readA.data.seqs['si_alice_b_bob_b']).toMatchObject({ maxSeq: 2, hasReadSeq: 1 });
  });

  it('1002 follows the real range rules (clamp, last num, isEnd) and 1005 marks missing seqs deleted', async () => {
    const c = await login('carol_b');
    const d = await login('dave_b');
    for (let i = 1; i <= 5; i++) await c.call(1003, 'MsgData', textMsg('carol_b', { recvID: 'dave_b' }, `m${i}`), 'SendMsgResp');
    const id = 'si_carol_b_dave_b';
    const onConnect = await d.call(
      1002,
      'PullMessageBySeqsReq',
      { userID: 'dave_b', seqRanges: [{ conversationID: id, begin: 0, end: 5, num: 1 }] },
      'PullMessageBySeqsResp',
    );
    expect(onConnect.data.msgs[id]?.Msgs.map((m) => m.seq)).toEqual([5]);
    expect(onConnect.data.msgs[id]?.isEnd).toBe(true);
    const gap = await d.call(1002, 'PullMessageBySeqsReq', { userID: 'dave_b', seqRanges: [{ conversationID: id, begin: 3, end: 9, num: 10 }] }, 'PullMessageBySeqsResp');
    expect(gap.data.msgs[id]?.Msgs.map((m) => contentText(m))).toEqual(['m3', 'm4', 'm5']);
    const notMine = await d.call(
      1002,
      'PullMessageBySeqsReq',
      { userID: 'dave_b', seqRanges: [{ conversationID: 'si_x_y', begin: 1, end: 5, num: 10 }] },
      'PullMessageBySeqsResp',
    );
    expect(notMine.data.msgs).toEqual({});

    const hist = await d.call(1005, 'GetSeqMessageReq', { userID: 'dave_b', conversations: [{ conversationID: id, seqs: [4, 5, 6] }], order: 0 }, 'GetSeqMessageResp');
    expect(hist.data.msgs[id]?.Msgs.map((m) => m.seq)).toEqual([4, 5]);
    expect(hist.data.msgs[id]).toMatchObject({ isEnd: true, endSeq: 5 });

    const last = await d.call(1007, 'GetLastMessageReq', { userID: 'dave_b', conversationIDs: [id, 'si_none'] }, 'GetLastMessageResp');
    expect(Object.keys(last.data.msgs)).toEqual([id]);
    expect(last.data.msgs[id]?.seq).toBe(5);
  });

  it('a message to a user that does not exist fails with RecordNotFoundError', async () => {
    const e = await login('erin_b');
    const r = await e.request(1003, encodeProto('MsgData', textMsg('erin_b', { recvID: 'nobody_here' }, 'x')));
    expect(r).toMatchObject({ errCode: 1004, errMsg: 'RecordNotFoundError' });
    expect(decodeProto('SendMsgResp', r.data).serverMsgID).toBe('');
  });

  it('an unknown session type is an ArgsError, a forged sendID NoPermissionError', async () => {
    const f = await login('frank_b');
    const bad = await f.request(1003, encodeProto('MsgData', { ...textMsg('frank_b', { recvID: 'erin_b' }, 'x'), sessionType: 2 }));
    expect(bad).toMatchObject({ errCode: 1001, errMsg: 'ArgsError' });
    const forged = await f.request(1003, encodeProto('MsgData', textMsg('erin_b', { recvID: 'frank_b' }, 'x')));
    expect(forged).toMatchObject({ errCode: 1002 });
  });

  it('an online-only message gets no seq and is not stored', async () => {
    const g = await login('gina_b');
    const h = await login('hank_b');
    const msg = { ...textMsg('gina_b', { recvID: 'hank_b' }, 'typing…'), options: { history: false, persistent: false } };
    await g.call(1003, 'MsgData', msg, 'SendMsgResp');
    const [push] = await h.waitFor(() => (h.pushedMsgs().length > 0 ? h.pushedMsgs() : undefined));
    expect(push?.msg.seq).toBe(0);
    const newest = await h.call(1001, 'GetMaxSeqReq', { userID: 'hank_b' }, 'GetMaxSeqResp');
    expect(newest.data.maxSeqs).toEqual({});
  });

  it('a user logging in after messages arrived finds the conversation in the incremental sync', async () => {
    const i = await login('ivy_b');
    await server.userToken('jack_b', 5); // registered, never connected
    await i.call(1003, 'MsgData', textMsg('ivy_b', { recvID: 'jack_b' }, 'are you there?'), 'SendMsgResp');
    const token = await server.userToken('jack_b', 5);
    const incr = await callApi(server.apiUrl, '/conversation/get_incremental_conversations', { userID: 'jack_b', versionID: '', version: 0 }, { token });
    expect(incr.json?.data).toMatchObject({ full: true });
    const list = await callApi(server.apiUrl, '/conversation/get_owner_conversation', { userID: 'jack_b', pagination: { pageNumber: 1, showNumber: 300 } }, { token });
    expect(list.json?.data).toMatchObject({
      total: 1,
      conversations: [expect.objectContaining({ ownerUserID: 'jack_b', conversationID: 'si_ivy_b_jack_b', conversationType: 1, userID: 'ivy_b' })],
    });
    const data = incr.json?.data as { version: number; versionID: string };
    const again = await callApi(
      server.apiUrl,
      '/conversation/get_incremental_conversations',
      { userID: 'jack_b', versionID: data.versionID, version: data.version },
      { token },
    );
    expect(again.json?.data).toMatchObject({ full: false, insert: [], update: [], delete: [] });
  });
});
