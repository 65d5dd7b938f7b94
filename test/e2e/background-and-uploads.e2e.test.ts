/**
 * Two things a mini-program user does that the 3.8 core alone would get wrong for them, with
 * the real client through the gateway (official core) to the dev server:
 * - background is a property of the socket: one hidden tab must not silence the others, and
 *   the core goes to background only when every tab is hidden;
 * - a picture sent through the client's own upload path arrives, and its URL gives back the
 *   very bytes that were sent.
 */
import { CbEvents, type MessageItem } from 'open-im-sdk';
import { describe, expect, it } from 'vitest';
import { E2eClient, e2eEnvForFile, openTabs, receivedMessages, sendText, textOf, until, within, type E2eEnv } from './helpers/harness.ts';
import { gradientPng } from './helpers/png.ts';

let env: E2eEnv;
/** Small parts, so that the picture below goes up in several. */
const PART_SIZE = 16 * 1024;
const clients = e2eEnvForFile((started) => (env = started), { dev: { objects: { limits: { partSize: PART_SIZE } } } });

function got(tab: E2eClient, text: string): boolean {
  return receivedMessages(tab).some((m) => textOf(m) === text);
}

/** Whether the core's IM connection told the dev server it is in background. */
function coreInBackground(userID: string): boolean | undefined {
  const [conn] = env.dev.connections(userID);
  return conn?.isBackground;
}

describe('e2e: background status per socket', () => {
  it('one hidden tab does not silence the other; the core hides only when all tabs do; a tab that returns has what came meanwhile', async () => {
    const [amy] = await openTabs(env, clients, 'bg_amy');
    const [bob1, bob2] = await openTabs(env, clients, 'bg_bob', 2);

    await within(bob1!.sdk.setAppBackgroundStatus(true), 'bob#1 hides');
    await sendText(amy!, 'while one tab hides', { recvID: 'bg_bob' });
    for (const tab of [bob1!, bob2!]) await until(() => got(tab, 'while one tab hides'), `${tab.name} gets the message`);
    expect(coreInBackground('bg_bob'), 'the core stays in the foreground while a tab is visible').toBe(false);

    await within(bob2!.sdk.setAppBackgroundStatus(true), 'bob#2 hides too');
    await until(() => coreInBackground('bg_bob') === true, 'the core goes to background once every tab is hidden');
    const meanwhile = await sendText(amy!, 'while both hide', { recvID: 'bg_bob' });
    // The core reports it as an offline message; 3.5.2 tabs know only new messages.
    for (const tab of [bob1!, bob2!]) await until(() => got(tab, 'while both hide'), `${tab.name} gets the message sent while hidden`);

    await within(bob1!.sdk.setAppBackgroundStatus(false), 'bob#1 returns');
    await until(() => coreInBackground('bg_bob') === false, 'the core is back in the foreground as soon as one tab is');
    const history = await within(
      bob1!.sdk.getAdvancedHistoryMessageList({ conversationID: 'si_bg_amy_bg_bob', lastMinSeq: 0, count: 20, startClientMsgID: '' }),
      'bob#1 history',
    );
    expect((history.data as { messageList: MessageItem[] }).messageList.map((m) => m.clientMsgID)).toContain(meanwhile.clientMsgID);
    await sendText(amy!, 'after the return', { recvID: 'bg_bob' });
    for (const tab of [bob1!, bob2!]) await until(() => got(tab, 'after the return'), `${tab.name} gets the next message`);
    // every message reached every tab exactly once, and only as new messages
    for (const tab of [bob1!, bob2!]) {
      for (const text of ['while one tab hides', 'while both hide', 'after the return']) {
        expect(
          receivedMessages(tab).filter((m) => textOf(m) === text),
          `${tab.name}: ${text}`,
        ).toHaveLength(1);
      }
      expect(
        tab.frames().some((f) => f.event.startsWith('OnRecvOffline') || f.event.startsWith('OnRecvOnlineOnly')),
        tab.name,
      ).toBe(false);
    }
  }, 60_000);

  it('when the last visible tab goes, the hidden ones put the core in background; a new visible tab brings it back', async () => {
    const [cal] = await openTabs(env, clients, 'bg_cal');
    const [dee1, dee2] = await openTabs(env, clients, 'bg_dee', 2);
    await within(dee1!.sdk.setAppBackgroundStatus(true), 'dee#1 hides');
    expect(coreInBackground('bg_dee')).toBe(false);
    // dee#2 (visible) loses its socket; the client would reconnect after 5 s
    dee2!.socket!.close();
    await until(() => coreInBackground('bg_dee') === true, 'the core goes to background with only a hidden tab left', 4000);
    const dee3 = new E2eClient('bg_dee', dee1!.token, 'bg_dee#3');
    clients.push(dee3);
    await within(dee3.login(env), 'dee#3 logs in');
    await until(() => coreInBackground('bg_dee') === false, 'a new visible tab brings the core back');
    await sendText(cal!, 'to the visible tab', { recvID: 'bg_dee' });
    for (const tab of [dee1!, dee3]) await until(() => got(tab, 'to the visible tab'), `${tab.name} gets the message`);
  }, 60_000);
});

describe('e2e: pictures through the client upload path', () => {
  it('a real PNG goes up in parts through createImageMessageByFile; the receiver fetches the same bytes back', async () => {
    const [amy] = await openTabs(env, clients, 'up_amy');
    const [bob] = await openTabs(env, clients, 'up_bob');
    const png = gradientPng(200, 150);
    expect(png.length).toBeGreaterThan(2 * PART_SIZE);
    const file = new File([new Uint8Array(png)], 'gradient.png', { type: 'image/png' });
    const picture = { uuid: 'gradient', type: 'png', size: png.length, width: 200, height: 150, url: '' };
    const created = await within(
      amy!.sdk.createImageMessageByFile({ sourcePath: 'gradient.png', sourcePicture: { ...picture }, bigPicture: { ...picture }, snapshotPicture: { ...picture }, file }),
      'createImageMessageByFile',
    );
    await within(amy!.sdk.sendMessage({ recvID: 'up_bob', groupID: '', message: created.data }), 'send the picture');
    const event = await bob!.waitEvent(CbEvents.OnRecvNewMessages, (e) => (e.data as MessageItem[]).some((m) => m.clientMsgID === created.data.clientMsgID));
    const received = (event.data as MessageItem[]).find((m) => m.clientMsgID === created.data.clientMsgID)!;
    const url = received.pictureElem?.sourcePicture.url ?? '';
    expect(url).toBe(`${env.dev.apiUrl}/object/up_amy/gradient.png`);
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    const snapshot = await fetch(received.pictureElem.snapshotPicture.url);
    expect(snapshot.status).toBe(200);
  }, 60_000);
});
