// The playground: the real open-im-sdk 3.5.2 client (served from its npm package by the
// gateway) signed in through this gateway. Every IM action is a call on the SDK object; the
// page keeps what to show and nothing else. Tabs of one user share a token (localStorage),
// so they share one core on the gateway and stay in sync through its events.
import { OpenIMSDK, CbEvents, ErrorCode, LoginStatus, SessionType } from '/playground/open-im-sdk.js';
import * as view from '/playground/view.js';

const HISTORY_PAGE = 40;
/** Pictures above this are refused here, before the upload starts. */
const MAX_PICTURE_BYTES = 10 * 2 ** 20;
const SESSION_KEY = 'playground.session';
const OPEN_KEY = 'playground.open';
const tokenKey = (userID) => `playground.token.${userID}`;

/** Settings from the gateway: how to get a token, where the SDK uploads. */
let config;
/** @type {OpenIMSDK | undefined} */
let sdk;
let me = '';
/** conversationID → conversation, as the SDK last reported it. */
const conversations = new Map();
let open;
/** clientMsgID → message of the open conversation. */
const messages = new Map();
let connection = 'signed-out';

// The SDK opens its socket with `new WebSocket(url)` and tells the page nothing when that socket
// closes (it reconnects on its own). A subclass lets the page show the connection as it is.
const NativeWebSocket = window.WebSocket;
let currentSocket;
window.WebSocket = class WatchedWebSocket extends NativeWebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    watch(this);
  }
};

/** Follows the newest socket: the SDK has one at a time, and a new one replaces the last. */
function watch(socket) {
  currentSocket = socket;
  socket.addEventListener('open', () => {
    if (socket === currentSocket && connection === 'closed') void afterReconnect();
  });
  socket.addEventListener('close', (event) => {
    if (socket !== currentSocket || !['connected', 'connecting'].includes(connection)) return;
    setConnection('closed', `code ${event.code}; reconnecting`);
  });
}

function setConnection(state, detail) {
  connection = state;
  view.setConnection(state, detail);
}

/** What the SDK rejects with is its response envelope; say it in one line. */
function describe(err) {
  // A browser does not show a page why a WebSocket handshake failed (the gateway's 401 or 503).
  if (err?.errCode === ErrorCode.ConnectionEstablishmentFailed) {
    return 'the gateway did not open a connection: a wrong or expired token, or the gateway is unreachable';
  }
  if (err && typeof err === 'object' && 'errMsg' in err) return `${err.errMsg || 'error'} (${err.errCode})`;
  return err instanceof Error ? err.message : String(err);
}

function newClient() {
  const client = new OpenIMSDK();
  const mine = (handler) => (event) => {
    if (client === sdk) handler(event);
  };
  client.on(
    CbEvents.OnConnecting,
    mine(() => setConnection('connecting')),
  );
  client.on(
    CbEvents.OnConnectSuccess,
    mine(() => setConnection('connected')),
  );
  client.on(
    CbEvents.OnConnectFailed,
    mine((e) => setConnection('failed', e.errMsg)),
  );
  client.on(
    CbEvents.OnKickedOffline,
    mine((e) => ended('kicked', e.data?.reason === 'Logout' ? 'signed out in another tab' : 'signed in elsewhere')),
  );
  client.on(
    CbEvents.OnUserTokenExpired,
    mine(() => ended('expired')),
  );
  client.on(
    CbEvents.OnRecvNewMessages,
    mine((e) => onNewMessages(e.data)),
  );
  client.on(
    CbEvents.OnRecvNewMessage,
    mine((e) => onNewMessages([e.data])),
  );
  client.on(
    CbEvents.OnConversationChanged,
    mine((e) => onConversations(e.data)),
  );
  client.on(
    CbEvents.OnNewConversation,
    mine((e) => onConversations(e.data)),
  );
  client.on(
    CbEvents.OnTotalUnreadMessageCountChanged,
    mine((e) => view.setTotalUnread(e.data)),
  );
  return client;
}

