/**
 * The playground page in a real headless browser (Debian's chromium driven by playwright-core):
 * the page loads open-im-sdk 3.5.2 from the gateway and signs in through it, with the official
 * core, against the dev server — the way `npm start` serves it, on free ports (the e2e harness;
 * `E2E_LOG=debug` shows the servers' logs).
 *
 * Chromium missing: the test skips with a note locally and fails under CI=1 (the suite's
 * reporter refuses skips there; .ci/run installs chromium).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playgroundSiteFor } from '../../src/playground/playground-site.ts';
import { startE2e, type E2eEnv } from '../e2e/helpers/harness.ts';
import { gradientPng } from '../e2e/helpers/png.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SCREENSHOT_DIR = new URL('../../test-results/', import.meta.url).pathname;
const silent = pino({ level: 'silent' });

let env: E2eEnv;
let base: string;
let browser: Browser | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  env = await startE2e({
    // The same decision and wiring as the CLI's: `auto` with a dev server serves the page.
    gateway: (dev) => {
      const playgroundSite = playgroundSiteFor('auto', { devServer: dev, openimApi: dev.apiUrl, logger: silent });
      return { workers: 1, ...(playgroundSite && { playgroundSite }) };
    },
  });
  base = `http://127.0.0.1:${env.gw.port}/`;
  if (existsSync(CHROMIUM)) browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await env?.close();
}, 60_000);

async function newPage(context: BrowserContext, path = '', at = base): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
  await page.goto(at + path);
  return page;
}

const connected = (page: Page): Promise<unknown> => page.locator('#conn[data-state="connected"]').waitFor();
const message = (page: Page, text: string) => page.locator('#messages .message', { hasText: text });

/** Waits until the message is on the page, confirmed by the server (not "sending…"). */
async function seen(page: Page, text: string): Promise<void> {
  await message(page, text)
    .locator('.meta', { hasNotText: /sending|not sent/ })
    .waitFor();
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#send');
  await seen(page, text);
}

