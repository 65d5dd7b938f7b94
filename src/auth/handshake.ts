/**
 * The WebSocket handshake's query string, as OpenIM JS clients send it:
 * `?sendID=<userID>&token=<jwt>&platformID=<n>&operationID=<id>`.
 *
 * Checked before the upgrade so that a bad handshake is an HTTP 400 the client turns
 * into a rejected login, instead of an open socket it cannot interpret.
 */
import { randomUUID } from 'node:crypto';
import { AUTH_LIMITS } from './auth-limits.ts';
import { MAX_PLATFORM_ID, MIN_PLATFORM_ID, parsePlatformID, type PlatformID } from './platforms.ts';

export interface HandshakeParams {
  sendID: string;
  token: string;
  platformID: PlatformID;
  /** The client's, or a generated one when it sent none (v2 clients never do). */
  operationID: string;
}

export type HandshakeResult = { ok: true; params: HandshakeParams } | { ok: false; status: 400; message: string };

const REQUIRED = ['sendID', 'token', 'platformID'] as const;

/** Echoed values are cut short: the message goes into logs and HTTP bodies. */
function quote(value: string): string {
  const max = 40;
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

function reject(message: string): HandshakeResult {
  return { ok: false, status: 400, message };
}

/**
 * @param url the request target as Node gives it (`/path?query`); an absolute URL also works.
 * @param newOperationID used only when the client sent no operationID.
 */
export function parseHandshakeQuery(url: string, newOperationID: () => string = randomUUID): HandshakeResult {
  // Clients do not URL-encode values. That is harmless for JWTs (base64url and dots)
  // and matches what the Go servers did (they decode with url.Query() too), so a '+'
  // in a userID arrives as a space here exactly as it did there.
  const q = url.indexOf('?');
  const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));

  const values = new Map<string, string>();
  for (const name of [...REQUIRED, 'operationID'] as const) {
    const all = params.getAll(name);
    // Two different values would leave it to chance which one a proxy hashed on and
    // which one we authenticated.
    if (all.length > 1) return reject(`query parameter "${name}" is given more than once`);
    const value = all[0];
    if (value === undefined) {
      if (name === 'operationID') continue;
      return reject(`missing query parameter "${name}"`);
    }
    if (value === '' && name !== 'operationID') return reject(`query parameter "${name}" is empty`);
    values.set(name, value);
  }

  // Bounded before anything keeps, hashes, logs or forwards them.
  const token = values.get('token') ?? '';
  if (token.length > AUTH_LIMITS.tokenChars) {
    return reject(`query parameter "token" is longer than ${AUTH_LIMITS.tokenChars} characters (${token.length})`);
  }
  const sendID = values.get('sendID') ?? '';
  const sendIDBytes = Buffer.byteLength(sendID, 'utf8');
  if (sendIDBytes > AUTH_LIMITS.userIDBytes) {
    return reject(`query parameter "sendID" is longer than ${AUTH_LIMITS.userIDBytes} bytes (${sendIDBytes}), the longest userID OpenIM stores`);
  }
  const clientOperationID = values.get('operationID');
  if (clientOperationID !== undefined && clientOperationID.length > AUTH_LIMITS.operationIDChars) {
    return reject(`query parameter "operationID" is longer than ${AUTH_LIMITS.operationIDChars} characters (${clientOperationID.length})`);
  }

  const platformText = values.get('platformID') ?? '';
  const platformID = parsePlatformID(platformText);
  if (platformID === undefined) {
    return reject(`query parameter "platformID" must be a platform ID from ${MIN_PLATFORM_ID} to ${MAX_PLATFORM_ID} (got ${quote(platformText)})`);
  }

  return {
    ok: true,
    params: {
      sendID,
      token,
      platformID,
      operationID: clientOperationID === undefined || clientOperationID === '' ? newOperationID() : clientOperationID,
    },
  };
}
