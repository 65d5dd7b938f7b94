/** Server-made message IDs: 32 hex digits, as the real server's md5-based ones look. */
import { createHash, randomBytes } from 'node:crypto';

export function newMsgID(seed: string, nowMs: number): string {
  return createHash('md5')
    .update(`${nowMs}-${seed}-${randomBytes(8).toString('hex')}`)
    .digest('hex');
}

/** A push or server-side operation needs a non-empty operationID (docs/im-server.md#push). */
export function newOperationID(): string {
  return `devserver-${randomBytes(6).toString('hex')}`;
}
