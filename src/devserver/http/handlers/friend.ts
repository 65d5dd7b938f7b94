/**
 * `/friend/*` reads the core makes at login and on its friend APIs. Nobody has friends,
 * black lists or applications here (see store/friends.ts), so the lists are empty.
 */
import { requireSelfOrAdmin, type ApiContext, type ApiHandler } from '../context.ts';
import { fullIDsAnswer, incrementalAnswer } from '../incremental.ts';

function getIncrementalFriends(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  return { ...incrementalAnswer(ctx.state.friends.log(userID), ctx.body, () => []), sortVersion: 0 };
}

function getFullFriendUserIDs(ctx: ApiContext): unknown {
  const userID = ctx.body.string('userID');
  requireSelfOrAdmin(ctx, userID);
  return fullIDsAnswer(ctx.state.friends.log(userID), 'userIDs', []);
}

function ownListEmpty(field: string, userField = 'userID'): ApiHandler {
  return (ctx) => {
    requireSelfOrAdmin(ctx, ctx.body.string(userField));
    return { [field]: [], total: 0 };
  };
}

export const FRIEND_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/friend/get_incremental_friends': getIncrementalFriends,
  '/friend/get_full_friend_user_ids': getFullFriendUserIDs,
  '/friend/get_friend_list': ownListEmpty('friendsInfo'),
  '/friend/get_designated_friends': (ctx) => {
    requireSelfOrAdmin(ctx, ctx.body.string('ownerUserID'));
    return { friendsInfo: [] };
  },
  '/friend/get_black_list': ownListEmpty('blacks'),
  '/friend/get_specified_blacks': (ctx) => {
    requireSelfOrAdmin(ctx, ctx.body.string('userID'));
    return { blacks: [], total: 0 };
  },
  // The real field name is capitalised here and not in the next one.
  '/friend/get_friend_apply_list': ownListEmpty('FriendRequests'),
  '/friend/get_self_friend_apply_list': ownListEmpty('friendRequests'),
  '/friend/get_self_unhandled_apply_count': (ctx) => {
    requireSelfOrAdmin(ctx, ctx.body.string('userID'));
    return { count: 0 };
  },
};
