/**
 * Messages, one table per conversation (`chat_logs_<conversationID>`). The getters the
 * native store creates the table for (and every write) create it on first use; other
 * reads of a missing table answer the empty result without creating it.
 */
import { existingMessageTable, jsonList, listJson, messageTable, oneJson, oneNumber, run } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { columnMap, expectIntList, expectStringList, presentKeys } from '../model-input.ts';
import { jsonObjectSql } from '../model.ts';
import { MESSAGE, MESSAGE_UPDATABLE_COLUMNS } from '../models.ts';
import { bool, int, json, str } from '../params.ts';
import { insertAll, insertOne, updateExisting, updateWhere } from '../rows.ts';

const MSG = jsonObjectSql(MESSAGE);
const select = (table: string): string => `SELECT ${MSG} FROM ${table}`;

/** Message status (constant.MsgStatus*). */
export const MSG_STATUS = { sending: 1, sent: 2, failed: 3, deleted: 4, filtered: 5 } as const;

/** Page direction of getMessageList / getLatestValidServerMessage. */
function direction(isReverse: boolean): { op: '<' | '>'; order: 'ASC' | 'DESC' } {
  return isReverse ? { op: '>', order: 'ASC' } : { op: '<', order: 'DESC' };
}

const what = (clientMsgID: string, conversationID: string): string => `message ${JSON.stringify(clientMsgID)} in ${JSON.stringify(conversationID)}`;

