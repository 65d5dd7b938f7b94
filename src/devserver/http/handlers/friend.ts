/**
 * `/friend/*`: applications, answers, the friend list and its sync, remarks, black lists,
 * as the real relation service does them (checks in its order, its error codes).
 */
import {
  applicationAdded,
  applicationApproved,
  applicationRejected,
  blackChanged,
  friendDeleted,
  friendRemarkSet,
  friendsInfoUpdated,
} from '../../friends/notifications.ts';
import { blackInfoView, friendInfoView, friendRequestView, type FriendInfoView } from '../../friends/views.ts';
import { ImError } from '../../protocol/im-error-codes.ts';
import { BecomeFriendBy, FriendResponse, type FriendPatch } from '../../store/friends.ts';
import type { DevState } from '../../store/state.ts';
import { pushAfterReply, requireSelfOrAdmin, type ApiContext, type ApiHandler } from '../context.ts';
import { page } from '../fields.ts';
import { fullIDsAnswer, incrementalAnswer } from '../incremental.ts';

/** The owner's friends among `ids` (others are skipped), in the order asked. */
function friendsInfo(state: DevState, ownerUserID: string, ids: readonly string[]): FriendInfoView[] {
  const out: FriendInfoView[] = [];
  for (const id of new Set(ids)) {
    const friend = state.friends.get(ownerUserID, id);
    if (friend !== undefined) out.push(friendInfoView(state, friend));
  }
  return out;
}

function addFriend(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const fromUserID = body.string('fromUserID');
  const toUserID = body.string('toUserID');
  requireSelfOrAdmin(ctx, fromUserID);
  if (toUserID === fromUserID) throw new ImError('CanNotAddYourselfError', `req.ToUserID ${toUserID}`);
  if (!state.users.has(toUserID) || !state.users.has(fromUserID)) throw new ImError('RecordNotFoundError', 'user not found');
  if (state.friends.isFriend(fromUserID, toUserID) && state.friends.isFriend(toUserID, fromUserID)) {
    throw new ImError('RelationshipAlreadyError', 'already friends has f');
  }
  const request = state.friends.apply(fromUserID, toUserID, body.string('reqMsg'), body.string('ex'));
  const pushes = applicationAdded(ctx, request);
  pushAfterReply(ctx, pushes);
  return undefined;
}

/** The applicant is `fromUserID`, the one answering (the caller) `toUserID`. */
function respondFriendApply(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const fromUserID = body.string('fromUserID');
  const toUserID = body.string('toUserID');
  const handleResult = body.int('handleResult');
  const handleMsg = body.string('handleMsg');
  requireSelfOrAdmin(ctx, toUserID);
  const request = state.friends.request(fromUserID, toUserID);
  if (handleResult === FriendResponse.agree) {
    if (request === undefined) throw new ImError('RecordNotFoundError', 'friend request not found');
    if (request.handleResult !== FriendResponse.notHandled) throw new ImError('ArgsError', 'the friend request has been processed');
    state.friends.handle(request, FriendResponse.agree, ctx.opUserID, handleMsg);
    // Crossed applications: the other direction is settled by the same answer.
    const reverse = state.friends.request(toUserID, fromUserID);
    if (reverse?.handleResult === FriendResponse.notHandled) state.friends.handle(reverse, FriendResponse.agree, ctx.opUserID, '');
    for (const [owner, friend] of [
      [toUserID, fromUserID],
      [fromUserID, toUserID],
    ] as const) {
      state.friends.add({ ownerUserID: owner, friendUserID: friend, remark: '', addSource: BecomeFriendBy.apply, operatorUserID: fromUserID, ex: '', isPinned: false });
    }
    const pushes = applicationApproved(ctx, request, handleMsg);
    pushAfterReply(ctx, pushes);
    return undefined;
  }
  if (handleResult === FriendResponse.refuse) {
    // The real service reports these two with plain (code-less) errors, hence 500.
    if (request === undefined) throw new ImError('ServerInternalError', `failed to retrieve friend request from ${fromUserID} to ${toUserID}`);
    if (request.handleResult !== FriendResponse.notHandled) {
      throw new ImError('ServerInternalError', `friend request from ${fromUserID} to ${toUserID} has already been processed`);
    }
    state.friends.handle(request, FriendResponse.refuse, '', handleMsg);
    const pushes = applicationRejected(ctx, request, handleMsg);
    pushAfterReply(ctx, pushes);
    return undefined;
  }
  throw new ImError('ArgsError', 'req.HandleResult != -1/1');
}

