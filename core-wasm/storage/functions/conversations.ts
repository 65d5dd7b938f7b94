/** Conversations (`local_conversations`). The list order goes straight to the app. */
import { columnJson, jsonList, listJson, oneJson, oneNumber, run } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { listByIdList } from '../id-list-read.ts';
import { columnMap, expectStringList, presentKeys } from '../model-input.ts';
import { jsonObjectSql, quoteIdent } from '../model.ts';
import { CONVERSATION, CONVERSATION_UPDATABLE_COLUMNS } from '../models.ts';
import { int, json, str } from '../params.ts';
import { insertAll, insertOne, requireChanged, updateExisting } from '../rows.ts';

const T = quoteIdent(CONVERSATION.table);
const SELECT = `SELECT ${jsonObjectSql(CONVERSATION)} FROM ${T}`;

/** Pinned first, then the latest activity (message or draft), newest first. */
export const CONVERSATION_ORDER = 'ORDER BY CASE WHEN is_pinned = 1 THEN 0 ELSE 1 END, max(latest_msg_send_time, draft_text_time) DESC';

/** recv_msg_opt 2 = receive without notification: not counted in the total unread. */
const RECEIVE_NOT_NOTIFY = 2;

const BY_ID = 'conversation_id = ?';
const what = (id: string): string => `conversation ${JSON.stringify(id)}`;

