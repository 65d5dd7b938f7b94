/** What an API handler gets, and the permission checks the real services make. */
import type { Push } from '../messaging/deliver.ts';
import { ImError } from '../protocol/im-error-codes.ts';
import type { ObjectStore } from '../objects/object-store.ts';
import type { DevState } from '../store/state.ts';
import type { Fields } from './fields.ts';

/** What the HTTP side may ask of the long-connection side. */
export interface GatewayHooks {
  push(pushes: readonly Push[]): void;
  /** Sends 2002 to the user's connections on that platform and closes them. */
  kick(userID: string, platformID: number): void;
}

export interface ApiContext {
  readonly state: DevState;
  readonly gateway: GatewayHooks;
  readonly objects: ObjectStore;
  /** `http://host:port` as the client addressed this server (for the URLs handed back). */
  readonly baseURL: string;
  readonly operationID: string;
  /** The token's user; '' on routes that need no token. */
  readonly opUserID: string;
  readonly opPlatformID: number;
  readonly body: Fields;
  /** Runs after the reply is written, as the real server's asynchronous work does. */
  after(fn: () => void): void;
}

/** What a handler returns: the response message, or undefined for one without fields (no `data`). */
export type ApiHandler = (ctx: ApiContext) => unknown;

/** The notifications a change caused go out once its reply has, as the real server's do. */
export function pushAfterReply(ctx: ApiContext, pushes: readonly Push[]): void {
  ctx.after(() => ctx.gateway.push(pushes));
}

export function isAdmin(ctx: ApiContext): boolean {
  return ctx.state.auth.isAdmin(ctx.opUserID);
}

/** The real CheckAdmin. */
export function requireAdmin(ctx: ApiContext): void {
  if (!isAdmin(ctx)) throw new ImError('NoPermissionError', `user ${ctx.opUserID} is not admin userID`);
}

/** The real CheckAccessV3: the owner themself or an admin. */
export function requireSelfOrAdmin(ctx: ApiContext, ownerUserID: string): void {
  if (ctx.opUserID !== ownerUserID && !isAdmin(ctx)) throw new ImError('NoPermissionError', `ownerUserID ${ownerUserID}`);
}

/** The real checkAdminOrInGroup. */
export function requireInGroupOrAdmin(ctx: ApiContext, groupID: string): void {
  if (isAdmin(ctx)) return;
  if (ctx.state.groups.member(groupID, ctx.opUserID) === undefined) throw new ImError('NoPermissionError', 'op user not in group');
}