function deleteFriend(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const ownerUserID = body.string('ownerUserID');
  const friendUserID = body.string('friendUserID');
  requireSelfOrAdmin(ctx, ownerUserID);
  state.friends.delete(ownerUserID, friendUserID);
  const pushes = friendDeleted(ctx, ownerUserID, friendUserID);
  pushAfterReply(ctx, pushes);
  return undefined;
}

function applyList(side: 'to' | 'from', field: string): ApiHandler {
  return (ctx) => {
    const userID = ctx.body.string('userID');
    requireSelfOrAdmin(ctx, userID);
    const all = ctx.state.friends.requests(side, userID, ctx.body.ints('handleResults')).map((r) => friendRequestView(ctx.state, r));
    return { [field]: page(all, ctx.body.pagination()), total: all.length };
  };
}

function getDesignatedFriendApply(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const fromUserID = body.string('fromUserID');
  const toUserID = body.string('toUserID');
  const both = [state.friends.request(fromUserID, toUserID), state.friends.request(toUserID, fromUserID)];
  return { friendRequests: both.filter((r) => r !== undefined).map((r) => friendRequestView(state, r)) };
}

function getSelfUnhandledApplyCount(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  // `time` is unix seconds; 0 counts every pending application.
  const sinceMs = ctx.body.int('time') * 1000;
  const pending = ctx.state.friends.requests('to', userID, [FriendResponse.notHandled]);
  return { count: pending.filter((r) => sinceMs === 0 || r.createTime > sinceMs).length };
}

function getIncrementalFriends(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  const answer = incrementalAnswer(ctx.state.friends.log(userID), ctx.body, (ids) => friendsInfo(ctx.state, userID, ids));
  return { ...answer, sortVersion: 0 };
}

function getFullFriendUserIDs(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  return fullIDsAnswer(ctx.state.friends.log(userID), 'userIDs', ctx.state.friends.friendIDs(userID));
}

function getFriendList(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  const all = ctx.state.friends.list(userID).map((f) => friendInfoView(ctx.state, f));
  return { friendsInfo: page(all, ctx.body.pagination()), total: all.length };
}

function getDesignatedFriends(ctx: ApiContext): unknown {
  const ownerUserID = ctx.body.string('ownerUserID');
  const friendUserIDs = ctx.body.strings('friendUserIDs');
  if (new Set(friendUserIDs).size !== friendUserIDs.length) throw new ImError('ArgsError', 'friend userID repeated');
  requireSelfOrAdmin(ctx, ownerUserID);
  return { friendsInfo: friendsInfo(ctx.state, ownerUserID, friendUserIDs) };
}

function isFriend(ctx: ApiContext): unknown {
  const userID1 = ctx.body.string('userID1');
  const userID2 = ctx.body.string('userID2');
  return { inUser1Friends: ctx.state.friends.isFriend(userID1, userID2), inUser2Friends: ctx.state.friends.isFriend(userID2, userID1) };
}

function getFriendIDs(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  return { friendIDs: ctx.state.friends.friendIDs(userID) };
}

/** Users one owner may block: far above real use, a bound on what one account makes the server hold. */
export const MAX_BLACKS_PER_USER = 10_000;

function addBlack(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const ownerUserID = body.string('ownerUserID');
  const blackUserID = body.string('blackUserID');
  requireSelfOrAdmin(ctx, ownerUserID);
  if (!state.users.has(ownerUserID) || !state.users.has(blackUserID)) throw new ImError('UserIDNotFoundError', 'user not found');
  if (ownerUserID === blackUserID) throw new ImError('ArgsError', 'can not block yourself');
  if (!state.friends.isBlack(ownerUserID, blackUserID) && state.friends.blacks(ownerUserID).length >= MAX_BLACKS_PER_USER) {
    throw new ImError('ArgsError', `black list is full (${MAX_BLACKS_PER_USER} users)`);
  }
  state.friends.addBlack({ ownerUserID, blockUserID: blackUserID, addSource: 0, operatorUserID: ctx.opUserID, ex: body.string('ex') });
  const pushes = blackChanged(ctx, true, ownerUserID, blackUserID);
  pushAfterReply(ctx, pushes);
  return undefined;
}

