/**
 * Friend records as the API shows them (`FriendInfo`, `FriendRequest`, `BlackInfo`; docs/im-server.md#records), filled in
 * the way the real converters fill them: a FriendInfo's `friendUser` carries only the
 * public fields and its `createTime` is in seconds; a FriendRequest names both users with
 * their current nickname and face, times in milliseconds.
 */
import type { BlackRecord, FriendRecord, FriendRequestRecord } from '../store/friends.ts';
import type { DevState } from '../store/state.ts';
import type { UserInfoView } from '../store/views.ts';

export interface FriendInfoView {
  ownerUserID: string;
  remark: string;
  createTime: number;
  friendUser: UserInfoView;
  addSource: number;
  operatorUserID: string;
  ex: string;
  isPinned: boolean;
}

export interface FriendRequestView {
  fromUserID: string;
  fromNickname: string;
  fromFaceURL: string;
  toUserID: string;
  toNickname: string;
  toFaceURL: string;
  handleResult: number;
  reqMsg: string;
  createTime: number;
  handlerUserID: string;
  handleMsg: string;
  handleTime: number;
  ex: string;
}

export function friendInfoView(state: DevState, friend: FriendRecord): FriendInfoView {
  const user = state.users.get(friend.friendUserID);
  return {
    ownerUserID: friend.ownerUserID,
    remark: friend.remark,
    createTime: Math.floor(friend.createTime / 1000),
    friendUser: {
      userID: friend.friendUserID,
      nickname: user?.nickname ?? '',
      faceURL: user?.faceURL ?? '',
      ex: user?.ex ?? '',
      createTime: 0,
      appMangerLevel: 0,
      globalRecvMsgOpt: 0,
    },
    addSource: friend.addSource,
    operatorUserID: friend.operatorUserID,
    ex: friend.ex,
    isPinned: friend.isPinned,
  };
}

export function friendRequestView(state: DevState, request: FriendRequestRecord): FriendRequestView {
  const from = state.users.get(request.fromUserID);
  const to = state.users.get(request.toUserID);
  return {
    fromUserID: request.fromUserID,
    fromNickname: from?.nickname ?? '',
    fromFaceURL: from?.faceURL ?? '',
    toUserID: request.toUserID,
    toNickname: to?.nickname ?? '',
    toFaceURL: to?.faceURL ?? '',
    handleResult: request.handleResult,
    reqMsg: request.reqMsg,
    createTime: request.createTime,
    handlerUserID: request.handlerUserID,
    handleMsg: request.handleMsg,
    handleTime: request.handleTime,
    ex: request.ex,
  };
}

export interface BlackInfoView {
  ownerUserID: string;
  createTime: number;
  blackUserInfo: { userID: string; nickname: string; faceURL: string; ex: string };
  addSource: number;
  operatorUserID: string;
  ex: string;
}

/** BlackInfo: times in milliseconds, the blocked user's public fields. */
export function blackInfoView(state: DevState, black: BlackRecord): BlackInfoView {
  const user = state.users.get(black.blockUserID);
  return {
    ownerUserID: black.ownerUserID,
    createTime: black.createTime,
    blackUserInfo: { userID: black.blockUserID, nickname: user?.nickname ?? '', faceURL: user?.faceURL ?? '', ex: user?.ex ?? '' },
    addSource: black.addSource,
    operatorUserID: black.operatorUserID,
    ex: black.ex,
  };
}
