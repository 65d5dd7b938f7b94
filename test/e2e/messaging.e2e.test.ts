/**
 * The real client against the gateway (official core) and the dev server: friends, chat
 * in both directions across tabs, conversations and unread counts, a group, history.
 * Every test uses its own users, so none depends on another's leftovers.
 */
import { CbEvents, type ConversationItem, type MessageItem, type WsResponse } from 'open-im-sdk';
import { describe, expect, it } from 'vitest';
import { e2eEnvForFile, openTabs, receivedMessages, sendText, textOf, within, type E2eClient, type E2eEnv, type MessageLike } from './helpers/harness.ts';

let env: E2eEnv;
const clients = e2eEnvForFile((started) => (env = started));

function user(userID: string, tabs = 1): Promise<E2eClient[]> {
  return openTabs(env, clients, userID, tabs);
}

async function one(userID: string): Promise<E2eClient> {
  const [tab] = await user(userID);
  return tab!;
}

function hasText(text: string): (e: WsResponse) => boolean {
  return (e) => (e.data as MessageLike[]).some((m) => textOf(m) === text);
}

describe('e2e: messaging with open-im-sdk 3.5.2 → gateway (official core) → dev server', () => {
  it('two users add each other as friends', async () => {
    const ann = await one('e2e_ann');
    const [ben1, ben2] = await user('e2e_ben', 2);

    await within(ann.sdk.addFriend(JSON.stringify({ toUserID: 'e2e_ben', reqMsg: 'hello, ann here', ex: '' })), 'addFriend');
    for (const tab of [ben1!, ben2!]) {
      const added = await tab.waitEvent(CbEvents.OnFriendApplicationAdded);
      expect(added.data).toMatchObject({ fromUserID: 'e2e_ann', toUserID: 'e2e_ben', reqMsg: 'hello, ann here', handleResult: 0 });
    }
    const received = await within(ben1!.sdk.getFriendApplicationListAsRecipient(), 'getFriendApplicationListAsRecipient');
    expect(received.data).toEqual([expect.objectContaining({ fromUserID: 'e2e_ann', fromNickname: 'e2e_ann', handleResult: 0 })]);
    const sent = await within(ann.sdk.getFriendApplicationListAsApplicant(), 'getFriendApplicationListAsApplicant');
    expect(sent.data).toEqual([expect.objectContaining({ toUserID: 'e2e_ben', handleResult: 0 })]);

    await within(ben2!.sdk.acceptFriendApplication({ toUserID: 'e2e_ann', handleMsg: 'welcome' }), 'acceptFriendApplication');
    const accepted = await ann.waitEvent(CbEvents.OnFriendApplicationAccepted);
    expect(accepted.data).toMatchObject({ fromUserID: 'e2e_ann', toUserID: 'e2e_ben', handleResult: 1, handleMsg: 'welcome' });
    const annAdded = await ann.waitEvent(CbEvents.OnFriendAdded);
    expect(annAdded.data).toMatchObject({ ownerUserID: 'e2e_ann', userID: 'e2e_ben', nickname: 'e2e_ben', addSource: 2 });
    for (const tab of [ben1!, ben2!]) {
      const benAdded = await tab.waitEvent(CbEvents.OnFriendAdded);
      expect(benAdded.data).toMatchObject({ ownerUserID: 'e2e_ben', userID: 'e2e_ann', nickname: 'e2e_ann' });
    }
    const annFriends = await within(ann.sdk.getFriendList(), 'ann getFriendList');
    expect(annFriends.data).toEqual([
      { publicInfo: expect.objectContaining({ userID: 'e2e_ben' }), friendInfo: expect.objectContaining({ ownerUserID: 'e2e_ann', userID: 'e2e_ben' }), blackInfo: null },
    ]);
    const benFriends = await within(ben1!.sdk.getFriendList(), 'ben getFriendList');
    expect(benFriends.data).toEqual([
      { publicInfo: expect.objectContaining({ userID: 'e2e_ann' }), friendInfo: expect.objectContaining({ ownerUserID: 'e2e_ben', userID: 'e2e_ann' }), blackInfo: null },
    ]);
    const check = await within(ann.sdk.checkFriend(['e2e_ben', 'e2e_nobody']), 'checkFriend');
    expect(check.data).toEqual([expect.objectContaining({ userID: 'e2e_ben', result: 1 }), expect.objectContaining({ userID: 'e2e_nobody', result: 0 })]);
    const after = await within(ben1!.sdk.getFriendApplicationListAsRecipient(), 'getFriendApplicationListAsRecipient');
    expect(after.data).toEqual([expect.objectContaining({ fromUserID: 'e2e_ann', handleResult: 1 })]);
  }, 30_000);

  it('one-to-one text both ways: every tab of the receiver gets OnRecvNewMessages (batch), the sender none', async () => {
    const [amy1, amy2] = await user('e2e_amy', 2);
    const [bob1, bob2] = await user('e2e_bob', 2);

    const toBob = await sendText(amy1!, 'hi bob', { recvID: 'e2e_bob' });
    expect(toBob).toMatchObject({ status: 2, sendID: 'e2e_amy', recvID: 'e2e_bob', sessionType: 1, contentType: 101 });
    expect(toBob.serverMsgID).toMatch(/^[0-9a-f]{32}$/);
    for (const tab of [bob1!, bob2!]) {
      const event = await tab.waitEvent(CbEvents.OnRecvNewMessages, hasText('hi bob'));
      expect(event.data).toEqual([
        expect.objectContaining({ clientMsgID: toBob.clientMsgID, serverMsgID: toBob.serverMsgID, sendID: 'e2e_amy', recvID: 'e2e_bob', sessionType: 1, seq: 1 }),
      ]);
    }

    const toAmy = await sendText(bob2!, 'hi amy', { recvID: 'e2e_amy' });
    for (const tab of [amy1!, amy2!]) {
      const event = await tab.waitEvent(CbEvents.OnRecvNewMessages, hasText('hi amy'));
      expect(event.data).toEqual([expect.objectContaining({ clientMsgID: toAmy.clientMsgID, sendID: 'e2e_bob', recvID: 'e2e_amy', seq: 2 })]);
    }

    // each tab heard each message once, nobody heard their own, and nothing came in single mode
    for (const tab of [amy1!, amy2!, bob1!, bob2!]) {
      const mine = tab.userID === 'e2e_amy' ? toBob : toAmy;
      const theirs = tab.userID === 'e2e_amy' ? toAmy : toBob;
      const got = receivedMessages(tab);
      expect(got.filter((m) => m.clientMsgID === theirs.clientMsgID)).toHaveLength(1);
      expect(got.filter((m) => m.clientMsgID === mine.clientMsgID)).toHaveLength(0);
      expect(tab.named(CbEvents.OnRecvNewMessage)).toHaveLength(0);
    }
  }, 30_000);

  it('conversation list and unread count follow new messages; markConversationMessageAsRead brings them to 0', async () => {
    const conversationID = 'si_e2e_cal_e2e_dee';
    const cal = await one('e2e_cal');
    const dee = await one('e2e_dee');
    const unread = (e: WsResponse): number | undefined => (e.data as ConversationItem[]).find((c) => c.conversationID === conversationID)?.unreadCount;

    const m1 = await sendText(cal, 'one', { recvID: 'e2e_dee' });
    const created = await dee.waitEvent(CbEvents.OnNewConversation, (e) => unread(e) !== undefined);
    expect(unread(created)).toBe(1);
    const mark = dee.events.length;
    const m2 = await sendText(cal, 'two', { recvID: 'e2e_dee' });
    const m3 = await sendText(cal, 'three', { recvID: 'e2e_dee' });
    const changed = await dee.waitEvent(CbEvents.OnConversationChanged, (e) => unread(e) === 3, 10_000, mark);
    const conversation = (changed.data as ConversationItem[]).find((c) => c.conversationID === conversationID)!;
    expect(conversation).toMatchObject({ conversationType: 1, userID: 'e2e_cal', showName: 'e2e_cal' });
    expect(textOf(JSON.parse(conversation.latestMsg) as MessageLike)).toBe('three');
    await dee.waitEvent(CbEvents.OnTotalUnreadMessageCountChanged, (e) => e.data === 3, 10_000, mark);

    const list = await within(dee.sdk.getAllConversationList(), 'getAllConversationList');
    expect(list.data).toEqual([expect.objectContaining({ conversationID, unreadCount: 3 })]);
    expect((await within(dee.sdk.getTotalUnreadMsgCount(), 'getTotalUnreadMsgCount')).data).toBe(3);
    // the sender's side of the same conversation has nothing unread
    const calList = await within(cal.sdk.getAllConversationList(), 'sender getAllConversationList');
    expect(calList.data).toEqual([expect.objectContaining({ conversationID, unreadCount: 0, userID: 'e2e_dee' })]);

    const beforeRead = dee.events.length;
    await within(dee.sdk.markConversationMessageAsRead(conversationID), 'markConversationMessageAsRead');
    await dee.waitEvent(CbEvents.OnTotalUnreadMessageCountChanged, (e) => e.data === 0, 10_000, beforeRead);
    await dee.waitEvent(CbEvents.OnConversationChanged, (e) => unread(e) === 0, 10_000, beforeRead);
    expect((await within(dee.sdk.getTotalUnreadMsgCount(), 'getTotalUnreadMsgCount')).data).toBe(0);
    const after = await within(dee.sdk.getAllConversationList(), 'getAllConversationList');
    expect(after.data).toEqual([expect.objectContaining({ conversationID, unreadCount: 0 })]);
    // the sender learns its messages were read
    const receipt = await cal.waitEvent(CbEvents.OnRecvC2CReadReceipt);
    const [read] = receipt.data as { userID: string; sessionType: number; msgIDList: string[] }[];
    expect(read).toMatchObject({ userID: 'e2e_dee', sessionType: 1 });
    // Which of them the sender's core lists depends on its own bookkeeping; they are ours, at least one.
    expect(read!.msgIDList.length).toBeGreaterThan(0);
    for (const id of read!.msgIDList) expect([m1.clientMsgID, m2.clientMsgID, m3.clientMsgID]).toContain(id);
  }, 30_000);

  it('a 3-member group: created with createGroup, every member hears of it and gets its messages', async () => {
    const eli = await one('e2e_eli');
    const fox = await one('e2e_fox');
    const gil = await one('e2e_gil');

    const created = await within(
      eli.sdk.createGroup({ memberUserIDs: ['e2e_fox', 'e2e_gil'], adminUserIDs: [], ownerUserID: 'e2e_eli', groupInfo: { groupName: 'trio', groupType: 2 } }),
      'createGroup',
    );
    const groupID = created.data.groupID;
    expect(created.data).toMatchObject({ groupName: 'trio', ownerUserID: 'e2e_eli', memberCount: 3, groupType: 2 });
    expect(groupID).toMatch(/^[0-9]+$/);
    for (const tab of [fox, gil]) {
      const joined = await tab.waitEvent(CbEvents.OnJoinedGroupAdded, (e) => (e.data as { groupID: string }).groupID === groupID);
      expect(joined.data).toMatchObject({ groupName: 'trio', ownerUserID: 'e2e_eli' });
    }
    const members = await within(fox.sdk.getSpecifiedGroupMembersInfo({ groupID, userIDList: ['e2e_eli', 'e2e_fox', 'e2e_gil'] }), 'members');
    expect(members.data.map((m) => [m.userID, m.roleLevel]).sort()).toEqual([
      ['e2e_eli', 100],
      ['e2e_fox', 20],
      ['e2e_gil', 20],
    ]);

    const fromEli = await sendText(eli, 'hello trio', { groupID });
    expect(fromEli).toMatchObject({ status: 2, groupID, sessionType: 3 });
    for (const tab of [fox, gil]) {
      const event = await tab.waitEvent(CbEvents.OnRecvNewMessages, hasText('hello trio'));
      expect(event.data).toEqual([expect.objectContaining({ clientMsgID: fromEli.clientMsgID, groupID, sessionType: 3, sendID: 'e2e_eli' })]);
    }
    const fromGil = await sendText(gil, 'hi all', { groupID });
    for (const tab of [eli, fox]) {
      const event = await tab.waitEvent(CbEvents.OnRecvNewMessages, hasText('hi all'));
      expect(event.data).toEqual([expect.objectContaining({ clientMsgID: fromGil.clientMsgID, groupID, sendID: 'e2e_gil' })]);
    }
    for (const tab of [eli, fox, gil]) {
      const list = await within(tab.sdk.getAllConversationList(), `${tab.name} getAllConversationList`);
      expect(list.data).toEqual([expect.objectContaining({ conversationID: `sg_${groupID}`, groupID, conversationType: 3, showName: 'trio' })]);
    }
  }, 30_000);

  it('history: getAdvancedHistoryMessageList pages back over more than one page (count, startClientMsgID)', async () => {
    const conversationID = 'si_e2e_hal_e2e_ivy';
    const ivy = await one('e2e_ivy');
    await env.dev.userToken('e2e_hal');
    const texts = Array.from({ length: 23 }, (_, i) => `history ${i + 1}`);
    for (const text of texts) await sendText(ivy, text, { recvID: 'e2e_hal' });

    // hal logs in only now: the sync brings the newest message, older pages come from the server
    const hal = await one('e2e_hal');
    const pages: MessageItem[][] = [];
    let startClientMsgID = '';
    for (let i = 0; i < 5; i++) {
      const page = await within(hal.sdk.getAdvancedHistoryMessageList({ conversationID, count: 10, startClientMsgID, lastMinSeq: 0 }), `history page ${i + 1}`);
      pages.push(page.data.messageList);
      if (page.data.isEnd || page.data.messageList.length === 0) break;
      startClientMsgID = page.data.messageList[0]!.clientMsgID;
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 3]);
    const all = pages.reverse().flat();
    expect(all.map((m) => m.textElem?.content)).toEqual(texts);
    expect(all.map((m) => m.seq)).toEqual(texts.map((_, i) => i + 1));
  }, 30_000);
});
