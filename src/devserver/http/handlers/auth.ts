/** `/auth/*` (docs/im-server.md#tokens): admin token, user tokens, parse_token, force_logout. */
import { AppManagerLevel, PlatformID } from '../../protocol/constants.ts';
import { ImError } from '../../protocol/im-error-codes.ts';
import { requireAdmin, type ApiContext, type ApiHandler } from '../context.ts';

async function getAdminToken(ctx: ApiContext): Promise<unknown> {
  const { state, body } = ctx;
  const userID = body.string('userID');
  if (userID === '') throw new ImError('ArgsError', 'userID is empty');
  if (body.string('secret') !== state.auth.config.secret) throw new ImError('NoPermissionError', 'secret invalid');
  if (!state.auth.isAdmin(userID)) throw new ImError('ArgsError', `userID is error., userID=${userID}`);
  if (!state.users.has(userID)) throw new ImError('RecordNotFoundError', 'user not found');
  const { token } = await state.auth.createToken(userID, PlatformID.admin);
  return { token, expireTimeSeconds: state.auth.config.tokenTtlSeconds };
}

async function getUserToken(ctx: ApiContext): Promise<unknown> {
  const { state, body } = ctx;
  requireAdmin(ctx);
  const userID = body.string('userID');
  const platformID = body.int('platformID');
  if (platformID === PlatformID.admin) {
    throw new ImError('NoPermissionError', 'platformID invalid. platformID must not be adminPlatformID');
  }
  if (state.auth.isAdmin(userID)) throw new ImError('NoPermissionError', "don't get Admin token");
  const user = state.users.get(userID);
  if (user === undefined) throw new ImError('RecordNotFoundError', 'record not found');
  if (user.appMangerLevel >= AppManagerLevel.notificationAdmin) throw new ImError('ArgsError', 'app account can`t get token');
  const { token } = await state.auth.createToken(userID, platformID);
  return { token, expireTimeSeconds: state.auth.config.tokenTtlSeconds };
}

function parseTokenHandler(ctx: ApiContext): unknown {
  const token = ctx.body.string('token');
  // (sic) the real check names the wrong field
  if (token === '') throw new ImError('ArgsError', 'userID is empty');
  const claims = ctx.state.auth.parse(token);
  return { userID: claims.userID, platformID: claims.platformID, expireTimeSeconds: Math.floor(claims.exp ?? 0) };
}

function forceLogout(ctx: ApiContext): unknown {
  const { state, body } = ctx;
  const userID = body.string('userID');
  const platformID = body.int('platformID');
  if (userID === '') throw new ImError('ArgsError', 'userID is empty');
  if (platformID > PlatformID.admin || platformID < PlatformID.ios) throw new ImError('ArgsError', 'platformID is invalidate');
  requireAdmin(ctx);
  ctx.gateway.kick(userID, platformID);
  state.auth.tokens.kickAll(userID, platformID);
  return undefined;
}

export const AUTH_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/auth/get_admin_token': getAdminToken,
  '/auth/get_user_token': getUserToken,
  '/auth/parse_token': parseTokenHandler,
  '/auth/force_logout': forceLogout,
};