export const MESSAGE_FUNCTIONS: FunctionTable = {
  getMessage: define({
    tier: 'P0',
    params: [str('conversationID'), str('clientMsgID')],
    returns: 'obj',
    writes: true,
    run: (ctx, conv, clientMsgID) => oneJson(ctx, `${select(messageTable(ctx, 'getMessage', conv))} WHERE client_msg_id = ?`, [clientMsgID]),
  }),
  getMessageBySeq: define({
    tier: 'P1',
    params: [str('conversationID'), int('seq')],
    returns: 'obj',
    writes: true,
    run: (ctx, conv, seq) => oneJson(ctx, `${select(messageTable(ctx, 'getMessageBySeq', conv))} WHERE seq = ? LIMIT 1`, [seq]),
  }),
  getMessagesByClientMsgIDs: define({
    tier: 'P1',
    params: [str('conversationID'), json('clientMsgIDs')],
    returns: 'list',
    writes: true,
    run: (ctx, conv, ids) => {
      const fn = 'getMessagesByClientMsgIDs';
      const table = messageTable(ctx, fn, conv);
      const list = expectStringList(fn, 'clientMsgIDs', ids);
      return listJson(ctx, `${select(table)} WHERE client_msg_id IN (SELECT value FROM json_each(?)) ORDER BY send_time DESC`, [jsonList(list)]);
    },
  }),
  getMessagesBySeqs: define({
    tier: 'P1',
    params: [str('conversationID'), json('seqs')],
    returns: 'list',
    run: (ctx, conv, seqs) => {
      const fn = 'getMessagesBySeqs';
      const table = existingMessageTable(ctx, fn, conv);
      const list = expectIntList(fn, 'seqs', seqs);
      if (!table) return '[]';
      return listJson(ctx, `${select(table)} WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY send_time DESC`, [jsonList(list)]);
    },
  }),
  /**
   * A history page. From a start message (time, seq, and for unsent messages its ID)
   * towards older (isReverse false) or newer messages, ordered by (send_time, seq).
   */
  getMessageList: define({
    tier: 'P0',
    params: [str('conversationID'), int('count'), int('startTime'), int('startSeq'), str('startClientMsgID'), bool('isReverse'), str('loginUserID')],
    returns: 'list',
    writes: true,
    run: (ctx, conv, count, startTime, startSeq, startClientMsgID, isReverse) => {
      const table = messageTable(ctx, 'getMessageList', conv);
      const { op, order } = direction(isReverse);
      const orderBy = `ORDER BY send_time ${order}, seq ${order} LIMIT ?`;
      if (startTime <= 0) return listJson(ctx, `${select(table)} ${orderBy}`, [count]);
      // The native condition is `send_time < T OR (send_time = T AND (seq < S OR (seq = 0
      // AND client_msg_id <> ID)))`; written with the implied bound `send_time <= T` first,
      // SQLite walks the send_time index from T instead of sorting every older message.
      const where = `send_time ${op}= ? AND (send_time ${op} ? OR seq ${op} ? OR (seq = 0 AND client_msg_id <> ?))`;
      return listJson(ctx, `${select(table)} WHERE ${where} ${orderBy}`, [startTime, startTime, startSeq, startClientMsgID, count]);
    },
  }),
  getLatestActiveMessage: define({
    tier: 'P1',
    params: [str('conversationID'), bool('isReverse')],
    returns: 'list',
    writes: true,
    run: (ctx, conv, isReverse) => {
      const table = messageTable(ctx, 'getLatestActiveMessage', conv);
      return listJson(ctx, `${select(table)} WHERE status < ? ORDER BY send_time ${isReverse ? 'ASC' : 'DESC'} LIMIT 1`, [MSG_STATUS.deleted]);
    },
  }),
  getLatestValidServerMessage: define({
    tier: 'P1',
    params: [str('conversationID'), int('startTime'), bool('isReverse')],
    returns: 'obj',
    run: (ctx, conv, startTime, isReverse) => {
      const table = existingMessageTable(ctx, 'getLatestValidServerMessage', conv);
      if (!table) return undefined;
      // Reverse looks back in time from startTime, forward looks ahead (the opposite of getMessageList).
      const { op, order } = direction(!isReverse);
      return oneJson(ctx, `${select(table)} WHERE send_time ${op} ? AND seq <> 0 ORDER BY send_time ${order} LIMIT 1`, [startTime]);
    },
  }),
  getConversationNormalMsgSeq: define({
    tier: 'P0',
    params: [str('conversationID')],
    returns: 'num',
    writes: true,
    run: (ctx, conv) => oneNumber(ctx, `SELECT ifnull(max(seq), 0) FROM ${messageTable(ctx, 'getConversationNormalMsgSeq', conv)}`, []),
  }),
  // Called for every conversation at every login: must not create tables.
  checkConversationNormalMsgSeq: define({
    tier: 'P0',
    params: [str('conversationID')],
    returns: 'num',
    run: (ctx, conv) => {
      const table = existingMessageTable(ctx, 'checkConversationNormalMsgSeq', conv);
      return table ? oneNumber(ctx, `SELECT ifnull(max(seq), 0) FROM ${table}`, []) : 0;
    },
  }),
  // Only the conversation is passed; "peer" means anyone but the user given to initDB.
  getConversationPeerNormalMsgSeq: define({
    tier: 'P0',
    params: [str('conversationID')],
    returns: 'num',
    run: (ctx, conv) => {
      const table = existingMessageTable(ctx, 'getConversationPeerNormalMsgSeq', conv);
      return table ? oneNumber(ctx, `SELECT ifnull(max(seq), 0) FROM ${table} WHERE send_id <> ?`, [ctx.loginUserID]) : 0;
    },
  }),
  getUnreadMessage: define({
    tier: 'P0',
    params: [str('conversationID'), str('loginUserID')],
    returns: 'list',
    run: (ctx, conv, loginUserID) => {
      const table = existingMessageTable(ctx, 'getUnreadMessage', conv);
      return table ? listJson(ctx, `${select(table)} WHERE send_id <> ? AND is_read = 0`, [loginUserID]) : '[]';
    },
  }),
  // A duplicate clientMsgID fails the call (primary key), as natively.
  insertMessage: define({
    tier: 'P0',
    params: [str('conversationID'), json('message')],
    returns: 'void',
    writes: true,
    run: (ctx, conv, message) => insertOne(ctx, 'insertMessage', MESSAGE, message, messageTable(ctx, 'insertMessage', conv)),
  }),
  batchInsertMessageList: define({
    tier: 'P0',
    params: [str('conversationID'), json('messageList')],
    returns: 'void',
    writes: true,
    run: (ctx, conv, list) => insertAll(ctx, 'batchInsertMessageList', MESSAGE, list, messageTable(ctx, 'batchInsertMessageList', conv)),
  }),
  // omitempty payload (no localEx, no clientMsgID): only present keys are written.
  updateMessage: define({
    tier: 'P1',
    params: [str('conversationID'), str('clientMsgID'), json('message')],
    returns: 'void',
    writes: true,
    run: (ctx, conv, clientMsgID, message) => {
      const fn = 'updateMessage';
      const table = messageTable(ctx, fn, conv);
      updateExisting(ctx, fn, table, presentKeys(fn, MESSAGE, message, { skip: ['client_msg_id'] }), 'client_msg_id = ?', [clientMsgID], what(clientMsgID, conv));
    },
  }),
  // Natively no error when no row has that seq.
  updateMessageBySeq: define({
    tier: 'P1',
    params: [str('conversationID'), int('seq'), json('message')],
    returns: 'void',
    writes: true,
    run: (ctx, conv, seq, message) => {
      const fn = 'updateMessageBySeq';
      const table = messageTable(ctx, fn, conv);
      updateWhere(ctx, table, presentKeys(fn, MESSAGE, message, { skip: ['client_msg_id'] }), 'seq = ?', [seq]);
    },
  }),
  updateColumnsMessage: define({
    tier: 'P1',
    params: [str('conversationID'), str('clientMsgID'), json('columns')],
    returns: 'void',
    writes: true,
    run: (ctx, conv, clientMsgID, columns) => {
      const fn = 'updateColumnsMessage';
      const table = messageTable(ctx, fn, conv);
      updateExisting(ctx, fn, table, columnMap(fn, MESSAGE, MESSAGE_UPDATABLE_COLUMNS, columns), 'client_msg_id = ?', [clientMsgID], what(clientMsgID, conv));
    },
  }),
  /**
   * The server acked a send. Natively `Updates(struct)`: zero values (an empty
   * serverMsgID, time 0) are not written. Only unsequenced rows; none is not an error.
   */
  updateMessageTimeAndStatus: define({
    tier: 'P0',
    params: [str('conversationID'), str('clientMsgID'), str('serverMsgID'), int('sendTime'), int('status')],
    returns: 'void',
    writes: true,
    run: (ctx, conv, clientMsgID, serverMsgID, sendTime, status) => {
      const table = messageTable(ctx, 'updateMessageTimeAndStatus', conv);
      const set: Array<[string, string | number]> = [
        ['status', status],
        ['send_time', sendTime],
        ['server_msg_id', serverMsgID],
      ];
      const present = set.filter(([, v]) => v !== 0 && v !== '');
      const update = { columns: present.map(([c]) => c), values: present.map(([, v]) => v) };
      updateWhere(ctx, table, update, 'client_msg_id = ? AND seq = 0', [clientMsgID]);
    },
  }),
  updateMsgSenderFaceURLAndSenderNickname: define({
    tier: 'P1',
    params: [str('conversationID'), str('sendID'), str('faceURL'), str('nickname')],
    returns: 'void',
    writes: true,
    run: (ctx, conv, sendID, faceURL, nickname) => {
      const table = existingMessageTable(ctx, 'updateMsgSenderFaceURLAndSenderNickname', conv);
      if (table) run(ctx, `UPDATE ${table} SET sender_face_url = ?, sender_nick_name = ? WHERE send_id = ?`, [faceURL, nickname, sendID]);
    },
  }),
  /**
   * Marks the peers' messages among `clientMsgIDs` read and stamps `hasReadTime` into
   * their attachedInfo JSON (other keys kept), as the native store does. Returns the
   * number of rows marked; the core subtracts it from the unread count.
   */
  markConversationMessageAsReadDB: define({
    tier: 'P0',
    params: [str('conversationID'), json('clientMsgIDs'), str('loginUserID')],
    returns: 'num',
    writes: true,
    run: (ctx, conv, ids, loginUserID) => {
      const fn = 'markConversationMessageAsReadDB';
      const list = expectStringList(fn, 'clientMsgIDs', ids);
      const table = existingMessageTable(ctx, fn, conv);
      if (!table) return 0;
      const attached = "json_set(CASE WHEN json_valid(attached_info) AND json_type(attached_info) = 'object' THEN attached_info ELSE '{}' END, '$.hasReadTime', ?)";
      return run(ctx, `UPDATE ${table} SET is_read = 1, attached_info = ${attached} WHERE client_msg_id IN (SELECT value FROM json_each(?)) AND send_id <> ?`, [
        ctx.now(),
        jsonList(list),
        loginUserID,
      ]);
    },
  }),
  markConversationMessageAsReadBySeqs: define({
    tier: 'P1',
    params: [str('conversationID'), json('seqs'), str('loginUserID')],
    returns: 'num',
    writes: true,
    run: (ctx, conv, seqs, loginUserID) => {
      const fn = 'markConversationMessageAsReadBySeqs';
      const list = expectIntList(fn, 'seqs', seqs);
      const table = existingMessageTable(ctx, fn, conv);
      if (!table) return 0;
      return run(ctx, `UPDATE ${table} SET is_read = 1 WHERE seq IN (SELECT value FROM json_each(?)) AND send_id <> ?`, [jsonList(list), loginUserID]);
    },
  }),
  markConversationAllMessageAsRead: define({
    tier: 'P2',
    params: [str('conversationID'), str('loginUserID')],
    returns: 'num',
    writes: true,
    run: (ctx, conv, loginUserID) => {
      const table = existingMessageTable(ctx, 'markConversationAllMessageAsRead', conv);
      return table ? run(ctx, `UPDATE ${table} SET is_read = 1 WHERE is_read = 0 AND send_id <> ?`, [loginUserID]) : 0;
    },
  }),
  markDeleteConversationAllMessages: define({
    tier: 'P1',
    params: [str('conversationID')],
    returns: 'void',
    writes: true,
    run: (ctx, conv) => {
      const table = existingMessageTable(ctx, 'markDeleteConversationAllMessages', conv);
      if (table) run(ctx, `UPDATE ${table} SET status = ?`, [MSG_STATUS.deleted]);
    },
  }),
  deleteConversationAllMessages: define({
    tier: 'P1',
    params: [str('conversationID')],
    returns: 'void',
    writes: true,
    run: (ctx, conv) => {
      const table = existingMessageTable(ctx, 'deleteConversationAllMessages', conv);
      if (table) run(ctx, `DELETE FROM ${table}`, []);
    },
  }),
  deleteConversationMsgs: define({
    tier: 'P2',
    params: [str('conversationID'), json('clientMsgIDs')],
    returns: 'void',
    writes: true,
    run: (ctx, conv, ids) => {
      const fn = 'deleteConversationMsgs';
      const list = expectStringList(fn, 'clientMsgIDs', ids);
      const table = existingMessageTable(ctx, fn, conv);
      if (table) run(ctx, `DELETE FROM ${table} WHERE client_msg_id IN (SELECT value FROM json_each(?))`, [jsonList(list)]);
    },
  }),
};