export const CONVERSATION_FUNCTIONS: FunctionTable = {
  getConversation: define({
    tier: 'P0',
    params: [str('conversationID')],
    returns: 'obj',
    run: (ctx, id) => oneJson(ctx, `${SELECT} WHERE ${BY_ID}`, [id]),
  }),
  getAllConversationListDB: define({
    tier: 'P0',
    params: [],
    returns: 'list',
    run: (ctx) => listJson(ctx, `${SELECT} WHERE latest_msg_send_time > 0 ${CONVERSATION_ORDER}`, []),
  }),
  getConversationListSplitDB: define({
    tier: 'P1',
    params: [int('offset'), int('count')],
    returns: 'list',
    run: (ctx, offset, count) => listJson(ctx, `${SELECT} WHERE latest_msg_send_time > 0 ${CONVERSATION_ORDER} LIMIT ? OFFSET ?`, [count, offset]),
  }),
  getHiddenConversationList: define({
    tier: 'P0',
    params: [],
    returns: 'list',
    run: (ctx) => listJson(ctx, `${SELECT} WHERE latest_msg_send_time = 0`, []),
  }),
  getAllConversations: define({
    tier: 'P0',
    params: [],
    returns: 'list',
    run: (ctx) => listJson(ctx, SELECT, []),
  }),
  getAllConversationIDList: define({
    tier: 'P0',
    params: [],
    returns: 'ids',
    run: (ctx) => columnJson(ctx, `SELECT conversation_id FROM ${T}`, []),
  }),
  getAllSingleConversationIDList: define({
    tier: 'P1',
    params: [],
    returns: 'ids',
    run: (ctx) => columnJson(ctx, `SELECT conversation_id FROM ${T} WHERE conversation_type = 1`, []),
  }),
  findAllUnreadConversationConversationID: define({
    tier: 'P1',
    params: [],
    returns: 'ids',
    run: (ctx) => columnJson(ctx, `SELECT conversation_id FROM ${T} WHERE unread_count > 0`, []),
  }),
  getMultipleConversationDB: listByIdList({ fn: 'getMultipleConversationDB', tier: 'P0', param: 'conversationIDList', select: SELECT, idColumn: 'conversation_id' }),
  getConversationByUserID: define({
    tier: 'P1',
    params: [str('userID')],
    returns: 'obj',
    run: (ctx, userID) => oneJson(ctx, `${SELECT} WHERE user_id = ? LIMIT 1`, [userID]),
  }),
  searchConversations: define({
    tier: 'P1',
    params: [str('keyword')],
    returns: 'list',
    run: (ctx, keyword) => listJson(ctx, `${SELECT} WHERE show_name LIKE '%' || ? || '%' ORDER BY latest_msg_send_time DESC`, [keyword]),
  }),
  insertConversation: define({
    tier: 'P0',
    params: [json('conversation')],
    returns: 'void',
    writes: true,
    run: (ctx, c) => insertOne(ctx, 'insertConversation', CONVERSATION, c),
  }),
  batchInsertConversationList: define({
    tier: 'P0',
    params: [json('conversationList')],
    returns: 'void',
    writes: true,
    run: (ctx, list) => insertAll(ctx, 'batchInsertConversationList', CONVERSATION, list),
  }),
  // omitempty payload: only the keys present are written.
  updateConversation: define({
    tier: 'P0',
    params: [str('conversationID'), json('conversation')],
    returns: 'void',
    writes: true,
    run: (ctx, id, c) => {
      const fn = 'updateConversation';
      updateExisting(ctx, fn, T, presentKeys(fn, CONVERSATION, c, { skip: CONVERSATION.primaryKey }), BY_ID, [id], what(id));
    },
  }),
  updateColumnsConversation: define({
    tier: 'P0',
    params: [str('conversationID'), json('columns')],
    returns: 'void',
    writes: true,
    run: (ctx, id, columns) => {
      const fn = 'updateColumnsConversation';
      updateExisting(ctx, fn, T, columnMap(fn, CONVERSATION, CONVERSATION_UPDATABLE_COLUMNS, columns), BY_ID, [id], what(id));
    },
  }),
  // Every key but burnDuration is always present (zero values included).
  updateConversationForSync: define({
    tier: 'P2',
    params: [str('conversationID'), json('conversation')],
    returns: 'void',
    writes: true,
    run: (ctx, id, c) => {
      const fn = 'updateConversationForSync';
      updateExisting(ctx, fn, T, presentKeys(fn, CONVERSATION, c, { skip: CONVERSATION.primaryKey }), BY_ID, [id], what(id));
    },
  }),
  deleteConversation: define({
    tier: 'P1',
    params: [str('conversationID')],
    returns: 'void',
    writes: true,
    run: (ctx, id) => {
      run(ctx, `DELETE FROM ${T} WHERE ${BY_ID}`, [id]);
    },
  }),
  deleteAllConversation: define({
    tier: 'P0',
    params: [],
    returns: 'void',
    writes: true,
    run: (ctx) => {
      run(ctx, `DELETE FROM ${T}`, []);
    },
  }),
  // Keeps latest_msg_send_time: the conversation stays in the list, without a latest message.
  clearConversation: define({
    tier: 'P1',
    params: [str('conversationID')],
    returns: 'void',
    writes: true,
    run: (ctx, id) => {
      const update = { columns: ['unread_count', 'latest_msg', 'draft_text', 'draft_text_time'], values: [0, '', '', 0] };
      updateExisting(ctx, 'clearConversation', T, update, BY_ID, [id], what(id));
    },
  }),
  // latest_msg_send_time 0 hides the conversation.
  resetConversation: define({
    tier: 'P1',
    params: [str('conversationID')],
    returns: 'void',
    writes: true,
    run: (ctx, id) => {
      const update = { columns: ['unread_count', 'latest_msg', 'latest_msg_send_time', 'draft_text', 'draft_text_time'], values: [0, '', 0, '', 0] };
      updateExisting(ctx, 'resetConversation', T, update, BY_ID, [id], what(id));
    },
  }),
  resetAllConversation: define({
    tier: 'P1',
    params: [],
    returns: 'void',
    writes: true,
    run: (ctx) => {
      run(ctx, `UPDATE ${T} SET unread_count = 0, latest_msg = '', latest_msg_send_time = 0, draft_text = '', draft_text_time = 0`, []);
    },
  }),
  setConversationDraftDB: define({
    tier: 'P1',
    params: [str('conversationID'), str('draftText')],
    returns: 'void',
    writes: true,
    run: (ctx, id, draft) => {
      const now = ctx.now();
      const n = run(
        ctx,
        `UPDATE ${T} SET draft_text = ?, draft_text_time = ?, latest_msg_send_time = CASE WHEN latest_msg_send_time = 0 THEN ? ELSE latest_msg_send_time END WHERE ${BY_ID}`,
        [draft, now, now, id],
      );
      requireChanged(n, 'setConversationDraftDB', what(id));
    },
  }),
  removeConversationDraft: define({
    tier: 'P1',
    params: [str('conversationID'), str('draftText')],
    returns: 'void',
    writes: true,
    run: (ctx, id, draft) => {
      updateExisting(ctx, 'removeConversationDraft', T, { columns: ['draft_text', 'draft_text_time'], values: [draft, 0] }, BY_ID, [id], what(id));
    },
  }),
  decrConversationUnreadCount: define({
    tier: 'P1',
    params: [str('conversationID'), int('count')],
    returns: 'void',
    writes: true,
    run: (ctx, id, count) => {
      // One statement, so the clamp cannot interleave with another call.
      const n = run(ctx, `UPDATE ${T} SET unread_count = max(unread_count - ?, 0) WHERE ${BY_ID}`, [count, id]);
      requireChanged(n, 'decrConversationUnreadCount', what(id));
    },
  }),
  getTotalUnreadMsgCountDB: define({
    tier: 'P0',
    params: [],
    returns: 'num',
    run: (ctx) => oneNumber(ctx, `SELECT coalesce(sum(unread_count), 0) FROM ${T} WHERE recv_msg_opt < ? AND latest_msg_send_time > 0`, [RECEIVE_NOT_NOTIFY]),
  }),
  incrConversationUnreadCount: define({
    tier: 'P2',
    params: [str('conversationID')],
    returns: 'void',
    writes: true,
    run: (ctx, id) => {
      const n = run(ctx, `UPDATE ${T} SET unread_count = unread_count + 1 WHERE ${BY_ID}`, [id]);
      requireChanged(n, 'incrConversationUnreadCount', what(id));
    },
  }),
  conversationIfExists: define({
    tier: 'P2',
    params: [str('conversationID')],
    returns: 'bool',
    run: (ctx, id) => oneNumber(ctx, `SELECT count(*) FROM ${T} WHERE ${BY_ID}`, [id]) === 1,
  }),
  setMultipleConversationRecvMsgOpt: define({
    tier: 'P2',
    params: [json('conversationIDList'), int('opt')],
    returns: 'void',
    writes: true,
    run: (ctx, ids, opt) => {
      const list = expectStringList('setMultipleConversationRecvMsgOpt', 'conversationIDList', ids);
      run(ctx, `UPDATE ${T} SET recv_msg_opt = ? WHERE conversation_id IN (SELECT value FROM json_each(?))`, [opt, jsonList(list)]);
    },
  }),
  unPinConversation: define({
    tier: 'P2',
    params: [str('conversationID'), int('isPinned')],
    returns: 'void',
    writes: true,
    run: (ctx, id, isPinned) => {
      const n = run(ctx, `UPDATE ${T} SET is_pinned = ?, draft_text_time = CASE WHEN draft_text = '' THEN 0 ELSE draft_text_time END WHERE ${BY_ID}`, [
        isPinned ? 1 : 0,
        id,
      ]);
      requireChanged(n, 'unPinConversation', what(id));
    },
  }),
  // The core passes no arguments at all (its wasm glue drops the conversation): nothing to do.
  updateAllConversation: define({
    tier: 'P2',
    params: [],
    returns: 'void',
    run: () => {},
  }),
};