function removeBlack(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const ownerUserID = body.string('ownerUserID');
  const blackUserID = body.string('blackUserID');
  requireSelfOrAdmin(ctx, ownerUserID);
  state.friends.removeBlack(ownerUserID, blackUserID);
  const pushes = blackChanged(ctx, false, ownerUserID, blackUserID);
  pushAfterReply(ctx, pushes);
  return undefined;
}

function getBlackList(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  const all = ctx.state.friends.blacks(userID).map((b) => blackInfoView(ctx.state, b));
  return { blacks: page(all, ctx.body.pagination()), total: all.length };
}

function getSpecifiedBlacks(ctx: ApiContext): unknown {
  const ownerUserID = ctx.body.string('ownerUserID');
  requireSelfOrAdmin(ctx, ownerUserID);
  const userIDs = ctx.body.strings('userIDList');
  if (userIDs.length === 0) throw new ImError('ArgsError', 'userIDList is empty');
  if (new Set(userIDs).size !== userIDs.length) throw new ImError('ArgsError', 'userIDList repeated');
  const blacks = userIDs.flatMap((id) => {
    const black = ctx.state.friends.black(ownerUserID, id);
    return black === undefined ? [] : [blackInfoView(ctx.state, black)];
  });
  return { blacks, total: blacks.length };
}

/** Checks that every listed user is the owner's friend (the real FindFriendsWithError). */
function requireFriends(ctx: ApiContext, ownerUserID: string, friendUserIDs: readonly string[]): void {
  const missing = friendUserIDs.filter((id) => !ctx.state.friends.isFriend(ownerUserID, id));
  if (missing.length > 0) throw new ImError('RecordNotFoundError', `not friends: ${missing.join(',')}`);
}

function updateFriends(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const ownerUserID = body.string('ownerUserID');
  const friendUserIDs = body.strings('friendUserIDs');
  if (friendUserIDs.length === 0) throw new ImError('ArgsError', 'friendIDList is empty');
  if (new Set(friendUserIDs).size !== friendUserIDs.length) throw new ImError('ArgsError', 'friendIDList repeated');
  requireSelfOrAdmin(ctx, ownerUserID);
  requireFriends(ctx, ownerUserID, friendUserIDs);
  const patch: FriendPatch = {};
  const isPinned = body.optionalBool('isPinned');
  const remark = body.optionalString('remark');
  const ex = body.optionalString('ex');
  if (isPinned !== undefined) patch.isPinned = isPinned;
  if (remark !== undefined) patch.remark = remark;
  if (ex !== undefined) patch.ex = ex;
  for (const id of friendUserIDs) state.friends.update(ownerUserID, id, patch);
  const pushes = friendsInfoUpdated(ctx, ownerUserID, friendUserIDs);
  pushAfterReply(ctx, pushes);
  return undefined;
}

function setFriendRemark(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const ownerUserID = body.string('ownerUserID');
  const friendUserID = body.string('friendUserID');
  requireSelfOrAdmin(ctx, ownerUserID);
  requireFriends(ctx, ownerUserID, [friendUserID]);
  state.friends.update(ownerUserID, friendUserID, { remark: body.string('remark') });
  const pushes = friendRemarkSet(ctx, ownerUserID, friendUserID);
  pushAfterReply(ctx, pushes);
  return undefined;
}

export const FRIEND_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/friend/add_friend': addFriend,
  '/friend/add_friend_response': respondFriendApply,
  '/friend/delete_friend': deleteFriend,
  // The real field name is capitalised here and not in the next one.
  '/friend/get_friend_apply_list': applyList('to', 'FriendRequests'),
  '/friend/get_self_friend_apply_list': applyList('from', 'friendRequests'),
  '/friend/get_designated_friend_apply': getDesignatedFriendApply,
  '/friend/get_self_unhandled_apply_count': getSelfUnhandledApplyCount,
  '/friend/get_incremental_friends': getIncrementalFriends,
  '/friend/get_full_friend_user_ids': getFullFriendUserIDs,
  '/friend/get_friend_list': getFriendList,
  '/friend/get_designated_friends': getDesignatedFriends,
  '/friend/is_friend': isFriend,
  '/friend/get_friend_id': getFriendIDs,
  '/friend/add_black': addBlack,
  '/friend/remove_black': removeBlack,
  '/friend/get_black_list': getBlackList,
  '/friend/get_specified_blacks': getSpecifiedBlacks,
  '/friend/update_friends': updateFriends,
  '/friend/set_friend_remark': setFriendRemark,
};
