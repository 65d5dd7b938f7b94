/**
 * Messages in flight (`local_sending_messages`, read back at every login to fail what a
 * crash interrupted) and the unread side table this core no longer uses.
 */
import { listJson, run } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { jsonObjectSql, quoteIdent } from '../model.ts';
import { CONVERSATION_UNREAD_MESSAGE, SENDING_MESSAGE } from '../models.ts';
import { int, json, str } from '../params.ts';
import { insertAll, insertOne } from '../rows.ts';

const SENDING = quoteIdent(SENDING_MESSAGE.table);
const UNREAD = quoteIdent(CONVERSATION_UNREAD_MESSAGE.table);

export const SENDING_FUNCTIONS: FunctionTable = {
  insertSendingMessage: define({
    tier: 'P0',
    params: [json('sendingMessage')],
    returns: 'void',
    writes: true,
    run: (ctx, m) => insertOne(ctx, 'insertSendingMessage', SENDING_MESSAGE, m),
  }),
  deleteSendingMessage: define({
    tier: 'P0',
    params: [str('conversationID'), str('clientMsgID')],
    returns: 'void',
    writes: true,
    run: (ctx, conv, clientMsgID) => {
      run(ctx, `DELETE FROM ${SENDING} WHERE conversation_id = ? AND client_msg_id = ?`, [conv, clientMsgID]);
    },
  }),
  getAllSendingMessages: define({
    tier: 'P0',
    params: [],
    returns: 'list',
    run: (ctx) => listJson(ctx, `SELECT ${jsonObjectSql(SENDING_MESSAGE)} FROM ${SENDING}`, []),
  }),
  batchInsertConversationUnreadMessageList: define({
    tier: 'P2',
    params: [json('messageList')],
    returns: 'void',
    writes: true,
    run: (ctx, list) => insertAll(ctx, 'batchInsertConversationUnreadMessageList', CONVERSATION_UNREAD_MESSAGE, list),
  }),
  // The core ignores errors here (it reads them as 0 rows).
  deleteConversationUnreadMessageList: define({
    tier: 'P2',
    params: [str('conversationID'), int('sendTime')],
    returns: 'num',
    writes: true,
    run: (ctx, conv, sendTime) => run(ctx, `DELETE FROM ${UNREAD} WHERE conversation_id = ? AND send_time <= ?`, [conv, sendTime]),
  }),
};
