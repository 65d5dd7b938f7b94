/** `/user/*`: registration (admin) and profile reads/writes (which the user's devices, friends and groups hear of). */
import { userInfoUpdated } from '../../friends/notifications.ts';
import { memberProfileChanged } from '../../groups/notifications.ts';
import { ImError } from '../../protocol/im-error-codes.ts';
import type { UserRecord } from '../../store/users.ts';
import { userInfoView } from '../../store/views.ts';
import { pushAfterReply, requireAdmin, requireSelfOrAdmin, type ApiContext, type ApiHandler } from '../context.ts';

/** Letters (any script), digits and `_`, as the real check allows. */
const LEGAL_USER_ID = /^[\p{L}\p{Nd}_]*$/u;

function userRegister(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const entries = body.objects('users');
  if (!body.has('users')) throw new ImError('ArgsError', 'users are empty');
  for (const u of entries) {
    if (u === undefined) throw new ImError('ArgsError', 'user is empty');
    if (!LEGAL_USER_ID.test(u.string('userID'))) throw new ImError('ArgsError', 'userID is legal');
  }
  for (const u of entries) if (u?.string('nickname') === '') throw new ImError('ArgsError', 'user name is empty');
  if (entries.length === 0) throw new ImError('ArgsError', 'users is empty');
  requireAdmin(ctx);
  const now = state.now();
  const users: UserRecord[] = entries.map((u) => ({
    userID: u?.string('userID') ?? '',
    nickname: u?.string('nickname') ?? '',
    faceURL: u?.string('faceURL') ?? '',
    ex: u?.string('ex') ?? '',
    createTime: now,
    appMangerLevel: u?.int('appMangerLevel') ?? 0,
    globalRecvMsgOpt: u?.int('globalRecvMsgOpt') ?? 0,
  }));
  if (new Set(users.map((u) => u.userID)).size !== users.length) throw new ImError('ArgsError', 'userID repeated');
  if (users.some((u) => u.userID === '')) throw new ImError('ArgsError', 'userID is empty');
  if (users.some((u) => state.users.has(u.userID))) throw new ImError('RegisteredAlreadyError', 'userID registered already');
  for (const user of users) state.users.add(user);
  return undefined;
}

function getUsersInfo(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  if (!body.has('userIDs')) throw new ImError('ArgsError', 'UserIDs is empty');
  const seen = new Set<string>();
  const usersInfo = [];
  for (const id of body.strings('userIDs')) {
    const user = state.users.get(id);
    if (user === undefined || seen.has(id)) continue;
    seen.add(id);
    usersInfo.push(userInfoView(user));
  }
  return { usersInfo };
}

function updateUserInfoEx(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const info = body.object('userInfo');
  if (info === undefined) throw new ImError('ArgsError', 'userInfo is empty');
  const userID = info.string('userID');
  if (userID === '') throw new ImError('ArgsError', 'userID is empty');
  requireSelfOrAdmin(ctx, userID);
  if (!state.users.has(userID)) throw new ImError('RecordNotFoundError', 'user not found');
  const patch: Partial<Omit<UserRecord, 'userID' | 'createTime'>> = {};
  const nickname = info.optionalString('nickname');
  const faceURL = info.optionalString('faceURL');
  const ex = info.optionalString('ex');
  const globalRecvMsgOpt = info.optionalInt('globalRecvMsgOpt');
  if (nickname !== undefined) patch.nickname = nickname;
  if (faceURL !== undefined) patch.faceURL = faceURL;
  if (ex !== undefined) patch.ex = ex;
  if (globalRecvMsgOpt !== undefined) patch.globalRecvMsgOpt = globalRecvMsgOpt;
  const before = state.users.get(userID);
  const nameOrFaceChanged = (patch.nickname !== undefined && patch.nickname !== before?.nickname) || (patch.faceURL !== undefined && patch.faceURL !== before?.faceURL);
  state.users.update(userID, patch);
  const pushes = userInfoUpdated(ctx, ctx.opUserID, userID, nameOrFaceChanged);
  if (nameOrFaceChanged) pushes.push(...memberProfileChanged(ctx, userID));
  pushAfterReply(ctx, pushes);
  return undefined;
}

export const USER_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/user/user_register': userRegister,
  '/user/get_users_info': getUsersInfo,
  '/user/update_user_info_ex': updateUserInfoEx,
};
