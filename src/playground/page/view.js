// The playground's DOM: what the page shows, given the state app.js keeps. Nothing here talks
// to the network (the SDK module is imported for its message type names only). Text from
// messages and names only ever goes through textContent.

import { MessageType } from '/playground/open-im-sdk.js';

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** Message content types the page shows as more than a one-line notice. */
const TEXT = MessageType.TextMessage;
const PICTURE = MessageType.PictureMessage;
/** Typing indications are state, not messages: never listed. */
const TYPING = MessageType.TypingMessage;

const CONNECTION_TEXT = {
  'signed-out': 'signed out',
  connecting: 'connecting…',
  connected: 'connected',
  closed: 'connection closed',
  kicked: 'kicked',
  expired: 'token expired',
  failed: 'connection failed',
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function avatar(node, name) {
  node.textContent = (name || '?').slice(0, 1);
  node.style.background = `hsl(${hue(name)} 62% 52%)`;
}

/** A stable colour per name, so people are easy to tell apart. */
function hue(name) {
  let h = 0;
  for (const ch of name || '') h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

function clock(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString();
}

/** Only web addresses become image sources; anything else in a message is not loaded. */
function safeImageUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** One line describing a message, for the conversation list. */
export function preview(message) {
  if (!message) return '';
  if (message.contentType === TEXT) return message.textElem?.content ?? '';
  if (message.contentType === PICTURE) return '[picture]';
  return `[message type ${message.contentType}]`;
}

export function setConnection(state, detail) {
  const conn = $('conn');
  conn.dataset.state = state;
  $('conn-text').textContent = detail ? `${CONNECTION_TEXT[state]}: ${detail}` : CONNECTION_TEXT[state];
}

export function showSignIn(config, { userID = '', error = '' } = {}) {
  $('chat').hidden = true;
  $('me').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  const manual = config?.tokens === 'manual';
  $('token-row').hidden = !manual;
  /** @type {HTMLInputElement} */ ($('token')).required = manual;
  if (manual) {
    $('sign-in-help').textContent = 'This gateway serves a real IM server: sign in with a userID and a token your IM server issued for platform 5 (web).';
  }
  /** @type {HTMLInputElement} */ ($('user-id')).value = userID;
  $('sign-in-error').textContent = error;
  setBusy(false);
}

export function setBusy(busy) {
  /** @type {HTMLButtonElement} */ ($('sign-in-button')).disabled = busy;
}

export function signInError(text) {
  $('sign-in-error').textContent = text;
}

export function showChat(userID) {
  $('sign-in').hidden = true;
  $('chat').hidden = false;
  $('me').hidden = false;
  $('sign-out').hidden = false;
  $('me-name').textContent = userID;
  avatar($('me-avatar'), userID);
}

export function setTotalUnread(count) {
  const badge = $('total-unread');
  badge.hidden = !(count > 0);
  badge.textContent = String(count);
}

/**
 * @param conversations newest first
 * @param openID the conversation shown in the pane
 * @param onOpen called with a conversation when its row is clicked
 */
export function renderConversations(conversations, openID, onOpen) {
  const list = $('conversations');
  list.replaceChildren(
    ...conversations.map((c) => {
      const row = el('li', `conversation${c.conversationID === openID ? ' active' : ''}`);
      row.dataset.conversationId = c.conversationID;
      row.dataset.peer = c.userID || c.groupID;
      const face = el('span', 'avatar');
      avatar(face, c.showName || c.userID);
      const badge = el('span', 'badge unread', String(c.unreadCount));
      badge.hidden = !(c.unreadCount > 0);
      row.append(face, el('span', 'name', c.showName || c.userID || c.groupID), el('span', 'time', clock(c.latestMsgSendTime)));
      row.append(el('span', 'preview', preview(parseLatest(c.latestMsg))), badge);
      row.addEventListener('click', () => onOpen(c));
      return row;
    }),
  );
  $('no-conversations').hidden = conversations.length > 0;
}

/** A conversation's latest message arrives as JSON text; an empty or broken one is no message. */
export function parseLatest(latestMsg) {
  if (!latestMsg) return undefined;
  try {
    return JSON.parse(latestMsg);
  } catch {
    return undefined;
  }
}

export function openConversation(conversation) {
  $('pane-title').textContent = conversation.showName || conversation.userID || conversation.groupID;
  const face = $('peer-avatar');
  face.hidden = false;
  avatar(face, conversation.showName || conversation.userID);
  /** @type {HTMLInputElement} */ ($('text')).disabled = false;
  /** @type {HTMLButtonElement} */ ($('send')).disabled = false;
  $('messages').replaceChildren();
  sendError('');
}

/** @param messages oldest first; `pending` and `failed` are the page's own marks on messages it sends. */
export function renderMessages(messages, me) {
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...messages.filter((m) => m.contentType !== TYPING).map((m) => messageItem(m, me)));
  if (atBottom || messages.at(-1)?.sendID === me) list.scrollTop = list.scrollHeight;
}

function messageItem(m, me) {
  const mine = m.sendID === me;
  const known = m.contentType === TEXT || m.contentType === PICTURE;
  const item = el('li', `message${mine ? ' mine' : ''}${known ? '' : ' notice'}${m.failed ? ' failed' : ''}`);
  item.dataset.clientMsgId = m.clientMsgID;
  if (m.contentType === PICTURE) {
    const bubble = el('div', 'bubble picture');
    const picture = m.pictureElem;
    const src = safeImageUrl(picture?.snapshotPicture?.url || picture?.sourcePicture?.url || '');
    if (src) {
      const link = el('a');
      link.href = safeImageUrl(picture?.sourcePicture?.url || '') ?? src;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      const img = el('img');
      img.src = src;
      img.alt = `picture from ${m.sendID}`;
      if (picture?.sourcePicture?.width) img.width = Math.min(260, picture.sourcePicture.width);
      link.append(img);
      bubble.append(link);
    } else {
      bubble.textContent = m.pending ? 'uploading picture…' : '[picture]';
    }
    item.append(bubble);
  } else {
    item.append(el('div', known ? 'bubble' : '', known ? (m.textElem?.content ?? '') : preview(m)));
  }
  const status = m.failed ? 'not sent' : m.pending ? 'sending…' : clock(m.sendTime || m.createTime);
  item.append(el('span', 'meta', status));
  return item;
}

export function sendError(text) {
  $('send-error').textContent = text;
}

export function newChatError(text) {
  $('new-chat-error').textContent = text;
}
