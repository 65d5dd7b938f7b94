/**
 * Bringing a session's core to "logged in": initSDK with the platform's configuration, then
 * (several nodes) a last check that this node still holds the user, then the core's login.
 * Used by a client's Login and by recovery after a lost core alike.
 */
import { randomUUID } from 'node:crypto';
import { CoreCallError } from '../../core-wasm/call-result.ts';
import type { OwnershipClaim } from '../cluster/ownership.ts';
import type { CoreHandle } from '../pool/worker/core-handle.ts';
import { GatewayError } from './gateway-error.ts';

export interface CoreLogin {
  userID: string;
  platformID: number;
  token: string;
  operationID: string;
  /** initSDK config JSON for a core of this platform. */
  sdkConfig: string;
  /** Several nodes: the hold on the user, confirmed before the core acts. */
  claim?: OwnershipClaim | undefined;
}

/** Rejects with GatewayError for what the core refused. */
export async function logCoreIn(core: CoreHandle, login: CoreLogin): Promise<void> {
  const init = await core.call('initSDK', `init-${randomUUID()}`, [login.sdkConfig]);
  if (!Array.isArray(init) || init[0] !== true) {
    throw GatewayError.internal(`core ${login.userID}/${login.platformID} refused its initSDK configuration`);
  }
  // A node that lost the user (lease lost, taken over) finds out here, before it acts.
  await login.claim?.confirm();
  try {
    await core.call('login', login.operationID, [login.userID, login.token]);
  } catch (err) {
    if (err instanceof CoreCallError) throw GatewayError.fromCore(err);
    throw err;
  }
}