async function requestToken(userID) {
  const res = await fetch('/playground/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userID }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `token request failed: HTTP ${res.status}`);
  localStorage.setItem(tokenKey(userID), body.token);
  return body.token;
}

/** One login with a fresh client; a failed client is dropped with its socket. */
async function login(userID, token) {
  sdk = newClient();
  const wsAddr = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
  try {
    await sdk.login({ userID, token, platformID: config.platformID, wsAddr, apiAddr: config.apiAddr });
  } catch (err) {
    sdk = undefined;
    currentSocket?.close();
    throw err;
  }
}

async function signIn(userID, typedToken) {
  view.setBusy(true);
  view.signInError('');
  setConnection('connecting');
  try {
    if (config.tokens === 'manual') {
      await login(userID, typedToken);
      sessionStorage.setItem(SESSION_KEY, JSON.stringify({ userID, token: typedToken }));
    } else {
      // Another tab's token first: a new one would kick that tab off (one token per platform).
      const known = localStorage.getItem(tokenKey(userID));
      try {
        await login(userID, known ?? (await requestToken(userID)));
      } catch (err) {
        if (known === null) throw err;
        await login(userID, await requestToken(userID));
      }
      sessionStorage.setItem(SESSION_KEY, JSON.stringify({ userID }));
    }
  } catch (err) {
    setConnection('signed-out');
    view.showSignIn(config, { userID, error: `Cannot sign in: ${describe(err)}` });
    return;
  }
  me = userID;
  setConnection('connected');
  view.showChat(me);
  await loadConversations();
  const reopen = conversations.get(sessionStorage.getItem(OPEN_KEY) ?? '');
  if (reopen !== undefined) await openConversation(reopen);
}

/** After the SDK reconnected on its own: confirm it is logged in again, then catch up. */
async function afterReconnect() {
  setConnection('connecting');
  for (let attempt = 0; attempt < 20 && sdk !== undefined; attempt++) {
    try {
      if ((await sdk.getLoginStatus()).data === LoginStatus.Logged) {
        setConnection('connected');
        await loadConversations();
        if (open !== undefined) await loadHistory();
        return;
      }
    } catch {
      // Not logged in yet: the SDK's Login after a reconnect is still on its way.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function loadConversations() {
  const [list, unread] = await Promise.all([sdk.getAllConversationList(), sdk.getTotalUnreadMsgCount()]);
  conversations.clear();
  for (const c of list.data) conversations.set(c.conversationID, c);
  renderConversations();
  view.setTotalUnread(unread.data);
}

function renderConversations() {
  const sorted = [...conversations.values()].sort((a, b) => Number(b.isPinned) - Number(a.isPinned) || b.latestMsgSendTime - a.latestMsgSendTime);
  view.renderConversations(sorted, open?.conversationID, (c) => void openConversation(c));
}

async function openConversation(conversation) {
  open = conversation;
  messages.clear();
  sessionStorage.setItem(OPEN_KEY, conversation.conversationID);
  view.openConversation(conversation);
  renderConversations();
  await loadHistory();
  await markRead();
}

async function loadHistory() {
  const conversationID = open.conversationID;
  try {
    const res = await sdk.getAdvancedHistoryMessageList({ conversationID, lastMinSeq: 0, count: HISTORY_PAGE, startClientMsgID: '' });
    if (open?.conversationID !== conversationID) return;
    for (const m of res.data.messageList) messages.set(m.clientMsgID, m);
    renderMessages();
  } catch (err) {
    view.sendError(`Cannot load history: ${describe(err)}`);
  }
}

function renderMessages() {
  const sorted = [...messages.values()].sort((a, b) => (a.sendTime || a.createTime) - (b.sendTime || b.createTime));
  view.renderMessages(sorted, me);
}

/** Reading happens where someone looks: the open conversation of a visible tab. */
async function markRead() {
  if (open === undefined || document.visibilityState !== 'visible') return;
  if (!(conversations.get(open.conversationID)?.unreadCount > 0)) return;
  try {
    await sdk.markConversationMessageAsRead(open.conversationID);
  } catch (err) {
    console.warn('markConversationMessageAsRead', err);
  }
}

function belongsToOpen(m) {
  if (open === undefined) return false;
  if (open.groupID) return m.groupID === open.groupID;
  return !m.groupID && ((m.sendID === open.userID && m.recvID === me) || (m.sendID === me && m.recvID === open.userID));
}

function onNewMessages(list) {
  const shown = list.filter(belongsToOpen);
  if (shown.length === 0) return;
  for (const m of shown) messages.set(m.clientMsgID, m);
  renderMessages();
  void markRead();
}

function onConversations(list) {
  for (const c of list) conversations.set(c.conversationID, c);
  renderConversations();
  const current = open && conversations.get(open.conversationID);
  if (!current) return;
  open = current;
  // A message this tab did not see arrive (sent from another tab of the same user): reload.
  const latest = view.parseLatest(current.latestMsg);
  if (latest?.clientMsgID && !messages.has(latest.clientMsgID)) void loadHistory();
  void markRead();
}

/** The IM server's "no such user" code. */
const USER_NOT_FOUND = 10100;

async function userExists(userID) {
  try {
    const users = await sdk.getUsersInfoWithCache({ userIDList: [userID] });
    return users.data.some((u) => u.publicInfo?.userID === userID);
  } catch (err) {
    if (err?.errCode === USER_NOT_FOUND) return false;
    throw err;
  }
}

async function startChat(name) {
  view.newChatError('');
  try {
    // The core would open a conversation with anyone, registered or not.
    if (!(await userExists(name))) {
      view.newChatError(`No user named ${name} yet: they exist once they have signed in.`);
      return;
    }
    const res = await sdk.getOneConversation({ sourceID: name, sessionType: SessionType.Single });
    conversations.set(res.data.conversationID, { ...conversations.get(res.data.conversationID), ...res.data });
    await openConversation(res.data);
  } catch (err) {
    view.newChatError(`Cannot chat with ${name}: ${describe(err)}`);
  }
}

/** Shows the message at once, then as the server confirmed it (or as failed). */
async function send(create) {
  view.sendError('');
  const target = { recvID: open.groupID ? '' : open.userID, groupID: open.groupID || '' };
  let created;
  try {
    created = (await create()).data;
    messages.set(created.clientMsgID, { ...created, pending: true });
    renderMessages();
    const sent = await sdk.sendMessage({ ...target, message: created });
    messages.set(sent.data.clientMsgID, sent.data);
  } catch (err) {
    if (created) messages.set(created.clientMsgID, { ...created, failed: true });
    view.sendError(`Not sent: ${describe(err)}`);
  }
  renderMessages();
}

function randomHex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sendPicture(file) {
  if (!file.type.startsWith('image/')) return view.sendError(`${file.name} is not a picture`);
  if (file.size > MAX_PICTURE_BYTES) return view.sendError(`${file.name} is over ${MAX_PICTURE_BYTES / 2 ** 20} MiB`);
  let width;
  let height;
  try {
    const bitmap = await createImageBitmap(file);
    ({ width, height } = bitmap);
    bitmap.close();
  } catch {
    return view.sendError(`${file.name} cannot be read as a picture`);
  }
  // The SDK stores the file under the user's name and the file's: a unique name per upload.
  const type = file.type.slice('image/'.length);
  const named = new File([file], `${randomHex(8)}.${type.replace(/[^a-z0-9]/g, '') || 'img'}`, { type: file.type });
  const info = { uuid: randomHex(16), type, size: file.size, width, height, url: '' };
  await send(() =>
    sdk.createImageMessageByFile({ sourcePath: named.name, sourcePicture: { ...info }, bigPicture: { ...info }, snapshotPicture: { ...info }, file: named }),
  );
}

/** The session ended from elsewhere: the SDK has closed its socket and will not reconnect. */
function ended(state, detail) {
  sdk = undefined;
  sessionStorage.removeItem(SESSION_KEY);
  reset();
  setConnection(state, detail);
  view.showSignIn(config, { userID: me, error: `You were signed out${detail ? ` (${detail})` : ''}. Sign in again to go on.` });
}

async function signOut() {
  const client = sdk;
  sdk = undefined;
  setConnection('signed-out');
  sessionStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(OPEN_KEY);
  try {
    await client?.logout();
  } catch (err) {
    console.warn('logout', err);
  }
  reset();
  view.showSignIn(config, { userID: me });
}

/** Forgets what the page showed of the last session. */
function reset() {
  open = undefined;
  messages.clear();
  conversations.clear();
}

function wire() {
  document.getElementById('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = new FormData(/** @type {HTMLFormElement} */ (e.target));
    void signIn(String(form.get('userID')).trim(), String(form.get('token') ?? '').trim());
  });
  document.getElementById('new-chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = /** @type {HTMLInputElement} */ (document.getElementById('new-chat-user'));
    const name = input.value.trim();
    input.value = '';
    if (name) void startChat(name);
  });
  document.getElementById('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = /** @type {HTMLInputElement} */ (document.getElementById('text'));
    const text = input.value;
    if (!text.trim() || open === undefined) return;
    input.value = '';
    void send(() => sdk.createTextMessage(text));
  });
  document.getElementById('picture').addEventListener('change', (e) => {
    const input = /** @type {HTMLInputElement} */ (e.target);
    const file = input.files?.[0];
    input.value = '';
    if (file && open !== undefined) void sendPicture(file);
  });
  document.getElementById('sign-out').addEventListener('click', () => void signOut());
  document.addEventListener('visibilitychange', () => void markRead());
}

async function main() {
  wire();
  try {
    config = await (await fetch('/playground/config')).json();
  } catch (err) {
    view.showSignIn(undefined, { error: `Cannot reach the gateway: ${describe(err)}` });
    return;
  }
  const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
  const asked = new URLSearchParams(location.search).get('user');
  view.showSignIn(config, { userID: saved?.userID ?? asked ?? '' });
  if (saved?.userID) await signIn(saved.userID, saved.token);
  else if (asked && config.tokens === 'dev-server') await signIn(asked);
}

void main();