describe('playground in a headless browser', () => {
  it('two users sign in, chat both ways, a second tab follows, a picture arrives, reload keeps history, sign-out reaches the other tab', async (ctx) => {
    if (browser === undefined) return ctx.skip(`no chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`);
    const aliceContext = await browser.newContext();
    const bobContext = await browser.newContext();

    // alice picks her name in the form; bob arrives by a link naming him.
    const alice = await newPage(aliceContext);
    await alice.fill('#user-id', 'alice');
    await alice.click('#sign-in-button');
    await connected(alice);
    expect(await alice.textContent('#me-name')).toBe('alice');
    const bob = await newPage(bobContext, '?user=bob');
    await connected(bob);

    // A name the form would refuse is refused by the server too, saying why.
    const stranger = await newPage(await browser.newContext(), '?user=no%20spaces');
    await stranger.locator('#sign-in-error', { hasText: 'userID must be 1 to 32 letters' }).waitFor();
    expect(await stranger.getAttribute('#conn', 'data-state')).toBe('signed-out');

    // Someone who never signed in cannot be written to, and the page says so.
    await alice.fill('#new-chat-user', 'nobody_here');
    await alice.press('#new-chat-user', 'Enter');
    await alice.locator('#new-chat-error', { hasText: 'No user named nobody_here yet' }).waitFor();
    expect(await alice.textContent('#pane-title')).toBe('Pick a conversation');

    // alice starts a chat with bob by name and writes.
    await alice.fill('#new-chat-user', 'bob');
    await alice.press('#new-chat-user', 'Enter');
    await alice.locator('#pane-title', { hasText: 'bob' }).waitFor();
    await send(alice, 'hello bob');

    // bob sees the conversation with one unread message, opens it, and it is read.
    const rowAtBob = bob.locator('.conversation[data-peer="alice"]');
    await rowAtBob.locator('.unread', { hasText: '1' }).waitFor();
    await bob.locator('#total-unread', { hasText: /^1$/ }).waitFor();
    await rowAtBob.click();
    await seen(bob, 'hello bob');
    await rowAtBob.locator('.unread').waitFor({ state: 'hidden' });
    await bob.locator('#total-unread').waitFor({ state: 'hidden' });

    // And back: alice gets bob's answer live, in the open chat.
    await send(bob, 'hi alice');
    await seen(alice, 'hi alice');

    // A second tab of alice (same browser: same token, so the same core) follows both ways.
    const alice2 = await newPage(aliceContext, '?user=alice');
    await connected(alice2);
    await alice2.locator('.conversation[data-peer="bob"]').click();
    await seen(alice2, 'hi alice');
    await send(bob, 'to both alice tabs');
    await seen(alice, 'to both alice tabs');
    await seen(alice2, 'to both alice tabs');
    await send(alice, 'sent from the first tab');
    await seen(alice2, 'sent from the first tab');
    await seen(bob, 'sent from the first tab');

    // A picture through the SDK's upload path; bob's page loads it from the dev server.
    await alice.setInputFiles('#picture', { name: 'gradient.png', mimeType: 'image/png', buffer: gradientPng(160, 100) });
    const picture = bob.locator('#messages .bubble.picture img');
    await picture.waitFor();
    await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(160);

    // Reload: bob is still signed in, the chat is open, its history is there.
    await bob.reload();
    await connected(bob);
    await bob.locator('#pane-title', { hasText: 'alice' }).waitFor();
    for (const text of ['hello bob', 'hi alice', 'to both alice tabs', 'sent from the first tab']) await seen(bob, text);
    await bob.locator('#messages .bubble.picture img').waitFor();

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    for (const [name, page] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      const path = join(SCREENSHOT_DIR, `playground-${name}.png`);
      await page.screenshot({ path });
      process.stdout.write(`playground screenshot: ${path}\n`);
    }

    // Signing out in one tab ends the session: the other tab says so.
    await alice.click('#sign-out');
    await alice.locator('#sign-in').waitFor();
    await alice2.locator('#conn[data-state="kicked"]', { hasText: 'signed out in another tab' }).waitFor();
    await alice2.locator('#sign-in-error', { hasText: 'You were signed out (signed out in another tab)' }).waitFor();

    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('a dropped connection shows as closed; after the SDK reconnects the page is connected again and catches up', async (ctx) => {
    if (browser === undefined) return ctx.skip(`no chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`);
    const dave = await newPage(await browser.newContext(), '?user=dave');
    await connected(dave);
    const carol = await newPage(await browser.newContext());
    // Every socket of carol's page goes through the test, which can cut it.
    const cut: Array<() => void> = [];
    await carol.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer();
      cut.push(() => {
        void ws.close({ code: 4000, reason: 'cut by the test' });
        void server.close();
      });
    });
    await carol.goto(`${base}?user=carol`);
    await connected(carol);
    await carol.fill('#new-chat-user', 'dave');
    await carol.press('#new-chat-user', 'Enter');
    await send(carol, 'before the cut');

    cut.at(-1)!();
    await carol.locator('#conn[data-state="closed"]', { hasText: 'code 4000' }).waitFor();
    await dave.locator('.conversation[data-peer="carol"]').click();
    await send(dave, 'while carol was away');
    // open-im-sdk 3.5.2 reconnects 5 s after a close and logs in again.
    await connected(carol);
    await seen(carol, 'while carol was away');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

describe('playground with a real IM server (--playground on)', () => {
  // The dev server stands in for a real IM server: the gateway is not told it is one, so the
  // page has no token route and asks for a token instead.
  let real: E2eEnv;
  beforeAll(async () => {
    real = await startE2e({
      gateway: (dev) => {
        const playgroundSite = playgroundSiteFor('on', { devServer: undefined, openimApi: dev.apiUrl, logger: silent });
        return { workers: 1, ...(playgroundSite && { playgroundSite }) };
      },
    });
  }, 60_000);
  afterAll(() => real?.close(), 60_000);

  it('the page asks for a userID and a token, refuses a wrong token, and signs in with a right one', async (ctx) => {
    if (browser === undefined) return ctx.skip(`no chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`);
    const page = await newPage(await browser.newContext(), '', `http://127.0.0.1:${real.gw.port}/`);
    await page.locator('#token-row').waitFor();
    await page.fill('#user-id', 'erin');
    await page.fill('#token', 'not-a-token');
    await page.click('#sign-in-button');
    await page.locator('#sign-in-error', { hasText: 'Cannot sign in: the gateway did not open a connection: a wrong or expired token' }).waitFor();
    expect(await page.getAttribute('#conn', 'data-state')).toBe('signed-out');
    await page.fill('#token', await real.dev.userToken('erin', 5));
    await page.click('#sign-in-button');
    await connected(page);
    await page.locator('#no-conversations').waitFor();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
