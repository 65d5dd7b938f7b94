/**
 * operationIDs travel on from the client: into the core (which sends them as the HTTP
 * header `operationID` to the IM server) and into our own parse_token calls. A value that is
 * not a plain header token (non-ASCII, control characters, spaces, huge) would make those
 * requests throw, so such an ID is replaced for everything downstream. The client always
 * gets its own ID echoed back; only logs and the IM server see the substitute.
 */
import { randomUUID } from 'node:crypto';

const HEADER_SAFE_ID = /^[\x21-\x7e]{1,128}$/;

export function downstreamOperationID(clientOperationID: string, prefix = 'gw'): string {
  return HEADER_SAFE_ID.test(clientOperationID) ? clientOperationID : `${prefix}-${randomUUID()}`;
}
