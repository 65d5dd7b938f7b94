/**
 * Local message search within one conversation. Keyword and content-type lists are bound
 * as JSON (json_each), so the SQL text never depends on what is searched for.
 */
import { existingMessageTable, jsonList, listJson, type StorageContext } from '../context.ts';
import { define, type FunctionTable } from '../define.ts';
import { expectIntList, expectStringList } from '../model-input.ts';
import { jsonObjectSql } from '../model.ts';
import { MESSAGE } from '../models.ts';
import { int, json, str } from '../params.ts';
import { MSG_STATUS } from './messages.ts';

const MSG = jsonObjectSql(MESSAGE);

/** constant.KeywordMatchOr; any other value means "all keywords". */
export const KEYWORD_MATCH_ANY = 0;

/** `content LIKE %kw%` for any (OR) or every (AND) keyword; an empty list matches everything. */
function keywordCondition(matchType: number): string {
  return matchType === KEYWORD_MATCH_ANY
    ? "(json_array_length(?) = 0 OR EXISTS (SELECT 1 FROM json_each(?) k WHERE content LIKE '%' || k.value || '%'))"
    : "(json_array_length(?) = 0 OR NOT EXISTS (SELECT 1 FROM json_each(?) k WHERE content NOT LIKE '%' || k.value || '%'))";
}

interface SearchArgs {
  fn: string;
  conv: string;
  contentTypes: unknown;
  keywords?: { list: unknown; matchType: number };
  startTime: number;
  endTime: number;
  page?: { offset: number; count: number };
}

/** Not deleted (status ≤ failed), in the time window, of the content types; newest first. */
function search(ctx: StorageContext, a: SearchArgs): string {
  const types = expectIntList(a.fn, 'contentTypes', a.contentTypes);
  const keywords = a.keywords ? expectStringList(a.fn, 'keywords', a.keywords.list) : undefined;
  const table = existingMessageTable(ctx, a.fn, a.conv);
  if (!table) return '[]';
  let where = 'send_time BETWEEN ? AND ? AND status <= ? AND content_type IN (SELECT value FROM json_each(?))';
  const params: Array<string | number> = [a.startTime, a.endTime, MSG_STATUS.failed, jsonList(types)];
  if (keywords && a.keywords) {
    where += ` AND ${keywordCondition(a.keywords.matchType)}`;
    params.push(jsonList(keywords), jsonList(keywords));
  }
  let tail = 'ORDER BY send_time DESC';
  if (a.page) {
    tail += ' LIMIT ? OFFSET ?';
    params.push(a.page.count, a.page.offset);
  }
  return listJson(ctx, `SELECT ${MSG} FROM ${table} WHERE ${where} ${tail}`, params);
}

export const MESSAGE_SEARCH_FUNCTIONS: FunctionTable = {
  searchMessageByKeyword: define({
    tier: 'P1',
    params: [str('conversationID'), json('contentTypes'), json('keywords'), int('matchType'), int('startTime'), int('endTime'), int('offset'), int('count')],
    returns: 'list',
    run: (ctx, conv, contentTypes, list, matchType, startTime, endTime, offset, count) =>
      search(ctx, { fn: 'searchMessageByKeyword', conv, contentTypes, keywords: { list, matchType }, startTime, endTime, page: { offset, count } }),
  }),
  searchMessageByContentType: define({
    tier: 'P1',
    params: [str('conversationID'), json('contentTypes'), int('startTime'), int('endTime'), int('offset'), int('count')],
    returns: 'list',
    run: (ctx, conv, contentTypes, startTime, endTime, offset, count) =>
      search(ctx, { fn: 'searchMessageByContentType', conv, contentTypes, startTime, endTime, page: { offset, count } }),
  }),
  searchMessageByContentTypeAndKeyword: define({
    tier: 'P1',
    params: [str('conversationID'), json('contentTypes'), json('keywords'), int('matchType'), int('startTime'), int('endTime')],
    returns: 'list',
    run: (ctx, conv, contentTypes, list, matchType, startTime, endTime) =>
      search(ctx, { fn: 'searchMessageByContentTypeAndKeyword', conv, contentTypes, keywords: { list, matchType }, startTime, endTime }),
  }),
  searchAllMessageByContentType: define({
    tier: 'P1',
    params: [str('conversationID'), int('contentType')],
    returns: 'list',
    run: (ctx, conv, contentType) => {
      const table = existingMessageTable(ctx, 'searchAllMessageByContentType', conv);
      return table ? listJson(ctx, `SELECT ${MSG} FROM ${table} WHERE content_type = ?`, [contentType]) : '[]';
    },
  }),
};
