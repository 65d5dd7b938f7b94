/** `/conversation/*`: the user's conversation records and their sync (docs/im-server.md#version-sync), and the notices of their changes. */
import { notify } from '../../messaging/notification.ts';
import { ContentType, SessionType } from '../../protocol/constants.ts';
import { singleConversationID } from '../../protocol/conversation-id.ts';
import { ImError } from '../../protocol/im-error-codes.ts';
import type { ConversationPatch, ConversationRecord } from '../../store/conversations.ts';
import type { DevState } from '../../store/state.ts';
import { conversationView } from '../../store/views.ts';
import { pushAfterReply, requireSelfOrAdmin, type ApiContext, type ApiHandler } from '../context.ts';
import { page } from '../fields.ts';
import { fullIDsAnswer, incrementalAnswer } from '../incremental.ts';

function records(state: DevState, ownerUserID: string, ids: readonly string[]): ConversationRecord[] {
  const out: ConversationRecord[] = [];
  for (const id of new Set(ids)) {
    const record = state.conversations.get(ownerUserID, id);
    if (record !== undefined) out.push(conversationView(record));
  }
  return out;
}

function getIncrementalConversations(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  return incrementalAnswer(ctx.state.conversations.log(userID), ctx.body, (ids) => records(ctx.state, userID, ids));
}

function getOwnerConversation(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  const all = ctx.state.conversations.list(userID).map(conversationView);
  return { total: all.length, conversations: page(all, ctx.body.pagination()) };
}

function getAllConversations(ctx: ApiContext): unknown {
  const ownerUserID = ctx.body.string('ownerUserID');
  requireSelfOrAdmin(ctx, ownerUserID);
  return { conversations: ctx.state.conversations.list(ownerUserID).map(conversationView) };
}

function getFullConversationIDs(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  return fullIDsAnswer(ctx.state.conversations.log(userID), 'conversationIDs', ctx.state.conversations.ids(userID));
}

function getConversations(ctx: ApiContext): unknown {
  const ownerUserID = ctx.body.string('ownerUserID');
  if (ownerUserID === '') throw new ImError('ArgsError', 'ownerUserID is empty');
  const ids = ctx.body.strings('conversationIDs');
  if (!ctx.body.has('conversationIDs')) throw new ImError('ArgsError', 'conversationIDs is empty');
  requireSelfOrAdmin(ctx, ownerUserID);
  return { conversations: records(ctx.state, ownerUserID, ids) };
}

/** Applies the set wrapper fields of a ConversationReq to the listed users' records. */
function setConversations(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const req = body.object('conversation');
  if (req === undefined) throw new ImError('ArgsError', 'conversation is empty');
  const conversationID = req.string('conversationID');
  if (conversationID === '') throw new ImError('ArgsError', 'conversation is empty');
  const userIDs = body.strings('userIDs');
  for (const userID of userIDs) requireSelfOrAdmin(ctx, userID);
  const patch: ConversationPatch = {};
  const ints = ['recvMsgOpt', 'burnDuration', 'minSeq', 'maxSeq', 'groupAtType', 'msgDestructTime'] as const;
  for (const key of ints) {
    const v = req.optionalInt(key);
    if (v !== undefined) patch[key] = v;
  }
  const bools = ['isPinned', 'isPrivateChat', 'isMsgDestruct'] as const;
  for (const key of bools) {
    const v = req.optionalBool(key);
    if (v !== undefined) patch[key] = v;
  }
  const strings = ['attachedInfo', 'ex'] as const;
  for (const key of strings) {
    const v = req.optionalString(key);
    if (v !== undefined) patch[key] = v;
  }
  const conversationType = req.int('conversationType');
  const peerUserID = req.string('userID');
  const isPrivateChat = req.optionalBool('isPrivateChat');
  if (isPrivateChat !== undefined && conversationType !== SessionType.group && peerUserID !== '') {
    // It changes the peer's record too. Unlike the real server, only for a registered peer and
    // their chat with the caller, so that nobody can make records for others at will.
    for (const userID of userIDs) {
      if (!state.users.has(peerUserID) || conversationID !== singleConversationID(userID, peerUserID)) {
        throw new ImError('ArgsError', `${conversationID} is not the chat of ${userID} with a registered user ${peerUserID}`);
      }
    }
  }
  const changedFor: string[] = [];
  for (const userID of userIDs) {
    const created = state.conversations.ensure(userID, conversationID, { conversationType, userID: peerUserID, groupID: req.string('groupID') });
    const before = state.conversations.get(userID, conversationID);
    const differs = Object.entries(patch).some(([k, v]) => before?.[k as keyof ConversationPatch] !== v);
    state.conversations.update(userID, conversationID, patch);
    if (created || differs) changedFor.push(userID);
  }
  // The user's other devices sync the conversation.
  const pushes = changedFor.flatMap((userID) =>
    notify(ctx, { contentType: ContentType.conversationChangeNotification, sendID: userID, recvID: userID, tips: { userID, conversationIDList: [conversationID] } }),
  );
  if (isPrivateChat !== undefined && conversationType !== SessionType.group && peerUserID !== '') {
    // Burn-after-reading is set for both sides of a single chat.
    for (const userID of userIDs) {
      state.conversations.ensure(peerUserID, conversationID, { conversationType, userID });
      state.conversations.update(peerUserID, conversationID, { isPrivateChat });
      const tips = { recvID: peerUserID, sendID: userID, isPrivate: isPrivateChat, conversationID };
      pushes.push(...notify(ctx, { contentType: ContentType.conversationPrivateChatNotification, sendID: userID, recvID: peerUserID, tips }));
    }
  }
  pushAfterReply(ctx, pushes);
  return undefined;
}

export const CONVERSATION_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/conversation/get_incremental_conversations': getIncrementalConversations,
  '/conversation/get_owner_conversation': getOwnerConversation,
  '/conversation/get_all_conversations': getAllConversations,
  '/conversation/get_full_conversation_ids': getFullConversationIDs,
  '/conversation/get_conversations': getConversations,
  '/conversation/set_conversations': setConversations,
};
