/**
 * Binary frames of one connection (docs/im-server.md#frames): gob (the default `sdkType`) or JSON
 * (`sdkType=js`), gzipped when the handshake asked for `compression=gzip`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeWsRequestGob, encodeWsResponseGob, type WsRequest, type WsResponse } from '../gob/ws-messages.ts';
import { errorText } from '../../shared/error-text.ts';

/** A frame the real gateway could not read; it closes the connection without a reply. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export type Encoding = 'gob' | 'json';

export interface FrameCodec {
  decode(frame: Uint8Array): WsRequest;
  encode(resp: WsResponse): Buffer;
}

/** A gzip bomb guard far above any real request (the real gateway reads at most 51 200 bytes before unzipping). */
const MAX_INFLATED_BYTES = 16 * 2 ** 20;

function jsonRequest(frame: Uint8Array): WsRequest {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(frame).toString('utf8')) as unknown;
  } catch (err) {
    throw new FrameError(`not JSON: ${errorText(err)}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FrameError('not a JSON object');
  const o = v as Record<string, unknown>;
  const str = (k: string): string => {
    const x = o[k];
    if (x === undefined || x === null) return '';
    if (typeof x !== 'string') throw new FrameError(`${k} is not a string`);
    return x;
  };
  const id = o['reqIdentifier'];
  if (id !== undefined && id !== null && !(typeof id === 'number' && Number.isInteger(id) && Math.abs(id) < 2 ** 31)) {
    throw new FrameError('reqIdentifier is not an int32');
  }
  const data = str('data');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) throw new FrameError('data is not base64');
  return {
    reqIdentifier: typeof id === 'number' ? id : 0,
    token: str('token'),
    sendID: str('sendID'),
    operationID: str('operationID'),
    msgIncr: str('msgIncr'),
    data: Buffer.from(data, 'base64'),
  };
}

function jsonResponse(resp: WsResponse): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      reqIdentifier: resp.reqIdentifier,
      msgIncr: resp.msgIncr,
      operationID: resp.operationID,
      errCode: resp.errCode,
      errMsg: resp.errMsg,
      // Go writes a nil []byte as null
      data: resp.data.length > 0 ? Buffer.from(resp.data).toString('base64') : null,
    }),
  );
}

export function frameCodec(encoding: Encoding, gzip: boolean): FrameCodec {
  return {
    decode(frame) {
      let raw: Uint8Array = frame;
      if (gzip) {
        try {
          raw = gunzipSync(frame, { maxOutputLength: MAX_INFLATED_BYTES });
        } catch (err) {
          throw new FrameError(`not gzip: ${errorText(err)}`);
        }
      }
      if (encoding === 'json') return jsonRequest(raw);
      try {
        return decodeWsRequestGob(raw);
      } catch (err) {
        throw new FrameError(`gob: ${errorText(err)}`);
      }
    },
    encode(resp) {
      const raw = encoding === 'json' ? jsonResponse(resp) : encodeWsResponseGob(resp);
      return gzip ? gzipSync(raw) : Buffer.from(raw);
    },
  };
}
