/**
 * The gateway's upgrade checks (docs/im-server.md#handshake-over-websocket), in the real order: connection limit
 * (1601), required query parameters (1602), the token (its own code), the token's
 * owner against `sendID`/`platformID` (1502).
 */
import type { IncomingMessage } from 'node:http';
import type { DevState } from '../store/state.ts';
import { ImError } from '../protocol/im-error-codes.ts';
import type { Encoding } from './frame-codec.ts';

export interface HandshakeQuery {
  readonly token: string;
  readonly sendID: string;
  readonly platformIDText: string;
  readonly operationID: string;
  readonly sdkType: string;
  readonly gzip: boolean;
  /** `isMsgResp`: the client wants the first text frame (and errors reported there). */
  readonly wantsResponse: boolean;
  readonly isBackground: boolean;
}

export interface AcceptedHandshake {
  readonly userID: string;
  readonly platformID: number;
  readonly token: string;
  readonly encoding: Encoding;
  readonly gzip: boolean;
}

/** Go's strconv.ParseBool. */
function goBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

export function readHandshakeQuery(req: IncomingMessage): HandshakeQuery {
  const url = new URL(req.url ?? '/', 'ws://devserver');
  const q = (key: string): string => url.searchParams.get(key) ?? '';
  const compressionHeader = req.headers['compression'];
  return {
    token: q('token'),
    sendID: q('sendID'),
    platformIDText: q('platformID'),
    operationID: q('operationID'),
    sdkType: q('sdkType'),
    gzip: q('compression') === 'gzip' || compressionHeader === 'gzip',
    wantsResponse: goBool(q('isMsgResp')) ?? false,
    isBackground: goBool(q('isBackground')) ?? false,
  };
}

/** Go's strconv.Atoi on a 64-bit platform. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n < -(2n ** 63n) || n > 2n ** 63n - 1n) return undefined;
  return Number(n);
}

/** Throws the ImError the real gateway would answer with. */
export function checkHandshake(state: DevState, q: HandshakeQuery, connections: number, maxConnections: number): AcceptedHandshake {
  if (connections >= maxConnections) throw new ImError('ConnOverMaxNumLimit', 'over max conn num limit');
  if (q.token === '') throw new ImError('ConnArgsErr', 'token is empty');
  if (q.sendID === '') throw new ImError('ConnArgsErr', 'sendID is empty');
  if (q.platformIDText === '') throw new ImError('ConnArgsErr', 'platformID is empty');
  const platformID = atoi(q.platformIDText);
  if (platformID === undefined) throw new ImError('ConnArgsErr', 'platformID is not int');
  if (!['', 'go', 'js'].includes(q.sdkType)) throw new ImError('ConnArgsErr', 'sdkType is not go or js');

  const claims = state.auth.parse(q.token);
  if (claims.userID !== q.sendID) throw new ImError('TokenInvalidError', `token uid ${claims.userID} != userID ${q.sendID}`);
  if (claims.platformID !== platformID) {
    throw new ImError('TokenInvalidError', `token platform ${claims.platformID} != platformID ${platformID}`);
  }
  return { userID: q.sendID, platformID, token: q.token, encoding: q.sdkType === 'js' ? 'json' : 'gob', gzip: q.gzip };
}
